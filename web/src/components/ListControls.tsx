import { type FormEvent, useId, useState } from "react";
import { useLocation } from "react-router";
import { Field } from "./Field";

/** A search box that applies its text on submit (Enter or the button), kept in step with the URL's value. */
export function SearchForm({ label, value, onSearch }: { label: string; value: string; onSearch: (q: string) => void }) {
  const [text, setText] = useState(value);
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    // The URL changed (back button, a link): show its search text.
    setShown(value);
    setText(value);
  }
  function submit(event: FormEvent) {
    event.preventDefault();
    onSearch(text.trim());
  }
  return (
    <form role="search" className="search-form" onSubmit={submit}>
      <Field label={label} type="search" value={text} onChange={(event) => setText(event.target.value)} maxLength={255} />
      <div className="actions">
        <button type="submit">Search</button>
        {value ? (
          <button type="button" className="link" onClick={() => onSearch("")}>
            Clear search
          </button>
        ) : null}
      </div>
    </form>
  );
}

/** A labelled <select> for the list order. */
export function SortSelect<T extends string>({
  value,
  options,
  onChange,
}: {
  value: T;
  options: { value: T; label: string }[];
  onChange: (value: T) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Sort by</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value as T)}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** "1 book", "3 books". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

/** A YYYY-MM-DD date in words, without time-zone shifts. */
export function formatDate(date: string): string {
  const parsed = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime())) return date;
  return parsed.toLocaleDateString(undefined, { dateStyle: "long", timeZone: "UTC" });
}

/** A message handed over by the page we came from (e.g. "Author deleted."), via navigation state. */
export function RouteNotice() {
  const state: unknown = useLocation().state;
  const notice = state && typeof state === "object" && "notice" in state ? String(state.notice) : null;
  return notice ? <p className="notice" role="status">{notice}</p> : null;
}
