"""The status detail refresh: fetch a system's ``getStatusDetailOptionList`` and keep our copy.

The OMS owns which status details exist for each status (oms-api.md §7). One attempt is:

1. the signed GET, with connect and read timeouts, an overall deadline, no redirects followed
   and a limit on the size of the answer;
2. a strict check of the answer's shape: every option a known status, a non-empty key and
   label within their lengths, no duplicate (status, key), not an empty list;
3. one transaction that adds new options, takes over label changes, reactivates options that
   are listed again and deactivates (never deletes) the options this system published that it
   no longer lists. Options another system published are left alone.

Whatever fails, nothing of the options changes; the attempt is recorded as a
``StatusDetailRefresh`` with its reason in plain words, where the service desk sees it, and
``RefreshFailed`` tells the caller (the Celery task retries on it).

Only one refresh of a system runs at a time: ``refresh_lock`` is a Redis lock where Redis is
configured and an exclusive file lock on the embedded setup of ``make run``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.models import StatusDetailOption
from orders.state_machine import ItemStatus

from .credentials import newest_active_key
from .crypto import SecretUnreadable
from .models import RefreshOutcome, StatusDetailRefresh, SystemCredential
from .signing import query_string, sign

logger = logging.getLogger(__name__)

ACTION = "getStatusDetailOptionList"
SERVICE_NAME = "SellerCenter"
VERSION = "1.0"
MAX_RESPONSE_BYTES = 1024 * 1024
KEY_MAX_LENGTH = StatusDetailOption._meta.get_field("key").max_length
LABEL_MAX_LENGTH = StatusDetailOption._meta.get_field("label").max_length
OPTION_FIELDS = ("status", "key", "label")
KNOWN_STATUSES = ", ".join(status.value for status in ItemStatus)

# A refresh holds its lock at most this long, so a worker that dies mid-refresh cannot block
# the next ones for good. Longer than any attempt can take (timeouts below plus the write).
LOCK_SECONDS = 120
# How long a refresh queued by ``queue_refresh`` keeps others from being queued, should the
# task never run (broker lost it, worker killed); the task clears it when it is done.
QUEUED_MARK_SECONDS = 120


class RefreshFailed(Exception):
    """A refresh that changed nothing; ``reason`` says why in plain words.

    ``retry`` is false for what only the service desk can fix (no key, no OMS URL): retrying
    the same call would fail the same way.
    """

    def __init__(
        self, reason: str, *, retry: bool = True, refresh: StatusDetailRefresh | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.refresh = refresh


class RefreshBusy(Exception):
    """Another refresh of the same system is running."""


@dataclass(frozen=True, slots=True)
class PublishedOption:
    status: str
    key: str
    label: str


@dataclass(frozen=True, slots=True)
class AppliedCounts:
    added: int
    changed: int
    deactivated: int


def timeouts() -> tuple[float, float]:
    """(connect, overall read) timeouts in seconds.

    An attempt never takes longer than a third of the refresh interval, so with retries it
    stays within one interval; ten seconds at most, one at least.
    """
    interval = float(settings.STATUS_DETAIL_REFRESH_SECONDS)
    read = max(1.0, min(10.0, interval / 3))
    return min(5.0, read), read


# --- one refresh, on one system ----------------------------------------------------------------


def refresh_status_details(
    *, credential: SystemCredential, trigger: str = "schedule"
) -> StatusDetailRefresh:
    """One attempt to refresh the options ``credential``'s OMS publishes.

    Returns the recorded succeeded refresh; raises ``RefreshFailed`` (carrying the recorded
    failed refresh) when nothing changed because of the OMS or the configuration.
    """
    started_at = timezone.now()
    try:
        options = fetch_status_detail_options(credential=credential, now=started_at)
        counts = apply_status_detail_options(
            service_name=credential.service_name, options=options, now=timezone.now()
        )
    except RefreshFailed as failure:
        logger.warning(
            "status detail refresh of %s failed: %s", credential.service_name, failure.reason
        )
        failure.refresh = StatusDetailRefresh.objects.create(
            credential=credential,
            started_at=started_at,
            finished_at=timezone.now(),
            outcome=RefreshOutcome.FAILED,
            error=failure.reason,
            trigger=trigger,
        )
        raise
    refresh = StatusDetailRefresh.objects.create(
        credential=credential,
        started_at=started_at,
        finished_at=timezone.now(),
        outcome=RefreshOutcome.SUCCEEDED,
        added=counts.added,
        changed=counts.changed,
        deactivated=counts.deactivated,
        trigger=trigger,
    )
    logger.info(
        "status detail refresh of %s: %d added, %d changed, %d deactivated",
        credential.service_name,
        counts.added,
        counts.changed,
        counts.deactivated,
    )
    return refresh


def signed_parameters(*, key: str, now: datetime) -> dict[str, str]:
    """The URL parameters of the §7 call, ``Signature`` last."""
    parameters = {
        "Action": ACTION,
        "ServiceName": SERVICE_NAME,
        "Timestamp": timezone.localtime(now, timezone.get_fixed_timezone(0)).isoformat(
            timespec="seconds"
        ),
        "Version": VERSION,
    }
    parameters["Signature"] = sign(parameters, key)
    return parameters


def fetch_status_detail_options(
    *, credential: SystemCredential, now: datetime
) -> list[PublishedOption]:
    """The options the OMS of ``credential`` publishes now, checked; ``RefreshFailed`` else."""
    if not credential.active:
        raise RefreshFailed(f"the system {credential.service_name} is not active", retry=False)
    if not credential.oms_url:
        raise RefreshFailed(
            f"the system {credential.service_name} has no OMS URL to fetch status details from",
            retry=False,
        )
    try:
        key = newest_active_key(credential)
    except SecretUnreadable:
        raise RefreshFailed(
            "the system's API key cannot be decrypted with the configured "
            "CREDENTIALS_ENCRYPTION_KEY",
            retry=False,
        ) from None
    if key is None:
        raise RefreshFailed(
            f"the system {credential.service_name} has no active API key to sign the request with",
            retry=False,
        )
    separator = "&" if "?" in credential.oms_url else "?"
    url = credential.oms_url + separator + query_string(signed_parameters(key=key, now=now))
    body = _get(url)
    return parse_status_detail_options(body)


def _get(url: str) -> bytes:
    connect_timeout, read_timeout = timeouts()
    deadline = time.monotonic() + connect_timeout + read_timeout
    try:
        response = requests.get(
            url,
            headers={"Accept": "application/json"},
            timeout=(connect_timeout, read_timeout),
            allow_redirects=False,
            stream=True,
        )
    except requests.exceptions.ConnectTimeout:
        raise RefreshFailed(
            f"the OMS did not accept a connection within {connect_timeout:g} s"
        ) from None
    except requests.exceptions.ReadTimeout:
        raise RefreshFailed(f"the OMS did not answer within {read_timeout:g} s") from None
    except requests.exceptions.ConnectionError as exc:
        raise RefreshFailed(f"the OMS cannot be reached ({_root_cause(exc)})") from None
    except requests.exceptions.RequestException as exc:
        raise RefreshFailed(f"the request to the OMS failed ({_root_cause(exc)})") from None
    with contextlib.closing(response):
        if response.is_redirect or 300 <= response.status_code < 400:
            location = response.headers.get("Location", "")
            raise RefreshFailed(
                f"the OMS answered with a redirect (HTTP {response.status_code} to "
                f"{location or 'nowhere'}); redirects are not followed: "
                "correct the OMS URL of the system"
            )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
            raise RefreshFailed(_too_big())
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=16384):
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise RefreshFailed(_too_big())
                # The read timeout counts per read: a server dripping bytes must not hold the
                # worker past the deadline.
                if time.monotonic() > deadline:
                    raise RefreshFailed(f"the OMS did not answer within {read_timeout:g} s")
                chunks.append(chunk)
        except requests.exceptions.ConnectionError as exc:
            if isinstance(exc.__context__, TimeoutError) or "timed out" in str(exc):
                raise RefreshFailed(f"the OMS did not answer within {read_timeout:g} s") from None
            raise RefreshFailed(f"the OMS broke off its answer ({_root_cause(exc)})") from None
        except requests.exceptions.RequestException as exc:
            raise RefreshFailed(f"the OMS broke off its answer ({_root_cause(exc)})") from None
        body = b"".join(chunks)
        if response.status_code != 200:
            raise RefreshFailed(
                f"the OMS answered HTTP {response.status_code}{_error_message_of(body)}"
            )
        return body


def _too_big() -> str:
    return f"the OMS's answer is larger than {MAX_RESPONSE_BYTES // 1024} KiB"


def _root_cause(exc: BaseException) -> str:
    cause: BaseException = exc
    while cause.__cause__ is not None or (
        cause.__context__ is not None and not cause.__suppress_context__
    ):
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = str(cause) or type(cause).__name__
    return text if len(text) <= 200 else text[:200] + "…"


def _error_message_of(body: bytes) -> str:
    """``: <ErrorMessage>`` when the body is an ErrorResponse, else nothing."""
    try:
        message = json.loads(body)["ErrorResponse"]["Head"]["ErrorMessage"]
    except (ValueError, KeyError, TypeError):
        return ""
    return f": {str(message)[:200]}"


def parse_status_detail_options(body: bytes) -> list[PublishedOption]:
    """The options of a ``getStatusDetailOptionList`` answer, or ``RefreshFailed`` naming what
    is wrong."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        preview = body[:60].decode("utf-8", "replace")
        raise RefreshFailed(f"the OMS's answer is not JSON (it begins {preview!r})") from None
    if isinstance(document, dict) and "ErrorResponse" in document:
        raise RefreshFailed("the OMS refused the request" + _error_message_of(body))
    if not isinstance(document, dict) or not isinstance(document.get("SuccessResponse"), dict):
        raise RefreshFailed("the OMS's answer has no SuccessResponse object")
    envelope = document["SuccessResponse"]
    if not isinstance(envelope.get("Body"), dict):
        raise RefreshFailed("the OMS's answer has no SuccessResponse.Body object")
    entries = envelope["Body"].get("StatusDetailOptions")
    if not isinstance(entries, list):
        raise RefreshFailed("the OMS's answer has no SuccessResponse.Body.StatusDetailOptions list")
    if not entries:
        raise RefreshFailed(
            "the OMS published an empty list of status details; the last good list is kept"
        )
    options: list[PublishedOption] = []
    seen: set[tuple[str, str]] = set()
    for position, entry in enumerate(entries):
        where = f"StatusDetailOptions[{position}]"
        if not isinstance(entry, dict):
            raise RefreshFailed(f"{where} is not an object")
        unknown = sorted(set(entry) - set(OPTION_FIELDS))
        if unknown:
            raise RefreshFailed(f"{where} has a field that is not in the contract: {unknown[0]}")
        for name in OPTION_FIELDS:
            if name not in entry:
                raise RefreshFailed(f"{where} has no {name}")
            if not isinstance(entry[name], str):
                raise RefreshFailed(f"{where}.{name} is not a string")
        status, key, label = entry["status"], entry["key"], entry["label"].strip()
        if status not in ItemStatus.values:
            raise RefreshFailed(
                f'{where}.status "{status[:40]}" is not a status; expected one of: {KNOWN_STATUSES}'
            )
        if not key.strip():
            raise RefreshFailed(f"{where}.key is empty")
        if key != key.strip() or not key.isprintable():
            raise RefreshFailed(
                f"{where}.key {key[:40]!r} has surrounding blanks or unprintable characters"
            )
        if len(key) > KEY_MAX_LENGTH:
            raise RefreshFailed(
                f"{where}.key is {len(key)} characters long; at most {KEY_MAX_LENGTH} are allowed"
            )
        if not label:
            raise RefreshFailed(f"{where}.label is empty")
        if len(label) > LABEL_MAX_LENGTH:
            raise RefreshFailed(
                f"{where}.label is {len(label)} characters long; "
                f"at most {LABEL_MAX_LENGTH} are allowed"
            )
        if (status, key) in seen:
            raise RefreshFailed(f'{where} repeats the key "{key}" of status "{status}"')
        seen.add((status, key))
        options.append(PublishedOption(status=status, key=key, label=label))
    return options


