"""Who may call the OMS API: the checks of oms-api.md §3, in the contract's order.

1. staging basic auth (only where ``STAGING_BASIC_AUTH`` is set), 2. mandatory parameters,
3. a known and active system, 4. a whitelisted client IP, 5. the signature against each of the
system's active keys, 6. version and a fresh timestamp, 7. a known action. The first check that
fails gives the answer. Each refusal carries the exact reason for the request log; the caller
gets only the E-code's message (unknown system and unlisted IP both read "Access Denied").
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest

from maintenance.config import TIMESTAMP_SKEW_SECONDS, get_parameter
from maintenance.credentials import active_keys
from maintenance.crypto import SecretUnreadable
from maintenance.models import SERVICE_NAME_VALIDATOR, SystemCredential
from maintenance.signing import SIGNATURE_PARAMETER, matching_key

from .errors import (
    AccessDenied,
    ApiError,
    InvalidAction,
    InvalidRequestFormat,
    InvalidTimestamp,
    InvalidVersion,
    MissingParameter,
    PlatformError,
    SignatureMismatch,
    StagingAuthRequired,
    TimestampExpired,
)

SERVICE_NAME_PATTERN = SERVICE_NAME_VALIDATOR.regex

MANDATORY_PARAMETERS = ("Action", "ServiceName", "Timestamp", "Version", "Signature")
VERSION = "1.0"

UPDATE_ITEMS_STATUS = "UpdateItemsStatus"
UPDATE_ITEMS_INFORMATION = "UpdateItemsInformation"
GET_ITEMS_STATUS = "GetItemsStatus"
# Older documentation used the singular spellings; they name the same actions.
ACTIONS: dict[str, str] = {
    UPDATE_ITEMS_STATUS: UPDATE_ITEMS_STATUS,
    UPDATE_ITEMS_INFORMATION: UPDATE_ITEMS_INFORMATION,
    GET_ITEMS_STATUS: GET_ITEMS_STATUS,
    "UpdateItemStatus": UPDATE_ITEMS_STATUS,
    "UpdateItemInformation": UPDATE_ITEMS_INFORMATION,
}


@dataclass(frozen=True, slots=True)
class Caller:
    """A request that passed every check."""

    credential: SystemCredential
    api_key_prefix: str
    action: str  # canonical spelling
    parameters: dict[str, str]


def canonical_action(raw: str) -> str:
    """The canonical spelling of an action, or the raw text when it is not one."""
    return ACTIONS.get(raw, raw)


def check_staging_basic_auth(request: HttpRequest) -> None:
    """Raise ``StagingAuthRequired`` unless the staging user and password were sent."""
    expected = settings.STAGING_BASIC_AUTH
    if not expected:
        return
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise StagingAuthRequired("staging basic auth is required and was not sent")
    try:
        given = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise StagingAuthRequired("staging basic auth header is not valid base64") from exc
    if not hmac.compare_digest(given, expected.encode("utf-8")):
        raise StagingAuthRequired("staging basic auth user or password is wrong")


def read_parameters(query: Mapping[str, list[str]]) -> dict[str, str]:
    """The URL parameters as a plain mapping; each may be given once."""
    parameters: dict[str, str] = {}
    for name in MANDATORY_PARAMETERS:
        values = query.get(name) or []
        if not values or values[-1] == "":
            raise MissingParameter(name)
    for name, values in query.items():
        if len(values) > 1:
            raise InvalidRequestFormat(f"URL parameter {name} is given more than once")
        parameters[name] = values[0]
    return parameters


def _ip_whitelisted(ip: str | None, networks: list[str]) -> bool:
    if not ip:
        return False
    address = ipaddress.ip_address(ip)
    for text in networks:
        network = ipaddress.ip_network(text, strict=False)
        if address.version == network.version and address in network:
            return True
    return False


def _check_timestamp(raw: str, now: datetime) -> None:
    try:
        stamp = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidTimestamp(f"timestamp {raw!r} is not ISO 8601") from exc
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise InvalidTimestamp(f"timestamp {raw!r} has no UTC offset")
    skew = int(get_parameter(TIMESTAMP_SKEW_SECONDS))
    age = (now - stamp).total_seconds()
    if age > skew:
        raise TimestampExpired(f"timestamp {raw} is {int(age)} s old; allowed skew is {skew} s")
    if -age > skew:
        raise TimestampExpired(
            f"timestamp {raw} is {int(-age)} s in the future; allowed skew is {skew} s"
        )


def authenticate(*, parameters: dict[str, str], client_ip: str | None, now: datetime) -> Caller:
    """Checks 3 to 7 of §3 on parsed URL parameters; the caller or a typed refusal."""
    service_name = parameters["ServiceName"]
    # A name no credential could have (NUL bytes, spaces, 500 characters) is simply unknown;
    # it never reaches the database, which would refuse some of them outright.
    if SERVICE_NAME_PATTERN.fullmatch(service_name):
        credential = SystemCredential.objects.filter(service_name=service_name).first()
    else:
        credential = None
    if credential is None:
        raise AccessDenied(f"unknown service name {service_name!r}")
    if not credential.active:
        raise AccessDenied(f"system {service_name!r} is inactive")
    networks = list(credential.networks.values_list("network", flat=True))
    if not _ip_whitelisted(client_ip, networks):
        raise AccessDenied(f"IP {client_ip or '(none)'} is not whitelisted for {service_name}")
    try:
        keys = active_keys(credential)
    except SecretUnreadable as exc:
        raise PlatformError(
            f"an API key of {service_name} cannot be decrypted with CREDENTIALS_ENCRYPTION_KEY"
        ) from exc
    if not keys:
        raise SignatureMismatch(f"system {service_name!r} has no active key")
    index = matching_key(parameters, parameters[SIGNATURE_PARAMETER], [key for _, key in keys])
    if index is None:
        raise SignatureMismatch(f"signature does not match any active key of {service_name}")
    prefix = keys[index][0]
    try:
        if parameters["Version"] != VERSION:
            raise InvalidVersion(f"version {parameters['Version']!r} is not {VERSION}")
        _check_timestamp(parameters["Timestamp"], now)
        action = ACTIONS.get(parameters["Action"])
        if action is None:
            raise InvalidAction(f"action {parameters['Action']!r} is not known")
    except ApiError as error:
        # Signed by a real key: the log records which one, even for a refused request.
        error.api_key_prefix = prefix
        raise
    return Caller(
        credential=credential, api_key_prefix=prefix, action=action, parameters=parameters
    )
