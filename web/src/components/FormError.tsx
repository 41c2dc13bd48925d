import { ApiError, errorMessage } from "../api/client";

/** The form-level message of a failed mutation: the problem's detail, unless every field error is shown inline. */
export function FormError({ error, shownFields = [] }: { error: unknown; shownFields?: string[] }) {
  if (!error) return null;
  if (error instanceof ApiError) {
    const fields = Object.keys(error.fields);
    if (fields.length > 0 && fields.every((field) => shownFields.includes(field))) {
      return <p className="form-error" role="alert">Please correct the highlighted fields.</p>;
    }
  }
  return <p className="form-error" role="alert">{errorMessage(error)}</p>;
}

/** The inline message for `field`, when the API named it. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.fields[field] : undefined;
}
