"""The order item state machine: the statuses and the table of allowed moves, as data.

This module is the one place that knows which moves exist. ``python manage.py state_machine``
prints it as a Mermaid diagram, and the README's diagram is that output.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class ItemStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY_TO_SHIP = "ready_to_ship", "Ready to Ship"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELED = "canceled", "Canceled"
    FAILED_DELIVERY = "failed_delivery", "Failed Delivery"
    RETURN_SHIPPED_BY_CUSTOMER = "return_shipped_by_customer", "Return Shipped by Customer"
    RETURNED = "returned", "Returned"


class Mover(StrEnum):
    """Who may make a move."""

    SELLER = "seller"
    OMS = "oms"


# (from, to) -> who may make the move. The order of the rows is the order of the diagram.
TRANSITIONS: dict[tuple[ItemStatus, ItemStatus], Mover] = {
    (ItemStatus.PENDING, ItemStatus.READY_TO_SHIP): Mover.SELLER,
    (ItemStatus.PENDING, ItemStatus.CANCELED): Mover.OMS,
    (ItemStatus.PENDING, ItemStatus.SHIPPED): Mover.OMS,
    (ItemStatus.READY_TO_SHIP, ItemStatus.CANCELED): Mover.OMS,
    (ItemStatus.READY_TO_SHIP, ItemStatus.SHIPPED): Mover.OMS,
    (ItemStatus.SHIPPED, ItemStatus.DELIVERED): Mover.OMS,
    (ItemStatus.SHIPPED, ItemStatus.FAILED_DELIVERY): Mover.OMS,
    (ItemStatus.DELIVERED, ItemStatus.RETURN_SHIPPED_BY_CUSTOMER): Mover.OMS,
    (ItemStatus.DELIVERED, ItemStatus.RETURNED): Mover.OMS,
    (ItemStatus.RETURN_SHIPPED_BY_CUSTOMER, ItemStatus.RETURNED): Mover.OMS,
}

INITIAL_STATUS = ItemStatus.PENDING

# Statuses with no move out of them. Failed delivery and returned are terminal for the status
# while their status details keep moving.
TERMINAL_STATUSES: frozenset[ItemStatus] = frozenset(
    status for status in ItemStatus if not any(src == status for src, _ in TRANSITIONS)
)

# The statuses the OMS may push (oms-api.md §4.1): every target of an OMS move.
OMS_PUSHABLE_STATUSES: frozenset[ItemStatus] = frozenset(
    dst for (_, dst), mover in TRANSITIONS.items() if mover is Mover.OMS
)

# The reason field each status needs, and the fields shipping needs.
REASON_FIELD_FOR_STATUS: dict[ItemStatus, str] = {
    ItemStatus.CANCELED: "cancel_reason",
    ItemStatus.FAILED_DELIVERY: "failed_delivery_reason",
    ItemStatus.RETURNED: "return_reason",
}
SHIPPING_FIELDS_FOR_STATUS: dict[ItemStatus, tuple[str, ...]] = {
    ItemStatus.SHIPPED: ("shipping_carrier", "tracking_code"),
}


def can_move(current: str, target: str, *, mover: Mover = Mover.OMS) -> bool:
    """Whether ``mover`` may move an item from ``current`` to ``target``."""
    try:
        allowed_mover = TRANSITIONS[(ItemStatus(current), ItemStatus(target))]
    except (KeyError, ValueError):
        return False
    return allowed_mover is mover


def next_statuses(current: str, *, mover: Mover = Mover.OMS) -> list[ItemStatus]:
    """The statuses ``mover`` may move an item in ``current`` to, in table order."""
    return [dst for (src, dst), who in TRANSITIONS.items() if src == current and who is mover]


def is_terminal(status: str) -> bool:
    return ItemStatus(status) in TERMINAL_STATUSES


def status_label(status: str) -> str:
    try:
        return ItemStatus(status).label
    except ValueError:
        return status


def mermaid() -> str:
    """The state machine as a Mermaid ``stateDiagram-v2``, generated from ``TRANSITIONS``."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL_STATUS.value}"]
    for (src, dst), mover in TRANSITIONS.items():
        suffix = ": seller" if mover is Mover.SELLER else ""
        lines.append(f"    {src.value} --> {dst.value}{suffix}")
    return "\n".join(lines) + "\n"
