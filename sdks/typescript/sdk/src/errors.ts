/** One error hierarchy; API errors carry the JSON:API error objects of the answer. */

/** One entry of a JSON:API error document's `errors`. */
export interface ErrorObject {
  id?: string;
  status?: string;
  code?: string;
  title?: string;
  detail?: string;
  source?: { pointer?: string; parameter?: string };
  meta?: Record<string, unknown>;
}

export class KlearKarmaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ConfigurationError extends KlearKarmaError {}

/** The API could not be reached (network failure, timeout). */
export class APIConnectionError extends KlearKarmaError {}

export class WebhookSignatureError extends KlearKarmaError {}

/** A non-2xx answer. `errors` are its JSON:API error objects; `code` is the first one's. */
export class APIError extends KlearKarmaError {
  readonly status: number;
  readonly errors: ErrorObject[];
  readonly code: string | undefined;
  readonly detail: string | undefined;
  readonly meta: Record<string, unknown>;
  readonly requestId: string | undefined;
  readonly headers: Headers;
  readonly body: unknown;

  constructor(status: number, body: unknown, headers: Headers) {
    const doc = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
    const errors = Array.isArray(doc.errors) ? (doc.errors as ErrorObject[]) : [];
    const first = errors[0] ?? {};
    const code = first.code ?? (typeof doc.error === "string" ? doc.error : undefined);
    const detail =
      first.detail ?? (typeof doc.error_description === "string" ? doc.error_description : undefined);
    const summary = errors.length
      ? errors.map((e) => `${e.code}: ${e.detail ?? e.title}`).join("; ")
      : `${code}: ${detail}`;
    super(`${status} ${summary}`);
    this.status = status;
    this.errors = errors;
    this.code = code;
    this.detail = detail;
    this.meta = (doc.meta ?? {}) as Record<string, unknown>;
    this.requestId = (this.meta.request_id as string | undefined) ?? headers.get("x-request-id") ?? undefined;
    this.headers = headers;
    this.body = body;
  }
}

/** An RFC 6749 error of the token or revocation endpoint. */
export class OAuthError extends APIError {}
export class BadRequestError extends APIError {}
export class AuthenticationError extends APIError {}
export class PaymentRequiredError extends APIError {}
export class PermissionDeniedError extends APIError {}
export class NotFoundError extends APIError {}
export class ConflictError extends APIError {}
export class UnprocessableEntityError extends APIError {}
export class InternalServerError extends APIError {}

/** 429. `retryAfter` is the server's Retry-After in seconds, when it sent one. */
export class RateLimitError extends APIError {
  readonly retryAfter: number | undefined;

  constructor(status: number, body: unknown, headers: Headers, retryAfter: number | undefined) {
    super(status, body, headers);
    this.retryAfter = retryAfter;
  }
}

const BY_STATUS: Record<number, typeof APIError> = {
  400: BadRequestError,
  401: AuthenticationError,
  402: PaymentRequiredError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: UnprocessableEntityError,
};

export function errorFor(
  status: number,
  body: unknown,
  headers: Headers,
  options: { oauth?: boolean; retryAfter?: number } = {},
): APIError {
  if (status === 429) return new RateLimitError(status, body, headers, options.retryAfter);
  if (options.oauth && body && typeof body === "object" && "error" in body) {
    return new OAuthError(status, body, headers);
  }
  if (status >= 500) return new InternalServerError(status, body, headers);
  const Class = BY_STATUS[status] ?? APIError;
  return new Class(status, body, headers);
}
