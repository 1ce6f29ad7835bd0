"""The write path for order item status and information updates (oms-api.md §5).

The OMS API, the admin and the management commands all change items through the two services
here; nothing else writes an item's status. A batch runs in one transaction:

1. every item is checked on its own terms in plain Python (fields, reasons, lengths);
2. the batch's items are locked with one ``SELECT ... FOR UPDATE`` ordered by primary key, so
   concurrent batches over the same items queue up instead of deadlocking;
3. each item is decided in order against the state machine (repeated ids see the earlier
   events of the batch): applied, a repeat, late (kept in history only) or refused;
4. one ``UPDATE ... FROM`` writes every changed item and one ``INSERT ... SELECT`` writes the
   history, skipping events already stored (their fingerprint is unique).

The number of SQL statements does not depend on the batch size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from django.db import connection, transaction
from django.utils import timezone

from .bulk import bulk_cursor, rows_source
from .errors import (
    InvalidOrderItemId,
    InvalidReason,
    InvalidRequestFormat,
    ItemError,
    NotAllowedNow,
    TransitionNotAllowed,
    UnknownStatusDetail,
)
from .models import (
    REASON_MAX_LENGTH,
    SHORT_TEXT_MAX_LENGTH,
    ItemEventKind,
    ItemHistory,
    OrderItem,
    StatusDetailOption,
)
from .state_machine import (
    OMS_PUSHABLE_STATUSES,
    REASON_FIELD_FOR_STATUS,
    SHIPPING_FIELDS_FOR_STATUS,
    ItemStatus,
    can_move,
    next_statuses,
)

REASON_FIELDS = ("cancel_reason", "return_reason", "failed_delivery_reason")
SHORT_TEXT_FIELDS = ("shipping_carrier", "tracking_code", "package_status")
STATUS_DETAIL_KEY_MAX_LENGTH = 100
PUSHABLE_TEXT = ", ".join(s.value for s in ItemStatus if s in OMS_PUSHABLE_STATUSES)


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One ``UpdateItemsStatus`` item, parsed. Empty text means "not given"."""

    id_sales_order_item: int
    item_status: str
    package_status: str = ""
    cancel_reason: str = ""
    return_reason: str = ""
    failed_delivery_reason: str = ""
    shipping_carrier: str = ""
    tracking_code: str = ""
    status_event_time: datetime | None = None  # aware; None: when the request arrived


@dataclass(frozen=True, slots=True)
class InformationUpdate:
    """One ``UpdateItemsInformation`` item, parsed. An empty ``status_detail`` clears it."""

    id_sales_order_item: int
    status_detail: str
    shipping_carrier: str = ""
    tracking_code: str = ""
    package_status: str = ""
    status_event_time: datetime | None = None


class Outcome(StrEnum):
    APPLIED = "applied"
    REPEAT = "repeat"  # nothing changed, nothing recorded
    LATE = "late"  # older than the item's newest event: kept in history, not applied
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class ItemResult:
    id_sales_order_item: int
    outcome: Outcome
    error: ItemError | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is not Outcome.REFUSED


@dataclass(slots=True)
class _ItemState:
    """An item as the batch sees it, with the events of the batch applied so far."""

    pk: int
    status: str
    detail_id: int | None
    reason: str
    shipping_carrier: str
    tracking_code: str
    package_status: str
    event_time: datetime | None
    changed: bool = False


@dataclass(slots=True)
class _HistoryRow:
    item_id: int
    kind: str
    status: str
    detail_id: int | None
    detail_key: str
    reason: str
    shipping_carrier: str
    tracking_code: str
    package_status: str
    event_time: datetime
    applied: bool
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        parts = (
            str(self.item_id),
            self.kind,
            self.status,
            self.detail_key,
            self.event_time.astimezone(UTC).isoformat(),
            self.reason,
            self.shipping_carrier,
            self.tracking_code,
            self.package_status,
        )
        self.fingerprint = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


# --- checks on an item's own terms -----------------------------------------------------------


