"""Secrets the server must read back, encrypted at rest: the TOTP secrets of two-factor
sign-in (a digest would not do: checking a code needs the secret itself).

Stored as `fernet:<token>`: Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`)
under a key stretched with HKDF-SHA256 from each of `Settings.totp_keys()`, so any random
string of 32 bytes or more serves as a key. The first key encrypts; every key decrypts,
which is how keys rotate: put a new key first, keep the old one after it until every
secret was sealed again (each is, on its next successful code).

A stored value without the prefix is a secret from before encryption (migration 0014
encrypts them when it is given the keys): it is read as is, and sealed on next use too.
"""

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.config import Settings

PREFIX = "fernet:"
# Separates these keys from any other use of the same secret (the JWT secret outside
# production): a key derived for one purpose says nothing about another.
_HKDF_INFO = b"coach-api totp secrets v1"


class UnreadableSecret(Exception):
    """No configured key decrypts the value: a key it needs was removed from the list."""


@dataclass(frozen=True, slots=True)
class Opened:
    value: str
    # In clear text, or under a key other than the current one: seal it again.
    stale: bool


class SecretBox:
    """Seal with the first key, open with any."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernets = [Fernet(_fernet_key(key)) for key in keys]

    def seal(self, value: str) -> str:
        return PREFIX + self._fernets[0].encrypt(value.encode()).decode()

    def open(self, stored: str) -> Opened:
        if not is_sealed(stored):
            return Opened(stored, stale=True)
        token = stored[len(PREFIX) :].encode()
        for position, fernet in enumerate(self._fernets):
            try:
                value = fernet.decrypt(token)
            except InvalidToken:
                continue
            return Opened(value.decode(), stale=position > 0)
        raise UnreadableSecret("no configured key decrypts this value")


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def _fernet_key(secret: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(derived)


def totp_secrets(settings: Settings) -> SecretBox:
    """The box for TOTP secrets under `settings`' keys."""
    return _box(tuple(settings.totp_keys()))


@lru_cache(maxsize=8)
def _box(keys: tuple[str, ...]) -> SecretBox:
    return SecretBox(keys)
