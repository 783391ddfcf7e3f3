// The one HTTP error type: a status, a stable code, and the field at fault when there is one.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Extra response headers, e.g. Retry-After on a 429 or 503. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

export const notFound = () => new HttpError(404, "not_found", "not found");
export const unauthorized = () => new HttpError(401, "unauthorized", "missing or wrong bearer token");
export const invalidPayload = (message: string, field?: string) => new HttpError(422, "invalid_payload", message, field);
/** The store failed or is overloaded: the client may retry after a few seconds; never a 500. */
export const storeUnavailable = (message = "the store is busy or unreachable; retry later") =>
  new HttpError(503, "store_unavailable", message, undefined, { "retry-after": String(STORE_RETRY_AFTER_S) });
export const STORE_RETRY_AFTER_S = 5;
