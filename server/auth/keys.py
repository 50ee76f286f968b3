"""RSA signing keys kept in the data directory; the JWKS serves the current and previous key.

Keys are generated on first start into `<data_dir>/keys/` (PKCS#8 PEM, mode 0600, never
committed). A key's `kid` is its RFC 7638 thumbprint. `rotate()` adds a new current key; the
previous one stays in the JWKS so tokens it signed keep verifying until they expire.
A running server sees a rotation made by another process (`kk keys rotate-signing-key`, a
worker): whenever the ring is used it lists the key folder, at most once every
CHECK_INTERVAL seconds (a directory listing: microseconds), and re-reads it when the key
files changed; from then on it signs with the new key and serves the new JWKS.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from jwt.algorithms import RSAAlgorithm

KEY_BITS = 2048
KEEP = 2  # current + previous
CHECK_INTERVAL = 1.0  # seconds between looks at the key folder for a rotation


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey
    public: rsa.RSAPublicKey

    def jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.public, as_dict=True)
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, **_ne(jwk)}


def _ne(jwk: dict[str, Any]) -> dict[str, str]:
    return {"n": jwk["n"], "e": jwk["e"]}


def thumbprint(public: rsa.RSAPublicKey) -> str:
    """The RFC 7638 JWK thumbprint (base64url SHA-256 of the canonical public JWK)."""
    jwk = _ne(RSAAlgorithm.to_jwk(public, as_dict=True))
    canonical = f'{{"e":"{jwk["e"]}","kty":"RSA","n":"{jwk["n"]}"}}'.encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # Several processes (workers, test runs) may start at once; one of them generates.
    with open(directory / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# Keys this process generated or already loaded, by the SHA-256 of their PEM file. OpenSSL's
# RSA consistency check costs ~45 ms of CPU a key; it runs once per file content a process
# reads from elsewhere (another process, `kk keys`, an operator's copy), never on a key
# generated here, and every app build of a process (tests build hundreds) reuses the result.
_KNOWN: dict[bytes, PrivateKeyTypes] = {}


def _loaded(pem: bytes) -> PrivateKeyTypes:
    digest = hashlib.sha256(pem).digest()
    known = _KNOWN.get(digest)
    if known is None:
        known = _KNOWN[digest] = serialization.load_pem_private_key(pem, password=None)
    return known


class KeyRing:
    """The signing keys of one data directory, newest last."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.keys: list[SigningKey] = []
        self._by_kid: dict[str, SigningKey] = {}
        self._names: tuple[str, ...] = ()
        self._checked_at = 0.0
        directory.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            directory.chmod(0o700)
        with _locked(directory):
            if not self._files():
                self._generate()
        self.reload()

    def _files(self) -> list[Path]:
        return sorted(self.directory.glob("*.pem"))

    def _generate(self) -> None:
        private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _KNOWN[hashlib.sha256(pem).digest()] = private
        kid = thumbprint(private.public_key())
        # Names sort by creation time; the kid is in the name for people reading the folder.
        path = self.directory / f"{time.time_ns():020d}-{kid}.pem"
        fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        os.replace(path.with_suffix(".tmp"), path)

    def reload(self) -> None:
        keys: list[SigningKey] = []
        files = self._files()
        for path in files[-KEEP:]:
            private = _loaded(path.read_bytes())
            if not isinstance(private, rsa.RSAPrivateKey):
                continue
            public = private.public_key()
            keys.append(SigningKey(thumbprint(public), private, public))
        self.keys = keys
        self._by_kid = {k.kid: k for k in keys}
        self._names = tuple(p.name for p in files)
        self._checked_at = time.monotonic()

    def refresh(self) -> None:
        """Re-read the folder if its key files changed (looked at every CHECK_INTERVAL s)."""
        if time.monotonic() - self._checked_at < CHECK_INTERVAL:
            return
        self._checked_at = time.monotonic()
        try:
            names = tuple(p.name for p in self._files())
        except OSError:
            return  # keep serving the keys in memory
        if names != self._names and names:
            self.reload()

    @property
    def current(self) -> SigningKey:
        self.refresh()
        return self.keys[-1]

    def find(self, kid: str) -> SigningKey | None:
        """The key named `kid`, if it is still in the ring (current or previous)."""
        self.refresh()
        return self._by_kid.get(kid)

    def rotate(self) -> SigningKey:
        """Make a new current key; keys older than the previous one are deleted."""
        with _locked(self.directory):
            self._generate()
            for old in self._files()[:-KEEP]:
                old.unlink()
        self.reload()
        return self.current

    def jwks(self) -> dict[str, Any]:
        self.refresh()
        return {"keys": [k.jwk() for k in reversed(self.keys)]}
