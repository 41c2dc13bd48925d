import { FormError } from "../../components/FormError";
import { RateLimitError, waitText } from "./api";

/** FormError for the auth forms: a 429 also says how long to wait before trying again. */
export function AuthError({ error, shownFields }: { error: unknown; shownFields?: string[] }) {
  if (error instanceof RateLimitError) {
    const wait = error.retryAfter ? `Please wait ${waitText(error.retryAfter)}` : "Please wait a while";
    return (
      <p className="form-error" role="alert">
        {error.message} {wait} before trying again.
      </p>
    );
  }
  return <FormError error={error} shownFields={shownFields} />;
}