def apply_status_detail_options(
    *, service_name: str, options: list[PublishedOption], now: datetime
) -> AppliedCounts:
    """Bring the stored options in line with what ``service_name`` publishes, in one
    transaction: add, take over labels, reactivate, deactivate what it no longer lists."""
    listed = {(option.status, option.key): option for option in options}
    try:
        with transaction.atomic():
            # Every option this system touches or may deactivate, locked: a push that reads
            # them waits for the new list instead of seeing half of it.
            stored = {
                (row.status, row.key): row
                for row in StatusDetailOption.objects.select_for_update().order_by("pk")
            }
            new: list[StatusDetailOption] = []
            updated: list[StatusDetailOption] = []
            added = changed = deactivated = 0
            for identity, option in listed.items():
                row = stored.get(identity)
                if row is None:
                    new.append(
                        StatusDetailOption(
                            status=option.status,
                            key=option.key,
                            label=option.label,
                            active=True,
                            published_by=service_name,
                            first_seen_at=now,
                            last_seen_at=now,
                        )
                    )
                    added += 1
                    continue
                if row.label != option.label or not row.active:
                    changed += 1
                row.label = option.label
                row.active = True
                row.published_by = service_name
                row.last_seen_at = now
                updated.append(row)
            for identity, row in stored.items():
                if identity not in listed and row.active and row.published_by == service_name:
                    row.active = False
                    updated.append(row)
                    deactivated += 1
            if new:
                StatusDetailOption.objects.bulk_create(new)
            if updated:
                StatusDetailOption.objects.bulk_update(
                    updated, ["label", "active", "published_by", "last_seen_at"], batch_size=500
                )
    except IntegrityError:
        # Two systems adding the same new option at the same moment: the next attempt sees
        # the other's row and takes it over.
        raise RefreshFailed(
            "another system published one of the same new options at the same moment"
        ) from None
    return AppliedCounts(added=added, changed=changed, deactivated=deactivated)