def _check_length(item_id: int, name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidRequestFormat(
            id_sales_order_item=item_id,
            field=name,
            detail=f"at most {limit} characters are allowed, {len(value)} were sent",
        )


def _check_storable(item_id: int, names: tuple[str, ...], item: object) -> None:
    """Text the database can store, and an event time it can place in UTC.

    PostgreSQL refuses NUL characters in text, and a lone surrogate (legal in JSON) cannot be
    encoded at all: both are the sender's to fix, so they are refused by field, not left to
    fail the whole batch.
    """
    for name in names:
        value = getattr(item, name)
        if value.isascii():
            if "\x00" in value:
                raise InvalidRequestFormat(
                    id_sales_order_item=item_id,
                    field=name,
                    detail="must not contain NUL characters",
                )
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidRequestFormat(
                id_sales_order_item=item_id,
                field=name,
                detail="is not valid Unicode text (it holds a lone surrogate)",
            ) from exc
        if "\x00" in value:
            raise InvalidRequestFormat(
                id_sales_order_item=item_id, field=name, detail="must not contain NUL characters"
            )
    event_time = getattr(item, "status_event_time", None)
    if event_time is not None:
        try:
            event_time.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise InvalidRequestFormat(
                id_sales_order_item=item_id,
                field="status_event_time",
                detail="is out of range once converted to UTC",
            ) from exc


_STATUS_TEXT_FIELDS = ("item_status", *REASON_FIELDS, *SHORT_TEXT_FIELDS)
_INFORMATION_TEXT_FIELDS = ("status_detail", *SHORT_TEXT_FIELDS)


def _check_status_update(item: StatusUpdate) -> None:
    item_id = item.id_sales_order_item
    _check_storable(item_id, _STATUS_TEXT_FIELDS, item)
    if item.item_status not in OMS_PUSHABLE_STATUSES:
        raise InvalidRequestFormat(
            id_sales_order_item=item_id,
            field="item_status",
            detail=f'"{item.item_status}" is not a status the OMS may set; '
            f"expected one of: {PUSHABLE_TEXT}",
        )
    for name in REASON_FIELDS:
        value = getattr(item, name)
        if len(value) > REASON_MAX_LENGTH:
            raise InvalidReason(
                id_sales_order_item=item_id,
                field=name,
                detail=f"at most {REASON_MAX_LENGTH} characters are allowed, "
                f"{len(value)} were sent",
                value=value,
            )
    for name in SHORT_TEXT_FIELDS:
        _check_length(item_id, name, getattr(item, name), SHORT_TEXT_MAX_LENGTH)
    reason_field = REASON_FIELD_FOR_STATUS.get(ItemStatus(item.item_status))
    if reason_field and not getattr(item, reason_field).strip():
        raise InvalidReason(
            id_sales_order_item=item_id,
            field=reason_field,
            detail=f'a reason is required for status "{item.item_status}"',
            value="",
        )
    for name in SHIPPING_FIELDS_FOR_STATUS.get(ItemStatus(item.item_status), ()):
        if not getattr(item, name).strip():
            raise InvalidRequestFormat(
                id_sales_order_item=item_id,
                field=name,
                detail=f'required for status "{item.item_status}"',
            )


def _check_information_update(item: InformationUpdate, *, status_details_enabled: bool) -> None:
    item_id = item.id_sales_order_item
    _check_storable(item_id, _INFORMATION_TEXT_FIELDS, item)
    if item.status_detail and not status_details_enabled:
        raise NotAllowedNow(
            id_sales_order_item=item_id,
            field="status_detail",
            detail="importing detailed order statuses from the OMS is turned off",
        )
    _check_length(item_id, "status_detail", item.status_detail, STATUS_DETAIL_KEY_MAX_LENGTH)
    for name in SHORT_TEXT_FIELDS:
        _check_length(item_id, name, getattr(item, name), SHORT_TEXT_MAX_LENGTH)


def _reason_of(item: StatusUpdate) -> str:
    reason_field = REASON_FIELD_FOR_STATUS.get(ItemStatus(item.item_status))
    return getattr(item, reason_field) if reason_field else ""


def _same_or_empty(sent: str, stored: str) -> bool:
    return not sent or sent == stored


# --- the services ----------------------------------------------------------------------------


def apply_status_updates(
    *,
    items: Sequence[StatusUpdate],
    system: str = "",
    request_id: str = "",
    received_at: datetime | None = None,
) -> list[ItemResult]:
    """Apply ``UpdateItemsStatus`` items; one result per item, in order."""
    return _apply_batch(
        items,
        check=_check_status_update,
        decide=lambda item, states, options, history, at: _decide_status(item, states, history, at),
        system=system,
        request_id=request_id,
        received_at=received_at,
    )


def apply_information_updates(
    *,
    items: Sequence[InformationUpdate],
    status_details_enabled: bool,
    system: str = "",
    request_id: str = "",
    received_at: datetime | None = None,
) -> list[ItemResult]:
    """Apply ``UpdateItemsInformation`` items; one result per item, in order."""
    return _apply_batch(
        items,
        check=lambda item: _check_information_update(
            item, status_details_enabled=status_details_enabled
        ),
        decide=_decide_information,
        system=system,
        request_id=request_id,
        received_at=received_at,
    )


def _apply_batch(
    items: Sequence[StatusUpdate | InformationUpdate],
    *,
    check: Callable,
    decide: Callable,
    system: str,
    request_id: str,
    received_at: datetime | None,
) -> list[ItemResult]:
    """Check every item on its own terms, then lock, decide in order and write, in one
    transaction with a fixed number of statements."""
    received_at = received_at or timezone.now()
    results: list[ItemResult | None] = [None] * len(items)
    checked: list[tuple[int, StatusUpdate | InformationUpdate]] = []
    for position, item in enumerate(items):
        try:
            check(item)
        except ItemError as error:
            results[position] = ItemResult(item.id_sales_order_item, Outcome.REFUSED, error)
        else:
            checked.append((position, item))

    with transaction.atomic():
        states = _lock_items([item.id_sales_order_item for _, item in checked])
        keys = {getattr(item, "status_detail", "") for _, item in checked} - {""}
        options = _load_options(keys)
        history: list[_HistoryRow] = []
        for position, item in checked:
            results[position] = decide(item, states, options, history, received_at)
        _write(states, history, received_at, system, request_id)
    return [result for result in results if result is not None]


# --- deciding --------------------------------------------------------------------------------


def _decide_status(
    item: StatusUpdate,
    states: dict[int, _ItemState],
    history: list[_HistoryRow],
    received_at: datetime,
) -> ItemResult:
    item_id = item.id_sales_order_item
    state = states.get(item_id)
    if state is None:
        return _unknown_item(item_id)
    reason = _reason_of(item)
    if (
        item.item_status == state.status
        and _same_or_empty(reason, state.reason)
        and _same_or_empty(item.shipping_carrier, state.shipping_carrier)
        and _same_or_empty(item.tracking_code, state.tracking_code)
        and _same_or_empty(item.package_status, state.package_status)
    ):
        return ItemResult(item_id, Outcome.REPEAT)

    event_time = item.status_event_time or received_at
    row = _HistoryRow(
        item_id=state.pk,
        kind=ItemEventKind.STATUS,
        status=item.item_status,
        detail_id=None,
        detail_key="",
        reason=reason,
        shipping_carrier=item.shipping_carrier,
        tracking_code=item.tracking_code,
        package_status=item.package_status,
        event_time=event_time,
        applied=True,
    )
    if state.event_time is not None and event_time < state.event_time:
        row.applied = False
        history.append(row)
        return ItemResult(item_id, Outcome.LATE)

    if item.item_status != state.status:
        if not can_move(state.status, item.item_status):
            return ItemResult(
                item_id,
                Outcome.REFUSED,
                TransitionNotAllowed(
                    id_sales_order_item=item_id,
                    current=state.status,
                    target=item.item_status,
                    allowed=[s.value for s in next_statuses(state.status)],
                ),
            )
        state.status = item.item_status
        state.detail_id = None  # a detail belongs to one status
        state.reason = reason
    elif reason:
        state.reason = reason
    state.shipping_carrier = item.shipping_carrier or state.shipping_carrier
    state.tracking_code = item.tracking_code or state.tracking_code
    state.package_status = item.package_status or state.package_status
    state.event_time = event_time
    state.changed = True
    history.append(row)
    return ItemResult(item_id, Outcome.APPLIED)


def _decide_information(
    item: InformationUpdate,
    states: dict[int, _ItemState],
    options: dict[tuple[str, str], StatusDetailOption],
    history: list[_HistoryRow],
    received_at: datetime,
) -> ItemResult:
    item_id = item.id_sales_order_item
    state = states.get(item_id)
    if state is None:
        return _unknown_item(item_id)
    key = item.status_detail
    current_option = options.get((state.status, key)) if key else None
    detail_id = current_option.pk if current_option else None
    if (
        (not key or current_option is not None)
        and detail_id == state.detail_id
        and _same_or_empty(item.shipping_carrier, state.shipping_carrier)
        and _same_or_empty(item.tracking_code, state.tracking_code)
        and _same_or_empty(item.package_status, state.package_status)
    ):
        return ItemResult(item_id, Outcome.REPEAT)

    event_time = item.status_event_time or received_at
    if state.event_time is not None and event_time < state.event_time:
        # Late: checked on its own terms only (a key that some status lists).
        option = current_option if current_option and current_option.active else None
        if key and option is None:
            option = next(
                (o for (status, k), o in sorted(options.items()) if k == key and o.active), None
            )
            if option is None and any(k == key for _, k in options):
                return ItemResult(
                    item_id,
                    Outcome.REFUSED,
                    InvalidRequestFormat(
                        id_sales_order_item=item_id,
                        field="status_detail",
                        detail=f'"{key}" is no longer offered by the OMS for any status',
                    ),
                )
            if option is None:
                return ItemResult(
                    item_id,
                    Outcome.REFUSED,
                    UnknownStatusDetail(id_sales_order_item=item_id, key=key, status=None),
                )
        history.append(
            _information_row(
                state,
                item,
                option,
                event_time,
                status=option.status if option else state.status,
                applied=False,
            )
        )
        return ItemResult(item_id, Outcome.LATE)

    if key:
        error = _detail_error(item_id, key, state.status, current_option, options)
        if error is not None:
            return ItemResult(item_id, Outcome.REFUSED, error)
    state.detail_id = detail_id
    state.shipping_carrier = item.shipping_carrier or state.shipping_carrier
    state.tracking_code = item.tracking_code or state.tracking_code
    state.package_status = item.package_status or state.package_status
    state.event_time = event_time
    state.changed = True
    history.append(
        _information_row(state, item, current_option, event_time, status=state.status, applied=True)
    )
    return ItemResult(item_id, Outcome.APPLIED)


def _detail_error(
    item_id: int,
    key: str,
    status: str,
    option: StatusDetailOption | None,
    options: dict[tuple[str, str], StatusDetailOption],
) -> ItemError | None:
    if option is not None and option.active:
        return None
    if option is not None:
        return InvalidRequestFormat(
            id_sales_order_item=item_id,
            field="status_detail",
            detail=f'"{key}" is no longer offered by the OMS for status "{status}"',
        )
    elsewhere = sorted(s for (s, k), o in options.items() if k == key and o.active)
    if elsewhere:
        listed = ", ".join(f'"{s}"' for s in elsewhere)
        return InvalidRequestFormat(
            id_sales_order_item=item_id,
            field="status_detail",
            detail=f'"{key}" is a status detail of {listed}, not of the item\'s current '
            f'status "{status}"',
        )
    return UnknownStatusDetail(id_sales_order_item=item_id, key=key, status=status)


def _information_row(
    state: _ItemState,
    item: InformationUpdate,
    option: StatusDetailOption | None,
    event_time: datetime,
    *,
    status: str,
    applied: bool,
) -> _HistoryRow:
    return _HistoryRow(
        item_id=state.pk,
        kind=ItemEventKind.INFORMATION,
        status=status,
        detail_id=option.pk if option else None,
        detail_key=option.key if option else "",
        reason="",
        shipping_carrier=item.shipping_carrier,
        tracking_code=item.tracking_code,
        package_status=item.package_status,
        event_time=event_time,
        applied=applied,
    )


def _unknown_item(item_id: int) -> ItemResult:
    return ItemResult(
        item_id,
        Outcome.REFUSED,
        InvalidOrderItemId(
            id_sales_order_item=item_id,
            field="id_sales_order_item",
            detail="no order item has this id",
        ),
    )


# --- reading and writing ---------------------------------------------------------------------


_LOCKED_COLUMNS = (
    "id",
    "id_sales_order_item",
    "status",
    "status_detail_id",
    "reason",
    "shipping_carrier",
    "tracking_code",
    "package_status",
    "status_event_time",
)


def _lock_items(ids: list[int]) -> dict[int, _ItemState]:
    if not ids:
        return {}
    unique = sorted(set(ids))
    if connection.vendor == "postgresql":
        # One array parameter instead of an IN list of thousands of placeholders.
        table = connection.ops.quote_name(OrderItem._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(_LOCKED_COLUMNS)} FROM {table} "
                "WHERE id_sales_order_item = ANY(%s) ORDER BY id FOR UPDATE",
                [unique],
            )
            rows = cursor.fetchall()
    else:  # SQLite has no row locks; its IMMEDIATE transaction holds the write lock
        rows = (
            OrderItem.objects.filter(id_sales_order_item__in=unique)
            .order_by("pk")
            .values_list(*_LOCKED_COLUMNS)
        )
    return {
        oms_id: _ItemState(pk, status, detail_id, reason, carrier, tracking, package, event_time)
        for pk, oms_id, status, detail_id, reason, carrier, tracking, package, event_time in rows
    }


