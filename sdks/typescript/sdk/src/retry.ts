/**
 * Automatic retries: a 429 (or a 503 that says when to come back) is retried after the
 * server's Retry-After, a bounded number of times and never for longer than `maxDelay`.
 */

export interface RetryOptions {
  /** Retries after the first attempt (default 2). */
  maxRetries?: number;
  /** Seconds; a longer Retry-After raises RateLimitError at once (default 60). */
  maxDelay?: number;
  /** Seconds; without Retry-After the n-th retry waits backoff * 2^n (default 0.5). */
  backoff?: number;
  /** Replaceable for tests. */
  sleep?: (seconds: number) => Promise<void>;
}

export const defaultSleep = (seconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** Seconds to wait according to `Retry-After` (delta-seconds or an HTTP date). */
export function retryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

/** Seconds before the next attempt, or undefined when `response` is final. */
export function retryDelay(response: Response, attempt: number, options: RetryOptions): number | undefined {
  const { maxRetries = 2, maxDelay = 60, backoff = 0.5 } = options;
  if ((response.status !== 429 && response.status !== 503) || attempt >= maxRetries) return undefined;
  let wait = retryAfter(response.headers);
  if (wait === undefined) {
    if (response.status === 503) return undefined;
    wait = backoff * 2 ** attempt;
  }
  return wait <= maxDelay ? wait : undefined;
}
