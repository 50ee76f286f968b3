/**
 * OAuth 2.0 authorization code flow with PKCE (S256), token refresh and revocation.
 *
 *   const request = await client.oauth.authorizationRequest({ redirectUri, scopes: ["read:profile"] });
 *   // send the user to request.url; the redirect brings back ?code=...&state=...
 *   const tokens = await client.oauth.exchangeCode(code, request); // the client now uses them
 *
 * Uses the Web Crypto API (browsers, Node 18+).
 */

import { OAUTH } from "./generated/spec.js";

export interface PKCE {
  verifier: string;
  challenge: string;
  method: "S256";
}

export interface AuthorizationRequest {
  url: string;
  state: string;
  codeVerifier: string;
  redirectUri: string;
  clientId: string;
}

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  tokenType: string;
  /** Milliseconds since the epoch. */
  expiresAt?: number;
  scope: string;
}

export const REFRESH_LEEWAY_MS = 30_000;

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export async function generatePKCE(length = 64): Promise<PKCE> {
  if (length < 43 || length > 128) throw new RangeError("a PKCE code verifier has 43 to 128 characters");
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(96))).slice(0, length);
  return { verifier, challenge: await challengeOf(verifier), method: "S256" };
}

export async function authorizationUrl(options: {
  authUrl: string;
  clientId: string;
  redirectUri: string;
  scopes?: string[];
  state?: string;
  pkce?: PKCE;
}): Promise<AuthorizationRequest> {
  const pkce = options.pkce ?? (await generatePKCE());
  const state = options.state ?? base64url(crypto.getRandomValues(new Uint8Array(16)));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    state,
    code_challenge: pkce.challenge,
    code_challenge_method: pkce.method,
  });
  if (options.scopes?.length) query.set("scope", options.scopes.join(" "));
  return {
    url: `${options.authUrl}${OAUTH.authorizationUrl}?${query}`,
    state,
    codeVerifier: pkce.verifier,
    redirectUri: options.redirectUri,
    clientId: options.clientId,
  };
}

export function tokenSetOf(body: Record<string, unknown>, now: number = Date.now()): TokenSet {
  const expiresIn = body.expires_in;
  return {
    accessToken: String(body.access_token),
    refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : undefined,
    tokenType: typeof body.token_type === "string" ? body.token_type : "Bearer",
    expiresAt: typeof expiresIn === "number" ? now + expiresIn * 1000 : undefined,
    scope: typeof body.scope === "string" ? body.scope : "",
  };
}

export function expired(tokens: TokenSet, now: number = Date.now()): boolean {
  return tokens.expiresAt !== undefined && now >= tokens.expiresAt - REFRESH_LEEWAY_MS;
}

export const tokenPath = (): string => OAUTH.refreshUrl ?? OAUTH.tokenUrl;
export const METADATA_PATH = "/.well-known/oauth-authorization-server";
