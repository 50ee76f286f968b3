/**
 * `KlearKarmaClient`: configuration plus the generated namespaces.
 *
 *   const client = new KlearKarmaClient({ apiKey: "...", environment: "production" });
 *   const practitioners = await client.practitioners.search({ specialization: "yoga" });
 */

import { ConfigurationError } from "./errors.js";
import { Namespaces } from "./generated/resources.js";
import { API_VERSION, AUTH_SERVERS, BASE_PATH, ENVIRONMENTS, type Environment } from "./generated/spec.js";
import { OAuth } from "./login.js";
import type { TokenSet } from "./oauth.js";
import type { RetryOptions } from "./retry.js";
import { Transport } from "./transport.js";

export interface KlearKarmaClientOptions {
  /** Server-to-server API key (sent as a bearer token); KLEARKARMA_API_KEY in Node when omitted. */
  apiKey?: string;
  /** production (default), staging, development or sandbox; KLEARKARMA_ENVIRONMENT in Node. */
  environment?: Environment;
  /** An explicit base URL, e.g. http://127.0.0.1:8000 for a local `kk sandbox` (`/v1` is added). */
  baseUrl?: string;
  /** OAuth tokens (with `clientId`, refreshed automatically). */
  tokens?: TokenSet;
  clientId?: string;
  /** Called whenever the client obtains new tokens (store them to stay signed in). */
  onTokens?: (tokens: TokenSet) => void;
  retry?: RetryOptions;
  /** Per request, in milliseconds (default 30 s). */
  timeout?: number;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.[name] || undefined;
}

function origin(url: string): string {
  return new URL(url).origin;
}

/** [REST base URL, origin of the OAuth endpoints]. */
export function resolveUrls(environment?: string, baseUrl?: string): [string, string] {
  const explicit = baseUrl ?? env("KLEARKARMA_BASE_URL");
  if (explicit) {
    let parsed: URL;
    try {
      parsed = new URL(explicit);
    } catch {
      throw new ConfigurationError(`baseUrl must be an absolute http(s) URL, not ${JSON.stringify(explicit)}`);
    }
    let base = explicit.replace(/\/+$/, "");
    if (parsed.pathname.replace(/\/+$/, "") === "") base += BASE_PATH;
    return [base, origin(base)];
  }
  const name = environment ?? env("KLEARKARMA_ENVIRONMENT") ?? "production";
  const url = (ENVIRONMENTS as Record<string, string>)[name];
  if (!url) {
    throw new ConfigurationError(
      `unknown environment ${JSON.stringify(name)} (one of ${Object.keys(ENVIRONMENTS).join(", ")}, or a baseUrl)`,
    );
  }
  return [url, (AUTH_SERVERS as Record<string, string>)[name] ?? origin(url)];
}

/** A client of the Klear Karma API. */
export class KlearKarmaClient extends Namespaces {
  readonly oauth: OAuth;
  readonly transport: Transport;

  constructor(options: KlearKarmaClientOptions = {}) {
    const [baseUrl, authUrl] = resolveUrls(options.environment, options.baseUrl);
    const transport = new Transport({
      baseUrl,
      authUrl,
      apiKey: options.apiKey ?? (options.tokens ? undefined : env("KLEARKARMA_API_KEY")),
      tokens: options.tokens,
      clientId: options.clientId,
      onTokens: options.onTokens,
      headers: {
        Accept: "application/json",
        ...(typeof window === "undefined" ? { "User-Agent": `klearkarma-js/${API_VERSION}` } : {}),
        ...options.headers,
      },
      retry: options.retry ?? {},
      timeoutMs: options.timeout ?? 30_000,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    });
    super(transport);
    this.transport = transport;
    this.oauth = new OAuth(transport);
  }

  get baseUrl(): string {
    return this.transport.config.baseUrl;
  }

  /** The OAuth tokens in use (they change when the client refreshes them). */
  get tokens(): TokenSet | undefined {
    return this.transport.config.tokens;
  }
}
