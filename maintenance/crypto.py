"""Encryption of secrets at rest (API keys), with Fernet from ``cryptography``.

HMAC needs the key in clear, so a hash cannot serve: keys are encrypted with the keys of
``CREDENTIALS_ENCRYPTION_KEY``. The first encrypts; all decrypt, so the encryption key can be
rotated (``MultiFernet.rotate``).
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "CREDENTIALS_ENCRYPTION_KEY must be one or more comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes each)"
        ) from exc


def _current() -> MultiFernet:
    return _fernet(tuple(settings.CREDENTIALS_ENCRYPTION_KEYS))


def encrypt(secret: str) -> str:
    return _current().encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise SecretUnreadable("the secret cannot be decrypted with any configured key") from exc


def reencrypt(token: str) -> str:
    """The same secret under the current first key."""
    return _current().rotate(token.encode("ascii")).decode("ascii")
