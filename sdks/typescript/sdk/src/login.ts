/** `client.oauth`: sign a user in with the authorization code flow and PKCE. */

import { ConfigurationError } from "./errors.js";
import { type AuthorizationRequest, authorizationUrl, METADATA_PATH, type PKCE, tokenPath, type TokenSet } from "./oauth.js";
import type { Transport } from "./transport.js";

export class OAuth {
  constructor(private readonly transport: Transport) {}

  /** The URL to send the user to, with a fresh state and PKCE verifier. */
  authorizationRequest(options: {
    redirectUri: string;
    scopes?: string[];
    clientId?: string;
    state?: string;
    pkce?: PKCE;
  }): Promise<AuthorizationRequest> {
    const config = this.transport.config;
    const clientId = options.clientId ?? config.clientId;
    if (!clientId) throw new ConfigurationError("an OAuth clientId is needed (new KlearKarmaClient({clientId}))");
    config.clientId = clientId;
    return authorizationUrl({ ...options, authUrl: config.authUrl, clientId });
  }

  /** Redeem the code of `request`; the client uses (and refreshes) the tokens. */
  async exchangeCode(code: string, request: AuthorizationRequest): Promise<TokenSet> {
    const body = new URLSearchParams({
      grant_type: "authorization_code",
      client_id: request.clientId,
      code,
      redirect_uri: request.redirectUri,
      code_verifier: request.codeVerifier,
    });
    const config = this.transport.config;
    const response = await this.transport.raw(config.authUrl + tokenPath(), {
      method: "POST",
      headers: { ...config.headers },
      body,
    });
    return this.transport.store((await this.transport.check(response, true)) as Record<string, unknown>);
  }

  refresh(): Promise<TokenSet> {
    return this.transport.refresh();
  }

  /** Revoke `token` (default: the refresh token in use) at the server's revocation endpoint. */
  async revoke(token?: string): Promise<void> {
    const config = this.transport.config;
    const value = token ?? config.tokens?.refreshToken ?? config.tokens?.accessToken;
    if (!value) throw new ConfigurationError("no token to revoke");
    const metadata = (await this.transport.check(
      await this.transport.raw(config.authUrl + METADATA_PATH, { method: "GET", headers: { ...config.headers } }),
    )) as Record<string, unknown>;
    const endpoint = metadata.revocation_endpoint;
    if (typeof endpoint !== "string") throw new ConfigurationError("the authorization server publishes no revocation_endpoint");
    const form = new URLSearchParams({ token: value });
    if (config.clientId) form.set("client_id", config.clientId);
    const response = await this.transport.raw(config.authUrl + new URL(endpoint, config.authUrl).pathname, {
      method: "POST",
      headers: { ...config.headers },
      body: form,
    });
    await this.transport.check(response, true);
  }
}