# --- one refresh per system at a time ---------------------------------------------------------


@contextlib.contextmanager
def refresh_lock(credential_id: int, *, wait_seconds: float = 0) -> Iterator[None]:
    """Hold the refresh lock of one system; ``RefreshBusy`` when another holder keeps it past
    ``wait_seconds``."""
    if settings.REDIS_URL:
        with _redis_lock(credential_id, wait_seconds):
            yield
    else:
        with _file_lock(credential_id, wait_seconds):
            yield


@contextlib.contextmanager
def _redis_lock(credential_id: int, wait_seconds: float) -> Iterator[None]:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)
    try:
        # redis-py's lock releases only its own token, so an expired holder cannot free a
        # successor's lock.
        lock = client.lock(
            f"sellercenter:status-detail-refresh:{credential_id}",
            timeout=LOCK_SECONDS,
            blocking=wait_seconds > 0,
            blocking_timeout=wait_seconds or None,
        )
        if not lock.acquire():
            raise RefreshBusy(f"a refresh of system {credential_id} is running")
        try:
            yield
        finally:
            with contextlib.suppress(redis.exceptions.LockError):
                lock.release()
    finally:
        client.close()


@contextlib.contextmanager
def _file_lock(credential_id: int, wait_seconds: float) -> Iterator[None]:
    directory = settings.VAR_DIR / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    with open(directory / f"status-detail-refresh-{credential_id}.lock", "a+b") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RefreshBusy(f"a refresh of system {credential_id} is running") from None
                time.sleep(0.1)  # polling the lock: flock has no timed wait
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- queueing ----------------------------------------------------------------------------------