def _load_options(keys: set[str]) -> dict[tuple[str, str], StatusDetailOption]:
    if not keys:
        return {}
    return {
        (option.status, option.key): option
        for option in StatusDetailOption.objects.filter(key__in=keys)
    }


def _write(
    states: dict[int, _ItemState],
    history: list[_HistoryRow],
    received_at: datetime,
    system: str,
    request_id: str,
) -> None:
    changed = [state for state in states.values() if state.changed]
    if changed:
        _update_items(changed, received_at)
    if history:
        _insert_history(history, received_at, system, request_id)


_ITEM_COLUMNS = (
    ("status", "varchar"),
    ("status_detail_id", "bigint"),
    ("reason", "varchar"),
    ("shipping_carrier", "varchar"),
    ("tracking_code", "varchar"),
    ("package_status", "varchar"),
    ("status_event_time", "timestamptz"),
)
_HISTORY_COLUMNS = (
    ("item_id", "bigint"),
    ("kind", "varchar"),
    ("status", "varchar"),
    ("status_detail_id", "bigint"),
    ("reason", "varchar"),
    ("shipping_carrier", "varchar"),
    ("tracking_code", "varchar"),
    ("package_status", "varchar"),
    ("status_event_time", "timestamptz"),
    ("applied", "boolean"),
    ("fingerprint", "varchar"),
)


