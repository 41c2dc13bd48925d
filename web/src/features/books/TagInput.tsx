import { type KeyboardEvent, useId, useRef, useState } from "react";
import { useTagOptions } from "./api";
import { useDebounced } from "./useDebounced";

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Adds `names` to `tags`, trimmed, skipping blanks and names already there (ignoring case). */
export function addTags(tags: string[], ...names: string[]): string[] {
  const next = [...tags];
  for (const raw of names) {
    const name = raw.trim().replace(/\s+/g, " ");
    if (name && !next.some((tag) => same(tag, name))) next.push(name);
  }
  return next;
}

/**
 * Tags as removable chips plus a text input: Enter or comma adds what was typed; existing tags
 * are suggested in a listbox (arrow keys to move, Enter to add, Escape to close).
 */
export function TagInput({
  label,
  tags,
  onChange,
  draft,
  onDraftChange,
  error,
}: {
  label: string;
  tags: string[];
  onChange: (tags: string[]) => void;
  draft: string;
  onDraftChange: (draft: string) => void;
  error?: string | undefined;
}) {
  const id = useId();
  const listId = `${id}-listbox`;
  const input = useRef<HTMLInputElement>(null);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [announcement, setAnnouncement] = useState("");

  const typed = draft.trim();
  const search = useDebounced(typed);
  const suggestions = useTagOptions(search, open);
  const options = (suggestions.data?.items ?? []).filter((tag) => !tags.some((name) => same(name, tag.name)));
  const expanded = open && typed !== "" && options.length > 0;
  const optionId = (index: number) => `${id}-option-${index}`;

  function add(...names: string[]) {
    const next = addTags(tags, ...names);
    if (next.length !== tags.length) {
      onChange(next);
      setAnnouncement(`Added ${next.slice(tags.length).join(", ")}.`);
    } else if (names.some((name) => name.trim())) setAnnouncement("That tag is already chosen.");
    onDraftChange("");
    setActive(-1);
  }

  function remove(name: string) {
    onChange(tags.filter((tag) => tag !== name));
    setAnnouncement(`Removed ${name}.`);
    input.current?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    const count = expanded ? options.length : 0;
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        setOpen(true);
        if (count > 0) setActive((active + 1) % count);
        break;
      case "ArrowUp":
        event.preventDefault();
        if (count > 0) setActive(active <= 0 ? count - 1 : active - 1);
        break;
      case "Enter":
      case ",": {
        const option = event.key === "Enter" && active >= 0 ? options[active] : undefined;
        if (option || typed) {
          event.preventDefault();
          add(option ? option.name : typed);
        } else if (event.key === ",") event.preventDefault();
        break;
      }
      case "Escape":
        if (expanded) {
          event.preventDefault();
          setOpen(false);
          setActive(-1);
        }
        break;
      case "Backspace": {
        const last = tags[tags.length - 1];
        if (draft === "" && last !== undefined) {
          event.preventDefault();
          remove(last);
        }
        break;
      }
    }
  }

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {tags.length > 0 ? (
        <ul className="tag-list chips" aria-label={`Chosen ${label.toLowerCase()}`}>
          {tags.map((tag) => (
            <li key={tag} className="tag">
              {tag}
              <button type="button" className="chip-remove" aria-label={`Remove tag ${tag}`} onClick={() => remove(tag)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="combobox">
        <input
          id={id}
          ref={input}
          type="text"
          role="combobox"
          autoComplete="off"
          aria-autocomplete="list"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-activedescendant={expanded && active >= 0 ? optionId(active) : undefined}
          aria-invalid={error ? true : undefined}
          aria-describedby={[`${id}-hint`, error ? `${id}-error` : null].filter(Boolean).join(" ")}
          value={draft}
          onChange={(event) => {
            const parts = event.target.value.split(",");
            const rest = parts.pop() ?? "";
            if (parts.length > 0) add(...parts);
            onDraftChange(rest);
            setOpen(true);
            setActive(-1);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => {
            setOpen(false);
            setActive(-1);
          }}
        />
        <ul id={listId} role="listbox" aria-label="Existing tags" hidden={!expanded} onMouseDown={(event) => event.preventDefault()}>
          {options.map((tag, index) => (
            <li
              key={tag.id}
              id={optionId(index)}
              role="option"
              aria-selected={index === active}
              onClick={() => add(tag.name)}
              onMouseMove={() => setActive(index)}
            >
              {tag.name} <span className="count">({tag.bookCount})</span>
            </li>
          ))}
        </ul>
      </div>
      <p className="hint" id={`${id}-hint`}>
        Press Enter or type a comma to add a tag.
      </p>
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
      {error ? <p className="field-error" id={`${id}-error`}>{error}</p> : null}
    </div>
  );
}