def queued_mark(credential_id: int) -> str:
    return f"status-detail-refresh-queued:{credential_id}"


def queue_refresh(*, credential: SystemCredential, trigger: str) -> bool:
    """Queue a refresh of ``credential`` once the current transaction commits.

    At most one refresh queued by this function waits or runs per system at a time; returns
    whether this call queued one. A broker that cannot be reached is logged, never raised: the
    scheduled refresh comes anyway.
    """
    if not credential.active or not credential.oms_url:
        return False
    mark = queued_mark(credential.pk)
    try:
        if not cache.add(mark, trigger, timeout=QUEUED_MARK_SECONDS):
            return False
    except Exception:  # the cache (Redis) is down: queue anyway, the task lock still holds
        logger.warning("cache unreachable while queueing a status detail refresh", exc_info=True)

    credential_id = credential.pk

    def send() -> None:
        # The tasks module imports this one; importing it here keeps that one way.
        from .tasks import refresh_system_status_details

        try:
            refresh_system_status_details.apply_async(
                kwargs={"credential_id": credential_id, "trigger": trigger, "clear_mark": True},
                retry=False,
            )
        except Exception:
            logger.warning(
                "could not queue a status detail refresh of system %s", credential_id, exc_info=True
            )
            with contextlib.suppress(Exception):
                cache.delete(mark)

    transaction.on_commit(send, robust=True)
    return True
