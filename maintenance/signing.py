"""Request signing, both directions: one function checks the OMS's requests and signs Seller
Center's own calls to the OMS (oms-api.md §3).

``Signature`` is the lowercase hex HMAC-SHA256, keyed with the system's API key, of every other
URL parameter, sorted by name, names and values percent-encoded per RFC 3986, joined as
``name=value`` pairs with ``&``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import quote

SIGNATURE_PARAMETER = "Signature"


def _encode(text: str) -> str:
    # RFC 3986: only A-Z a-z 0-9 - _ . ~ stay as they are.
    return quote(text, safe="-_.~")


def string_to_sign(parameters: Mapping[str, str]) -> str:
    """The canonical string of every parameter but ``Signature``."""
    pairs = sorted(
        (name, value) for name, value in parameters.items() if name != SIGNATURE_PARAMETER
    )
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in pairs)


def sign(parameters: Mapping[str, str], key: str) -> str:
    """The signature of ``parameters`` under ``key``."""
    message = string_to_sign(parameters).encode("utf-8")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def matching_key(parameters: Mapping[str, str], signature: str, keys: Iterable[str]) -> int | None:
    """The index of the key in ``keys`` that produced ``signature``, or None.

    Every key is tried and each comparison takes constant time, so the answer's timing tells
    nothing about which key (if any) matched or how much of the signature was right.
    """
    found: int | None = None
    given = (signature or "").lower().encode("ascii", "replace")
    for index, key in enumerate(keys):
        expected = sign(parameters, key).encode("ascii")
        if hmac.compare_digest(expected, given) and found is None:
            found = index
    return found


def query_string(parameters: Mapping[str, str]) -> str:
    """The URL query for ``parameters`` (Signature included), encoded as they are signed."""
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in parameters.items())
