"""Identity and limits: OAuth 2.0 + PKCE, RS256 JWTs, API keys, object-level access, rate limits.

Where each check lives:

- `keys.py`      RSA signing keys in the data directory, JWKS (current + previous), rotation
- `tokens.py`    RS256 access tokens: issue, verify (alg pinned, kid looked up), cache, revocation
- `api_keys.py`  API keys: stored hashed, shown once, scopes and a rate-limit tier
- `services.py`  the Authenticator (JWT or API key) and the assembly of all of the above
- `oauth.py`     authorization code + PKCE (S256), refresh rotation and reuse detection, RFC 7009
- `clients.py`, `users.py`, `store.py`   clients, users (argon2id), durable state (SQLite)
- `access.py`    object-level authorization from the spec's `x-owner` (pipeline steps)
- `limits.py`    rate limits: account tiers (middleware) and `x-rate-limit` classes (pipeline)
- `formats.py`, `errors.py`   RFC 6749 error answers (`x-error-format: oauth | oauth-authorize`)

Scopes themselves are checked by `server.identity.authorize` from each operation's security
requirement (REST) and `@requiresScopes` (GraphQL).
"""
