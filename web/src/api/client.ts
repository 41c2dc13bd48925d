import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["ProblemDetails"];

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function cookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return null;
}

/**
 * The double-submit CSRF token: the `csrftoken` cookie, which the API sets on any read of `/api/`.
 * A form sent before the page's first read has come back (a quick user, a slow network) would go
 * without it and be refused, so then one read fetches it first.
 */
async function csrfToken(): Promise<string | null> {
  const token = cookie("csrftoken");
  if (token) return token;
  await fetch("/api/me", { credentials: "same-origin" }).catch(() => undefined);
  return cookie("csrftoken");
}

/** Sends the double-submit CSRF token the API asks for on every unsafe request. */
const csrf: Middleware = {
  async onRequest({ request }) {
    if (!UNSAFE.has(request.method)) return request;
    const token = await csrfToken();
    if (token) request.headers.set("X-CSRFToken", token);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(csrf);

/** A failed API call: the HTTP status and the RFC 9457 problem details, with field errors by field. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  readonly fields: Record<string, string>;

  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.fields = {};
    for (const error of problem.errors ?? []) {
      const field = error.field.split(/[.[]/, 1)[0] ?? error.field;
      this.fields[field] ??= error.message;
    }
  }
}

function asProblem(status: number, body: unknown, statusText: string): Problem {
  if (body && typeof body === "object" && "detail" in body) return body as Problem;
  const title = statusText || "Request failed";
  return { type: "about:blank", title, status, detail: status === 0 ? "Cannot reach the server." : title };
}

type Result<D> = { data?: D; error?: unknown; response: Response };

/** Awaits an openapi-fetch call and returns its data, or throws an `ApiError`. */
export async function unwrap<D>(call: Promise<Result<D>>): Promise<D> {
  let result: Result<D>;
  try {
    result = await call;
  } catch {
    throw new ApiError(0, asProblem(0, null, ""));
  }
  const { data, error, response } = result;
  if (!response.ok) throw new ApiError(response.status, asProblem(response.status, error, response.statusText));
  return data as D;
}

/** Multipart upload (covers, imports): openapi-fetch's JSON body path does not fit, so send FormData as is. */
export async function upload<D>(method: "POST" | "PUT", url: string, file: File): Promise<D> {
  const form = new FormData();
  form.append("file", file);
  const headers = new Headers();
  const token = await csrfToken();
  if (token) headers.set("X-CSRFToken", token);
  let response: Response;
  try {
    response = await fetch(url, { method, body: form, headers, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, asProblem(0, null, ""));
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, asProblem(response.status, body, response.statusText));
  return body as D;
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}

export function isStatus(error: unknown, ...statuses: number[]): boolean {
  return error instanceof ApiError && statuses.includes(error.status);
}
