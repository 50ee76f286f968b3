"""RS256 access tokens: issue with the current key, verify against the JWKS, cache verifications.

Verification pins the algorithm to RS256 and looks the key up by `kid`, so `alg: none` and an
HS256 token "signed" with the public key (key confusion) fail before any signature check.
An RS256 verify costs tens of microseconds; a verified token is cached by its string until
it expires (bounded) with the `kid` that verified it: a cached token counts only while that
key is still in the ring, so the tokens of a rotated-out key fail at once. Revocation is
checked on every call, cached or not.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
import orjson

from kkcore.errors import InvalidToken
from server.auth.keys import KeyRing
from server.identity import Identity

ACCESS_TTL = 3600
CACHE_SIZE = 10_000
REQUIRED = ["exp", "iat", "iss", "aud", "sub"]
# Most tokens of another issuer come from `kk keys token` run for another address.
MINT_HINT = (
    "; `kk keys token` mints for the server's address when given its --host/--port, or "
    "the same KK_ISSUER/KK_AUDIENCE"
)


def invalid(detail: str) -> InvalidToken:
    """401 INVALID_TOKEN with the RFC 6750 challenge."""
    return InvalidToken(
        detail,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{detail}"'},
    )


@dataclass
class Revocations:
    """Revoked access tokens (by `jti`, until they expire) and token families (by `sid`)."""

    jtis: dict[str, float] = field(default_factory=dict)
    families: set[str] = field(default_factory=set)

    def covers(self, claims: Mapping[str, Any]) -> bool:
        return claims.get("jti") in self.jtis or claims.get("sid") in self.families

    def prune(self, now: float) -> None:
        for jti in [j for j, exp in self.jtis.items() if exp <= now]:
            del self.jtis[jti]


class AccessTokens:
    """Issues and verifies the RS256 JWT access tokens of one issuer and audience."""

    def __init__(
        self,
        keys: KeyRing,
        issuer: str,
        audience: str,
        *,
        ttl: int = ACCESS_TTL,
        cache_size: int = CACHE_SIZE,
        revocations: Revocations | None = None,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl
        self.cache_size = cache_size
        self.revocations = revocations or Revocations()
        self._cache: dict[str, tuple[Identity, float, str]] = {}  # token: (who, exp, kid)

    def issue(
        self,
        subject: str,
        scopes: Iterable[str],
        *,
        user_type: str = "patient",
        verified: bool = True,
        ttl: int | None = None,
        **extra: Any,
    ) -> tuple[str, dict[str, Any]]:
        """A signed token and its claims (the reference's claims plus jti and any `extra`)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": subject,
            "iss": self.issuer,
            "aud": self.audience,
            "exp": now + (self.ttl if ttl is None else ttl),
            "iat": now,
            "scope": " ".join(sorted(set(scopes))),
            "user_type": user_type,
            "verified": verified,
            "jti": os.urandom(12).hex(),
            **{k: v for k, v in extra.items() if v is not None},
        }
        key = self.keys.current
        token = jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid})
        return token, claims

    def verify(self, token: str) -> Identity:
        """The caller a token names, or InvalidToken (malformed, forged, expired, revoked...)."""
        now = time.time()
        hit = self._cache.get(token)
        if hit is not None and hit[1] > now and self.keys.find(hit[2]) is not None:
            identity = hit[0]
        else:
            identity, kid = self._verify(token)
            self._remember(token, (identity, float(identity.claims["exp"]), kid), now)
        if self.revocations.covers(identity.claims):
            raise invalid("The token has been revoked")
        return identity

    def _verify(self, token: str) -> tuple[Identity, str]:
        header = _header(token)
        if header is None:
            raise invalid("The token is not a well-formed JWT")
        if header.get("alg") != "RS256":
            raise invalid(f"Tokens must be signed with RS256, not {header.get('alg')!r}")
        key = self.keys.find(str(header.get("kid", "")))
        if key is None:
            raise invalid("The token was signed with an unknown key")
        try:
            claims = jwt.decode(
                token,
                key.public,
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": REQUIRED},
            )
        except jwt.ExpiredSignatureError as e:
            raise invalid("The token has expired") from e
        except jwt.InvalidAudienceError as e:
            got = _unverified(token, "aud")
            raise invalid(
                f"The token is meant for audience {got!r}, not this server's {self.audience!r}"
                f"{MINT_HINT}"
            ) from e
        except jwt.InvalidIssuerError as e:
            got = _unverified(token, "iss")
            raise invalid(
                f"The token was issued by {got!r}, not by this server's issuer {self.issuer!r}"
                f"{MINT_HINT}"
            ) from e
        except jwt.InvalidSignatureError as e:
            raise invalid("The token signature does not verify") from e
        except jwt.PyJWTError as e:
            raise invalid(f"The token is invalid: {e}") from e
        return identity_of(claims), key.kid

    def _remember(self, token: str, entry: tuple[Identity, float, str], now: float) -> None:
        cache = self._cache
        if len(cache) >= self.cache_size:
            for stale in [t for t, (_, exp, _kid) in cache.items() if exp <= now]:
                del cache[stale]
            if len(cache) >= self.cache_size:  # still full: drop the oldest half
                for old in list(cache)[: self.cache_size // 2]:
                    del cache[old]
        cache[token] = entry

    def peek(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this issuer signed, even if expired or revoked (for RFC 7009)."""
        header = _header(token)
        key = self.keys.find(str(header.get("kid", ""))) if header is not None else None
        if key is None or header is None or header.get("alg") != "RS256":
            return None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.public,
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"verify_exp": False},
            )
        except jwt.PyJWTError:
            return None
        return claims


def _header(token: str) -> dict[str, Any] | None:
    """The JOSE header, parsed once (PyJWT's own check of it costs ~100 µs per token)."""
    segment = token.split(".", 1)[0]
    try:
        header = orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return None
    return header if isinstance(header, dict) and token.count(".") == 2 else None


def _unverified(token: str, claim: str) -> Any:
    """A claim of a token whose signature PyJWT has already verified (it checks the
    signature before iss and aud), to name it in the error."""
    try:
        return jwt.decode(token, options={"verify_signature": False}).get(claim)
    except jwt.PyJWTError:
        return None


def identity_of(claims: dict[str, Any]) -> Identity:
    scope = claims.get("scope", "")
    return Identity(
        subject=str(claims["sub"]),
        scopes=frozenset(scope.split() if isinstance(scope, str) else ()),
        kind="jwt",
        user_type=str(claims.get("user_type", "patient")),
        tier=str(claims.get("tier", "free")),
        claims=claims,
    )
