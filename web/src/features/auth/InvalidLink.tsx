import { Link } from "react-router";
import { focusOnMount } from "./api";

/** What a mailed link that the API refused (or that lost its token) leads to. */
export function InvalidLink({ requestAgain }: { requestAgain: { to: string; label: string } }) {
  return (
    <>
      <p className="error-box" role="alert" tabIndex={-1} ref={focusOnMount}>This link is invalid or has expired.</p>
      <p>
        <Link to={requestAgain.to}>{requestAgain.label}</Link>
      </p>
    </>
  );
}