def _update_items(changed: list[_ItemState], received_at: datetime) -> None:
    table = connection.ops.quote_name(OrderItem._meta.db_table)
    columns = (("id", "bigint"), *_ITEM_COLUMNS)
    rows = [
        (
            s.pk,
            s.status,
            s.detail_id,
            s.reason,
            s.shipping_carrier,
            s.tracking_code,
            s.package_status,
            s.event_time,
        )
        for s in changed
    ]
    source, params = rows_source(columns, rows)
    assignments = ", ".join(f"{name} = u.{name}" for name, _ in _ITEM_COLUMNS)
    sql = f"UPDATE {table} SET {assignments}, updated_at = %s FROM {source} WHERE {table}.id = u.id"
    with bulk_cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(received_at), *params])


def _insert_history(
    history: list[_HistoryRow], received_at: datetime, system: str, request_id: str
) -> None:
    table = connection.ops.quote_name(ItemHistory._meta.db_table)
    rows = [
        (
            h.item_id,
            str(h.kind),
            h.status,
            h.detail_id,
            h.reason,
            h.shipping_carrier,
            h.tracking_code,
            h.package_status,
            h.event_time,
            h.applied,
            h.fingerprint,
        )
        for h in history
    ]
    source, params = rows_source(_HISTORY_COLUMNS, rows)
    names = [name for name, _ in _HISTORY_COLUMNS]
    if connection.vendor == "postgresql":
        scalars = "%s::timestamptz, %s::varchar, %s::varchar"
        received = received_at
    else:
        scalars = "%s, %s, %s"
        received = connection.ops.adapt_datetimefield_value(received_at)
    # SQLite needs the WHERE to tell the upsert clause apart from a join's ON.
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}, received_at, system, request_id) "
        f"SELECT {', '.join('u.' + n for n in names)}, {scalars} FROM {source} "
        "WHERE true ON CONFLICT (fingerprint) DO NOTHING"
    )
    params = [received, system, request_id, *params]
    with bulk_cursor() as cursor:
        cursor.execute(sql, params)
