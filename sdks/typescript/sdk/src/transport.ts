/** Send one call: credentials, token refresh, retries on 429, typed errors, unwrapping. */

import { bodyOf, buildRequest, type RequestParts, unwrap } from "./encoding.js";
import { APIConnectionError, errorFor } from "./errors.js";
import { OPERATIONS } from "./generated/operations.js";
import { expired, tokenPath, tokenSetOf, type TokenSet } from "./oauth.js";
import { makePage, type Page } from "./pagination.js";
import { defaultSleep, retryAfter, retryDelay, type RetryOptions } from "./retry.js";
import type { Operation } from "./types.js";

export interface TransportConfig {
  baseUrl: string;
  authUrl: string;
  apiKey?: string;
  tokens?: TokenSet;
  clientId?: string;
  headers: Record<string, string>;
  retry: RetryOptions;
  timeoutMs: number;
  fetch: typeof fetch;
  onTokens?: (tokens: TokenSet) => void;
}

export class Transport {
  private refreshing: Promise<TokenSet> | undefined;

  constructor(readonly config: TransportConfig) {}

  async call(operationId: string, path: Record<string, unknown>, params: Record<string, unknown>): Promise<unknown> {
    const op = OPERATIONS[operationId];
    if (!op) throw new Error(`unknown operation ${operationId}`);
    const inputs = { ...path, ...params };
    const response = await this.send(buildRequest(op, inputs));
    const body = await this.check(response);
    if (op.result !== "page" || !body || typeof body !== "object") return unwrap(op, body);
    const offsetName = Object.keys(op.inputs).find((k) => {
      const spec = op.inputs[k];
      return spec?.[0] === "query" && spec[1] === "offset";
    });
    const start = offsetName && typeof inputs[offsetName] === "number" ? (inputs[offsetName] as number) : 0;
    return makePage(body as Record<string, unknown>, start, (offset) =>
      this.call(operationId, path, { ...params, ...(offsetName ? { [offsetName]: offset } : {}) }) as Promise<Page<unknown>>,
    );
  }

  async check(response: Response, oauth = false): Promise<unknown> {
    const body = await bodyOf(response);
    if (response.ok) return body;
    throw errorFor(response.status, body, response.headers, { oauth, retryAfter: retryAfter(response.headers) });
  }

  get refreshable(): boolean {
    return Boolean(this.config.tokens?.refreshToken && this.config.clientId);
  }

  async send(parts: RequestParts): Promise<Response> {
    let refreshed = false;
    for (let attempt = 0; ; ) {
      if (this.refreshable && this.config.tokens && expired(this.config.tokens)) {
        await this.refresh();
        refreshed = true;
      }
      const response = await this.fetch(parts);
      if (response.status === 401 && this.refreshable && !refreshed) {
        await response.body?.cancel();
        await this.refresh();
        refreshed = true;
        continue;
      }
      const delay = retryDelay(response, attempt, this.config.retry);
      if (delay === undefined) return response;
      await response.body?.cancel();
      await (this.config.retry.sleep ?? defaultSleep)(delay);
      attempt += 1;
    }
  }

  private async fetch(parts: RequestParts): Promise<Response> {
    const url = new URL(this.config.baseUrl + parts.path);
    for (const [k, v] of parts.query) url.searchParams.append(k, v);
    const headers: Record<string, string> = { ...this.config.headers, ...parts.headers };
    const secret = this.config.tokens?.accessToken ?? this.config.apiKey;
    if (secret) headers.Authorization = `Bearer ${secret}`;
    return this.raw(url.toString(), { method: parts.method, headers, body: parts.body });
  }

  async raw(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.config.fetch(url, { ...init, signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch (cause) {
      throw new APIConnectionError(`${init.method ?? "GET"} ${url}: ${String(cause)}`, { cause });
    }
  }

  /** New tokens from the refresh token; concurrent callers share one refresh. */
  refresh(): Promise<TokenSet> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<TokenSet> {
    const { tokens, clientId } = this.config;
    if (!tokens?.refreshToken || !clientId) throw new Error("nothing to refresh");
    const body = new URLSearchParams({ grant_type: "refresh_token", client_id: clientId, refresh_token: tokens.refreshToken });
    const response = await this.raw(this.config.authUrl + tokenPath(), {
      method: "POST",
      headers: { ...this.config.headers },
      body,
    });
    return this.store((await this.check(response, true)) as Record<string, unknown>);
  }

  store(body: Record<string, unknown>): TokenSet {
    const tokens = tokenSetOf(body);
    if (!tokens.refreshToken && this.config.tokens?.refreshToken) tokens.refreshToken = this.config.tokens.refreshToken;
    this.config.tokens = tokens;
    this.config.onTokens?.(tokens);
    return tokens;
  }
}

/** Base of the generated namespaces (`client.bookings`, ...): each method is one call. */
export class Resource {
  constructor(protected readonly transport: Transport) {}

  protected call(operationId: string, path: Record<string, unknown>, params: object): Promise<unknown> {
    return this.transport.call(operationId, path, params as Record<string, unknown>);
  }
}

export type { Operation };
