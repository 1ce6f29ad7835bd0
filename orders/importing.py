"""Loading orders from a JSON Lines file (``python manage.py import_orders``).

The whole file is checked before anything is written: a bad line is reported with its line
number and nothing of the file is loaded. An order already present (same order number) is left
as it is, so a file can be loaded twice. Items get no history and no ``status_event_time``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from .bulk import bulk_cursor, rows_source
from .models import Order, OrderItem, Seller
from .state_machine import ItemStatus

ORDER_FIELDS = {"order_number", "seller", "created_at", "items"}
ITEM_FIELDS = {"id_sales_order_item", "sku", "name", "status"}
STATUSES = frozenset(ItemStatus.values)
SELLER_CODE = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
_CHUNK = 2000  # keeps IN lists within SQLite's parameter limit


class ImportFileError(Exception):
    """A line of the file that cannot be loaded; nothing of the file was loaded."""

    def __init__(self, line_number: int, message: str) -> None:
        self.line_number = line_number
        super().__init__(f"line {line_number}: {message}")


@dataclass
class ImportReport:
    orders_created: int = 0
    orders_skipped: int = 0
    items_created: int = 0
    sellers_created: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.orders_created} orders loaded with {self.items_created} items, "
            f"{self.orders_skipped} already present left as they are, "
            f"{len(self.sellers_created)} new sellers"
        )


@dataclass
class _ParsedItem:
    id_sales_order_item: int
    sku: str
    name: str
    status: str


@dataclass
class _ParsedOrder:
    line_number: int
    order_number: str
    seller: str
    created_at: datetime
    items: list[_ParsedItem]


def _text(value: object, name: str, limit: int, *, required: bool = True) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and name == "order_number":
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    value = value.strip()
    if "\x00" in value:
        raise ValueError(f"{name} must not contain NUL characters")
    if required and not value:
        raise ValueError(f"{name} must not be empty")
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    return value


def _item_id(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("id_sales_order_item must be a positive integer")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or value <= 0 or value >= 2**63:
        raise ValueError("id_sales_order_item must be a positive integer")
    return value


def _created_at(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("created_at must be an ISO 8601 time, e.g. 2026-11-20T08:15:00+08:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(
            f"created_at {value!r} is not an ISO 8601 time, e.g. 2026-11-20T08:15:00+08:00"
        ) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # the Venture's zone
    return moment


def _parse_line(line_number: int, line: str) -> _ParsedOrder:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ImportFileError(line_number, f"not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise ImportFileError(line_number, "an order must be a JSON object")
    try:
        unknown = sorted(set(data) - ORDER_FIELDS)
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r}")
        missing = sorted(ORDER_FIELDS - set(data))
        if missing:
            raise ValueError(f"missing field {missing[0]!r}")
        order_number = _text(data["order_number"], "order_number", 64)
        seller = _text(data["seller"], "seller", 64)
        if not SELLER_CODE.match(seller):
            raise ValueError(f"seller {seller!r} is not a seller code (letters, digits, - and _)")
        created_at = _created_at(data["created_at"])
        raw_items = data["items"]
        if not isinstance(raw_items, list) or not raw_items:
            raise ValueError("items must be a non-empty list")
        items = []
        for index, raw in enumerate(raw_items):
            if not isinstance(raw, dict):
                raise ValueError(f"items[{index}] must be an object")
            unknown = sorted(set(raw) - ITEM_FIELDS)
            if unknown:
                raise ValueError(f"items[{index}]: unknown field {unknown[0]!r}")
            for name in ("id_sales_order_item", "sku", "name"):
                if name not in raw:
                    raise ValueError(f"items[{index}]: missing field {name!r}")
            status = raw.get("status", ItemStatus.PENDING.value)
            if status not in STATUSES:
                raise ValueError(
                    f"items[{index}]: status {status!r} is not one of "
                    + ", ".join(ItemStatus.values)
                )
            try:
                items.append(
                    _ParsedItem(
                        id_sales_order_item=_item_id(raw["id_sales_order_item"]),
                        sku=_text(raw["sku"], "sku", 100),
                        name=_text(raw["name"], "name", 255),
                        status=status,
                    )
                )
            except ValueError as exc:
                raise ValueError(f"items[{index}]: {exc}") from exc
    except ValueError as exc:
        raise ImportFileError(line_number, str(exc)) from exc
    return _ParsedOrder(line_number, order_number, seller, created_at, items)


def _chunks(values: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


_ITEM_COLUMNS = (
    ("order_id", "bigint"),
    ("seller_id", "bigint"),
    ("id_sales_order_item", "bigint"),
    ("sku", "varchar"),
    ("name", "varchar"),
    ("status", "varchar"),
    ("created_at", "timestamptz"),
)


def _insert_items(rows: list[tuple], now: datetime) -> None:
    """One ``INSERT ... SELECT`` for a batch of items (Django's bulk_create costs several
    times more in Python for the same rows)."""
    table = connection.ops.quote_name(OrderItem._meta.db_table)
    names = [name for name, _ in _ITEM_COLUMNS]
    source, params = rows_source(_ITEM_COLUMNS, rows)
    stamp = "%s::timestamptz" if connection.vendor == "postgresql" else "%s"
    defaults = "'', '', '', '', NULL, NULL"
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}, updated_at, reason, shipping_carrier, "
        "tracking_code, package_status, status_detail_id, status_event_time) "
        f"SELECT {', '.join('u.' + n for n in names)}, {stamp}, {defaults} FROM {source}"
    )
    with bulk_cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), *params])


def import_orders(lines: Iterable[str]) -> ImportReport:
    """Load the orders of a JSON Lines file, all or nothing."""
    parsed: list[_ParsedOrder] = []
    seen_orders: dict[str, int] = {}
    seen_items: dict[int, int] = {}
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        order = _parse_line(line_number, line)
        if order.order_number in seen_orders:
            raise ImportFileError(
                line_number,
                f"order {order.order_number} is also on line {seen_orders[order.order_number]}",
            )
        seen_orders[order.order_number] = line_number
        for item in order.items:
            if item.id_sales_order_item in seen_items:
                raise ImportFileError(
                    line_number,
                    f"id_sales_order_item {item.id_sales_order_item} is also on line "
                    f"{seen_items[item.id_sales_order_item]}",
                )
            seen_items[item.id_sales_order_item] = line_number
        parsed.append(order)

    report = ImportReport()
    with transaction.atomic():
        present: set[str] = set()
        for chunk in _chunks(list(seen_orders)):
            present.update(
                Order.objects.filter(order_number__in=chunk).values_list("order_number", flat=True)
            )
        new_orders = [order for order in parsed if order.order_number not in present]
        report.orders_skipped = len(parsed) - len(new_orders)

        new_item_ids = [item.id_sales_order_item for o in new_orders for item in o.items]
        for chunk in _chunks(new_item_ids):
            taken = list(
                OrderItem.objects.filter(id_sales_order_item__in=chunk).values_list(
                    "id_sales_order_item", flat=True
                )[:1]
            )
            if taken:
                raise ImportFileError(
                    seen_items[taken[0]],
                    f"id_sales_order_item {taken[0]} belongs to an order already loaded",
                )

        codes = sorted({order.seller for order in new_orders})
        sellers = {s.code: s for s in Seller.objects.filter(code__in=codes)}
        missing = [code for code in codes if code not in sellers]
        if missing:
            Seller.objects.bulk_create([Seller(code=code, name=code) for code in missing])
            sellers = {s.code: s for s in Seller.objects.filter(code__in=codes)}
        report.sellers_created = missing

        now = timezone.now()
        for batch in _chunks(new_orders, 2000):
            orders = Order.objects.bulk_create(
                [
                    Order(
                        seller=sellers[o.seller],
                        order_number=o.order_number,
                        created_at=o.created_at,
                    )
                    for o in batch
                ]
            )
            if any(order.pk is None for order in orders):  # backends without RETURNING
                ids = dict(
                    Order.objects.filter(
                        order_number__in=[o.order_number for o in batch]
                    ).values_list("order_number", "pk")
                )
                for order in orders:
                    order.pk = ids[order.order_number]
            items = [
                (
                    order.pk,
                    order.seller_id,
                    item.id_sales_order_item,
                    item.sku,
                    item.name,
                    item.status,
                    order.created_at,
                )
                for order, parsed_order in zip(orders, batch, strict=True)
                for item in parsed_order.items
            ]
            _insert_items(items, now)
            report.items_created += len(items)
        report.orders_created = len(new_orders)
    return report
