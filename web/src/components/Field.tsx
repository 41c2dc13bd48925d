import { type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes, useId } from "react";

type Common = { label: string; error?: string | undefined; hint?: ReactNode };

/** A labelled input whose error (from the API's problem details) is announced and tied to it. */
export function Field({ label, error, hint, id, ...input }: Common & InputHTMLAttributes<HTMLInputElement>) {
  const generated = useId();
  const inputId = id ?? generated;
  const described = [hint ? `${inputId}-hint` : null, error ? `${inputId}-error` : null].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} aria-invalid={error ? true : undefined} aria-describedby={described || undefined} {...input} />
      {hint ? <p className="hint" id={`${inputId}-hint`}>{hint}</p> : null}
      {error ? <p className="field-error" id={`${inputId}-error`}>{error}</p> : null}
    </div>
  );
}

export function TextAreaField({ label, error, hint, id, ...area }: Common & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const generated = useId();
  const areaId = id ?? generated;
  const described = [hint ? `${areaId}-hint` : null, error ? `${areaId}-error` : null].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={areaId}>{label}</label>
      <textarea id={areaId} aria-invalid={error ? true : undefined} aria-describedby={described || undefined} {...area} />
      {hint ? <p className="hint" id={`${areaId}-hint`}>{hint}</p> : null}
      {error ? <p className="field-error" id={`${areaId}-error`}>{error}</p> : null}
    </div>
  );
}
