"""The demo's data: the orders ``seed_demo`` loads and the day of events the demo OMS pushes.

Orders come in every status, for two sellers. The day starts with status details for the items
already in failed delivery or returned, so the seller screen shows details within the first
seconds; then items ship, get delivered, fail delivery and come back, with their details moving.
Afterwards the details of the returned and failed items keep moving, one step at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .options import keys_of

SERVICE_NAME = "DEMO-OMS"
SELLERS = {"acme-shoes": "Acme Shoes", "bolt-bags": "Bolt Bags"}

# (seller, order number, days ago, [(id_sales_order_item, sku, name, status), ...])
_ORDERS: tuple[tuple[str, str, int, list[tuple[int, str, str, str]]], ...] = (
    (
        "acme-shoes",
        "DEMO-1001",
        0,
        [
            (910011, "ACM-RUN-RED-42", "Runner, red, 42", "pending"),
            (910012, "ACM-RUN-BLU-41", "Runner, blue, 41", "pending"),
        ],
    ),
    (
        "acme-shoes",
        "DEMO-1002",
        1,
        [(910021, "ACM-BOOT-BLK-44", "Boot, black, 44", "ready_to_ship")],
    ),
    ("acme-shoes", "DEMO-1003", 2, [(910031, "ACM-SAN-BRN-39", "Sandal, brown, 39", "shipped")]),
    ("acme-shoes", "DEMO-1004", 4, [(910041, "ACM-LOA-TAN-43", "Loafer, tan, 43", "delivered")]),
    ("acme-shoes", "DEMO-1005", 5, [(910051, "ACM-SLI-GRY-40", "Slipper, grey, 40", "canceled")]),
    (
        "acme-shoes",
        "DEMO-1006",
        6,
        [(910061, "ACM-RUN-WHT-45", "Runner, white, 45", "failed_delivery")],
    ),
    (
        "acme-shoes",
        "DEMO-1007",
        8,
        [(910071, "ACM-HIK-GRN-42", "Hiking boot, green, 42", "return_shipped_by_customer")],
    ),
    ("acme-shoes", "DEMO-1008", 9, [(910081, "ACM-HEE-RED-38", "Heel, red, 38", "returned")]),
    ("bolt-bags", "DEMO-2001", 0, [(920011, "BLT-TOT-NAV", "Tote, navy", "pending")]),
    ("bolt-bags", "DEMO-2002", 1, [(920021, "BLT-BPK-BLK", "Backpack, black", "ready_to_ship")]),
    ("bolt-bags", "DEMO-2003", 2, [(920031, "BLT-DUF-OLV", "Duffel, olive", "shipped")]),
    ("bolt-bags", "DEMO-2004", 3, [(920041, "BLT-MSG-BRN", "Messenger, brown", "delivered")]),
    ("bolt-bags", "DEMO-2005", 5, [(920051, "BLT-CLU-GLD", "Clutch, gold", "canceled")]),
    ("bolt-bags", "DEMO-2006", 6, [(920061, "BLT-WAL-BLK", "Wallet, black", "failed_delivery")]),
    (
        "bolt-bags",
        "DEMO-2007",
        7,
        [(920071, "BLT-SAT-RED", "Satchel, red", "return_shipped_by_customer")],
    ),
    ("bolt-bags", "DEMO-2008", 9, [(920081, "BLT-TRV-GRY", "Travel bag, grey", "returned")]),
)


def demo_orders(now: datetime) -> list[dict]:
    """The demo orders in the order file format of ``import_orders``."""
    return [
        {
            "order_number": number,
            "seller": seller,
            "created_at": (now - timedelta(days=days_ago, hours=index)).isoformat(),
            "items": [
                {"id_sales_order_item": item_id, "sku": sku, "name": name, "status": status}
                for item_id, sku, name, status in items
            ],
        }
        for index, (seller, number, days_ago, items) in enumerate(_ORDERS)
    ]


@dataclass(frozen=True)
class Step:
    """One request of the day: an action and its items (without status_event_time)."""

    action: str
    items: tuple[dict, ...]


def _status(item_id: int, status: str, **fields: str) -> dict:
    return {"id_sales_order_item": item_id, "item_status": status, **fields}


def _detail(item_id: int, key: str) -> dict:
    return {"id_sales_order_item": item_id, "status_detail": key}


def _info(*items: dict) -> Step:
    return Step("UpdateItemsInformation", items)


def _move(*items: dict) -> Step:
    return Step("UpdateItemsStatus", items)


DAY: tuple[Step, ...] = (
    _info(
        _detail(910081, "initiated"),
        _detail(910061, "with_3pl_on_way_to_venture"),
        _detail(920081, "initiated"),
        _detail(920061, "with_venture"),
    ),
    _move(_status(910011, "shipped", shipping_carrier="DHL", tracking_code="389292777")),
    _info(_detail(910011, "at_hub")),
    _move(_status(910031, "failed_delivery", failed_delivery_reason="Address not found")),
    _info(_detail(910031, "with_3pl_on_way_to_venture")),
    _move(_status(910071, "returned", return_reason="Size did not fit")),
    _info(_detail(910071, "initiated"), _detail(910081, "with_3pl_on_way_to_venture")),
    _move(
        _status(910011, "delivered"),
        _status(910012, "canceled", cancel_reason="Cannot fulfil"),
        _status(920011, "shipped", shipping_carrier="Ninja Van", tracking_code="NV77120034"),
    ),
    _info(_detail(910031, "with_venture"), _detail(920011, "at_hub")),
    _move(_status(910041, "returned", return_reason="Wrong colour")),
    _info(_detail(910041, "initiated"), _detail(910071, "with_3pl_on_way_to_venture")),
    _move(
        _status(920031, "delivered"),
        _status(920021, "shipped", shipping_carrier="DHL", tracking_code="389292912"),
    ),
    _info(
        _detail(910061, "returned_to_seller"),
        _detail(910081, "with_venture_awaiting_processing"),
    ),
    _move(_status(920041, "return_shipped_by_customer")),
    _move(_status(920011, "failed_delivery", failed_delivery_reason="Customer not at home")),
    _info(
        _detail(920011, "with_3pl_on_way_to_seller"), _detail(920081, "with_3pl_on_way_to_venture")
    ),
)

# After the day: the items whose details keep moving, with the status they are in by then.
MOVING: tuple[tuple[int, str], ...] = (
    (910081, "returned"),
    (910031, "failed_delivery"),
    (910071, "returned"),
    (920081, "returned"),
    (910041, "returned"),
    (920011, "failed_delivery"),
    (910061, "failed_delivery"),
    (920061, "failed_delivery"),
)


def moving_step(tick: int) -> Step:
    """The ``tick``-th step after the day: one item's detail moves one place on."""
    item_id, status = MOVING[tick % len(MOVING)]
    keys = keys_of(status)
    return _info(_detail(item_id, keys[(tick // len(MOVING) + 1) % len(keys)]))
