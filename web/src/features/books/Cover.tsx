import { useEffect, useId, useState } from "react";
import { errorMessage, isStatus } from "../../api/client";

export const MAX_COVER_BYTES = 5 * 1024 * 1024;
export const COVER_TYPES = "image/jpeg,image/png,image/webp";

/** A book's cover, or a neutral placeholder of the same size when there is none. */
export function Cover({ url, title, large = false }: { url: string | null; title: string; large?: boolean }) {
  const className = large ? "cover-large" : "cover";
  if (!url) {
    return (
      <div className={`${className} cover-placeholder`} role={large ? "img" : undefined} aria-label={large ? "No cover" : undefined} aria-hidden={large ? undefined : true}>
        <span aria-hidden="true">{title.slice(0, 1).toUpperCase()}</span>
      </div>
    );
  }
  // The thumbnail sits next to the title, so it is decorative there.
  return <img className={className} src={url} alt={large ? `Cover of ${title}` : ""} loading={large ? undefined : "lazy"} />;
}

/** What went wrong with a cover upload, in words. */
export function coverError(error: unknown): string {
  if (isStatus(error, 413)) return "That image is too large: a cover can be at most 5 MiB.";
  if (isStatus(error, 415)) return "That file is not a JPEG, PNG or WebP image.";
  return errorMessage(error);
}

/** Checks a chosen file before it is sent; the server checks again by content. */
export function checkCover(file: File): string | undefined {
  if (file.size > MAX_COVER_BYTES) return "That image is too large: a cover can be at most 5 MiB.";
  if (file.type && !COVER_TYPES.split(",").includes(file.type)) return "Choose a JPEG, PNG or WebP image.";
  return undefined;
}

/** A file input for a cover image with a preview of the chosen file. */
export function CoverInput({
  label,
  file,
  onFile,
  error,
  resetKey = 0,
}: {
  label: string;
  file: File | null;
  onFile: (file: File | null) => void;
  error?: string | undefined;
  resetKey?: number;
}) {
  const id = useId();
  const [preview, setPreview] = useState<string | null>(null);
  useEffect(() => {
    if (!file) {
      setPreview(null);
      return;
    }
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  return (
    <div className="field cover-input">
      <label htmlFor={id}>{label}</label>
      <input
        key={resetKey}
        id={id}
        type="file"
        accept={COVER_TYPES}
        aria-invalid={error ? true : undefined}
        aria-describedby={[`${id}-hint`, error ? `${id}-error` : null].filter(Boolean).join(" ")}
        onChange={(event) => onFile(event.target.files?.[0] ?? null)}
      />
      <p className="hint" id={`${id}-hint`}>
        JPEG, PNG or WebP, at most 5 MiB.
      </p>
      {preview && file ? (
        <figure className="cover-preview">
          <img className="cover" src={preview} alt={`Preview of ${file.name}`} />
          <figcaption className="meta">{file.name}</figcaption>
        </figure>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
