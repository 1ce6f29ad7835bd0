"""System credentials services: create a system, issue, revoke and read its API keys.

A key is returned in clear only by ``issue_key`` (and ``create_system``); afterwards it exists
only encrypted. Admin changes go to Django's admin log through the admin; commands log here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import crypto
from .models import ApiKey, SystemCredential, WhitelistedNetwork, normalize_network

KEY_BYTES = 32
PREFIX_LENGTH = 8


class CredentialError(Exception):
    """A credential operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    secret: str  # the key in clear: show it once, never store or log it


def _new_secret() -> tuple[str, str]:
    while True:
        secret = secrets.token_urlsafe(KEY_BYTES)
        prefix = secret[:PREFIX_LENGTH]
        if not ApiKey.objects.filter(prefix=prefix).exists():
            return secret, prefix


@transaction.atomic
def create_system(
    *,
    service_name: str,
    networks: list[str],
    oms_url: str = "",
    issued_by: AbstractBaseUser | None = None,
) -> IssuedKey:
    """An active system with its whitelisted networks and its first API key."""
    existing = same_name_as(service_name)
    if existing is not None:
        if existing == service_name:
            raise CredentialError(f"a system named {service_name!r} exists already")
        raise CredentialError(
            f"a system named {existing!r} exists already; {service_name!r} differs from it "
            "only in case"
        )
    if not networks:
        raise CredentialError("at least one whitelisted IP or network is needed")
    credential = SystemCredential(service_name=service_name, oms_url=oms_url or "", active=True)
    try:
        credential.full_clean()
        normalized = [normalize_network(network) for network in networks]
    except ValidationError as exc:
        raise CredentialError("; ".join(exc.messages)) from exc
    for network in normalized:
        if network.endswith("/0"):  # every address: the whitelist would protect nothing
            raise CredentialError(
                f"{network} would let the whole internet in; enter the OMS's own addresses"
            )
    credential.save()
    WhitelistedNetwork.objects.bulk_create(
        [
            WhitelistedNetwork(credential=credential, network=network)
            for network in dict.fromkeys(normalized)
        ]
    )
    return issue_key(credential=credential, issued_by=issued_by)


def same_name_as(service_name: str, *, exclude_pk: int | None = None) -> str | None:
    """The name of the system called ``service_name`` ignoring case, if there is one: two
    names differing only in case would be told apart by nobody on the phone."""
    systems = SystemCredential.objects.filter(service_name__iexact=service_name)
    if exclude_pk is not None:
        systems = systems.exclude(pk=exclude_pk)
    return systems.values_list("service_name", flat=True).first()


def issue_key(
    *, credential: SystemCredential, issued_by: AbstractBaseUser | None = None
) -> IssuedKey:
    """One more active key for ``credential`` (rotation: the older keys stay active)."""
    secret, prefix = _new_secret()
    api_key = ApiKey.objects.create(
        credential=credential,
        prefix=prefix,
        encrypted_key=crypto.encrypt(secret),
        issued_by=issued_by,
    )
    return IssuedKey(api_key=api_key, secret=secret)


def revoke_key(*, api_key: ApiKey, revoked_by: AbstractBaseUser | None = None) -> ApiKey:
    if api_key.revoked_at is not None:
        raise CredentialError(f"key {api_key.prefix} is revoked already")
    api_key.revoked_at = timezone.now()
    api_key.revoked_by = revoked_by
    api_key.save(update_fields=["revoked_at", "revoked_by"])
    return api_key


def find_system(service_name: str) -> SystemCredential:
    try:
        return SystemCredential.objects.get(service_name=service_name)
    except SystemCredential.DoesNotExist as exc:
        raise CredentialError(f"no system named {service_name!r}") from exc


def active_keys(credential: SystemCredential) -> list[tuple[str, str]]:
    """(prefix, key in clear) of the active keys, newest first."""
    rows = ApiKey.objects.filter(credential=credential, revoked_at__isnull=True).order_by(
        "-created_at", "-id"
    )
    return [(row.prefix, crypto.decrypt(row.encrypted_key)) for row in rows]


def newest_active_key(credential: SystemCredential) -> str | None:
    keys = active_keys(credential)
    return keys[0][1] if keys else None
