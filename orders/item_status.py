"""What Seller Center holds for some order items, for the OMS's reconciliation (GetItemsStatus).

A read, in a constant number of queries whatever the number of items: one for the items with
their status detail, and (with history) one for all their events with theirs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .models import ItemHistory, OrderItem


@dataclass(frozen=True, slots=True)
class ItemEvent:
    item_status: str
    status_detail: str
    status_detail_label: str
    reason: str
    status_event_time: datetime
    received_at: datetime
    applied: bool


@dataclass(frozen=True, slots=True)
class ItemStatusView:
    id_sales_order_item: int
    item_status: str
    status_detail: str
    status_detail_label: str
    status_event_time: datetime | None
    shipping_carrier: str
    tracking_code: str
    package_status: str
    history: list[ItemEvent] = field(default_factory=list)


def items_status(ids: Iterable[int], *, include_history: bool = False) -> dict[int, ItemStatusView]:
    """The known items among ``ids``, by OMS id; history oldest first when asked for."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = (
        OrderItem.objects.filter(id_sales_order_item__in=wanted)
        .select_related("status_detail")
        .only(
            "id",
            "id_sales_order_item",
            "status",
            "status_event_time",
            "shipping_carrier",
            "tracking_code",
            "package_status",
            "status_detail__key",
            "status_detail__label",
        )
    )
    items = {row.pk: row for row in rows}
    events: dict[int, list[ItemEvent]] = {pk: [] for pk in items}
    if include_history and items:
        history = (
            ItemHistory.objects.filter(item_id__in=list(items))
            .select_related("status_detail")
            .order_by("item_id", "status_event_time", "received_at", "id")
        )
        for event in history:
            detail = event.status_detail
            events[event.item_id].append(
                ItemEvent(
                    item_status=event.status,
                    status_detail=detail.key if detail else "",
                    status_detail_label=detail.label if detail else "",
                    reason=event.reason,
                    status_event_time=event.status_event_time,
                    received_at=event.received_at,
                    applied=event.applied,
                )
            )
    result: dict[int, ItemStatusView] = {}
    for pk, row in items.items():
        detail = row.status_detail
        result[row.id_sales_order_item] = ItemStatusView(
            id_sales_order_item=row.id_sales_order_item,
            item_status=row.status,
            status_detail=detail.key if detail else "",
            status_detail_label=detail.label if detail else "",
            status_event_time=row.status_event_time,
            shipping_carrier=row.shipping_carrier,
            tracking_code=row.tracking_code,
            package_status=row.package_status,
            history=events[pk],
        )
    return result
