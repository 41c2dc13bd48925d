import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, type Schemas, unwrap } from "../../api/client";
import type { User } from "../../auth/session";
import { fieldError } from "../../components/FormError";

/** Auth calls are made by visitors: a 401 (wrong password) is an answer here, not a reason to redirect. */
const anonymous = { allowAnonymous: true };

/** A 429, with the seconds the server asks to wait (its `Retry-After` header), when it gave them. */
export class RateLimitError extends ApiError {
  readonly retryAfter: number | null;

  constructor(error: ApiError, retryAfter: string | null) {
    super(error.status, error.problem);
    const seconds = Number(retryAfter);
    this.retryAfter = retryAfter && Number.isFinite(seconds) && seconds > 0 ? seconds : null;
  }
}

type Call<D> = Promise<{ data?: D; error?: unknown; response: Response }>;

/** Like `unwrap`, but a 429 becomes a `RateLimitError` carrying `Retry-After`. */
async function unwrapLimited<D>(call: Call<D>): Promise<D> {
  try {
    return await unwrap(call);
  } catch (error) {
    if (error instanceof ApiError && error.status === 429) {
      const { response } = await call;
      throw new RateLimitError(error, response.headers.get("Retry-After"));
    }
    throw error;
  }
}

/** "about 3 minutes" for a wait in seconds. */
export function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `about ${minutes} minute${minutes === 1 ? "" : "s"}`;
}

function useSignedIn() {
  const client = useQueryClient();
  return (user: User) => {
    // A different user may sign in on this tab: drop what the previous one could see.
    client.removeQueries({ predicate: (query) => query.queryKey[0] !== "me" });
    client.setQueryData(["me"], user);
  };
}

export function useLogin() {
  const signedIn = useSignedIn();
  return useMutation({
    meta: anonymous,
    mutationFn: (body: Schemas["Login"]) => unwrapLimited(api.POST("/api/auth/login", { body })),
    onSuccess: signedIn,
  });
}

export function useSignup() {
  const signedIn = useSignedIn();
  return useMutation({
    meta: anonymous,
    mutationFn: (body: Schemas["SignUp"]) => unwrapLimited(api.POST("/api/auth/signup", { body })),
    onSuccess: signedIn,
  });
}

export function useForgotPassword() {
  return useMutation({
    meta: anonymous,
    mutationFn: (body: Schemas["ForgotPassword"]) => unwrapLimited(api.POST("/api/auth/forgot-password", { body })),
  });
}

export function useResetPassword() {
  const client = useQueryClient();
  return useMutation({
    meta: anonymous,
    mutationFn: (body: Schemas["ResetPassword"]) => unwrapLimited(api.POST("/api/auth/reset-password", { body })),
    // Every session of that user is revoked, possibly this one.
    onSuccess: () => client.invalidateQueries({ queryKey: ["me"] }),
  });
}

export function useVerifyEmail() {
  const client = useQueryClient();
  return useMutation({
    meta: anonymous,
    mutationFn: (token: string) => unwrapLimited(api.POST("/api/auth/verify-email", { body: { token } })),
    onSettled: () => client.invalidateQueries({ queryKey: ["me"] }),
  });
}

/** A token or link the API refused: its problem names the `token` field. */
export function isInvalidToken(error: unknown): boolean {
  return error instanceof ApiError && error.status === 400 && "token" in error.fields;
}

/** Where to go after signing in: `next` when it is a path on this site, else the books. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/books";
  return next;
}

/** The API's message for `field` ("newPassword is too common…"), worded with the field's label instead. */
export function fieldMessage(error: unknown, field: string, label: string): string | undefined {
  const message = fieldError(error, field);
  return message?.startsWith(`${field} `) ? label + message.slice(field.length) : message;
}

/** A callback ref that moves focus to a message replacing the form it answers, so keyboard users are not lost. */
export function focusOnMount(element: HTMLElement | null): void {
  element?.focus();
}
