import { type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { errorMessage } from "../../api/client";
import { type AuthorRef, useAuthorOptions, useCreateAuthor } from "./api";
import { useDebounced } from "./useDebounced";

type Option = { kind: "author"; author: AuthorRef } | { kind: "create"; name: string };

/**
 * An author picker following the ARIA combobox pattern (list autocomplete): type to search,
 * arrow keys to move, Enter to choose, Escape to close. With `allowCreate`, the last option
 * creates an author with the typed name.
 */
export function AuthorCombobox({
  label,
  value,
  onChange,
  allowCreate = false,
  clearLabel,
  error,
  placeholder,
}: {
  label: string;
  value: AuthorRef | null;
  onChange: (author: AuthorRef | null) => void;
  allowCreate?: boolean;
  clearLabel?: string;
  error?: string | undefined;
  placeholder?: string;
}) {
  const id = useId();
  const listId = `${id}-listbox`;
  const input = useRef<HTMLInputElement>(null);
  const [text, setText] = useState(value?.name ?? "");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [synced, setSynced] = useState(value);
  if (synced?.id !== value?.id || synced?.name !== value?.name) {
    setSynced(value);
    setText(value?.name ?? "");
  }

  const typed = text.trim();
  const edited = text !== (value?.name ?? "");
  const search = useDebounced(edited ? typed : "");
  const authors = useAuthorOptions(search, open);
  const create = useCreateAuthor();

  const options: Option[] = (authors.data?.items ?? []).map(({ id, name, slug }) => ({ kind: "author", author: { id, name, slug } }));
  const exact = options.some((option) => option.kind === "author" && option.author.name.toLowerCase() === typed.toLowerCase());
  if (allowCreate && typed && edited && !exact) options.push({ kind: "create", name: typed });
  const expanded = open && options.length > 0;
  const optionId = (index: number) => `${id}-option-${index}`;

  useEffect(() => {
    if (expanded && active >= 0) document.getElementById(optionId(active))?.scrollIntoView({ block: "nearest" });
  });

  function close() {
    setOpen(false);
    setActive(-1);
  }

  function choose(option: Option) {
    close();
    if (option.kind === "author") {
      setText(option.author.name);
      onChange(option.author);
      return;
    }
    create.mutate(option.name, {
      onSuccess: ({ id, name, slug }) => {
        setText(name);
        onChange({ id, name, slug });
      },
    });
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    const count = options.length;
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!open) {
          setOpen(true);
          setActive(count > 0 ? 0 : -1);
        } else if (count > 0) setActive((active + 1) % count);
        break;
      case "ArrowUp":
        event.preventDefault();
        if (!open) setOpen(true);
        if (count > 0) setActive(active <= 0 ? count - 1 : active - 1);
        break;
      case "Enter": {
        const option = expanded && active >= 0 ? options[active] : undefined;
        if (option) {
          event.preventDefault();
          choose(option);
        } else if (expanded) event.preventDefault();
        break;
      }
      case "Escape":
        if (open) {
          event.preventDefault();
          close();
        } else if (edited) {
          event.preventDefault();
          setText(value?.name ?? "");
        }
        break;
      case "Tab":
        close();
        break;
    }
  }

  function onBlur() {
    close();
    if (typed === "") {
      if (value) onChange(null);
      setText("");
    } else if (edited && !create.isPending) setText(value?.name ?? "");
  }

  let status = "";
  if (create.isPending) status = `Creating author “${typed}”…`;
  else if (open && edited && typed && !authors.isFetching && options.length === 0) status = `No authors match “${typed}”.`;
  else if (expanded) status = `${options.length} ${options.length === 1 ? "option" : "options"}; use the arrow keys to choose.`;
  const visibleStatus = create.isPending || (open && options.length === 0 && status !== "");
  const described = [error ? `${id}-error` : null, create.error ? `${id}-create-error` : null].filter(Boolean).join(" ");

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="combobox">
        <div className="combobox-row">
          <input
            id={id}
            ref={input}
            type="text"
            role="combobox"
            autoComplete="off"
            spellCheck={false}
            aria-autocomplete="list"
            aria-expanded={expanded}
            aria-controls={listId}
            aria-activedescendant={expanded && active >= 0 ? optionId(active) : undefined}
            aria-invalid={error ? true : undefined}
            aria-describedby={described || undefined}
            placeholder={placeholder}
            value={text}
            onChange={(event) => {
              setText(event.target.value);
              setOpen(true);
              setActive(-1);
            }}
            onClick={() => setOpen(true)}
            onKeyDown={onKeyDown}
            onBlur={onBlur}
          />
          {clearLabel && value ? (
            <button
              type="button"
              aria-label={clearLabel}
              onClick={() => {
                onChange(null);
                input.current?.focus();
              }}
            >
              Clear
            </button>
          ) : null}
        </div>
        <ul id={listId} role="listbox" aria-label={label} hidden={!expanded} onMouseDown={(event) => event.preventDefault()}>
          {options.map((option, index) => (
            <li
              key={option.kind === "author" ? option.author.id : "create"}
              id={optionId(index)}
              role="option"
              aria-selected={index === active}
              className={option.kind === "create" ? "create-option" : undefined}
              onClick={() => choose(option)}
              onMouseMove={() => setActive(index)}
            >
              {option.kind === "author" ? option.author.name : `Create author “${option.name}”`}
            </li>
          ))}
        </ul>
      </div>
      <p id={`${id}-status`} role="status" className={visibleStatus ? "hint" : "visually-hidden"}>
        {status}
      </p>
      {error ? <p className="field-error" id={`${id}-error`}>{error}</p> : null}
      {create.error ? (
        <p className="field-error" id={`${id}-create-error`} role="alert">
          Could not create the author: {errorMessage(create.error)}
        </p>
      ) : null}
    </div>
  );
}
