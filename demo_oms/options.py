"""The status detail options the demo OMS publishes: those of the feature description, plus
one for shipped items, since details exist for any status the OMS publishes options for."""

from __future__ import annotations

DEMO_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("returned", "initiated", "Initiated"),
    ("returned", "with_3pl_on_way_to_venture", "With 3PL on way to Venture"),
    ("returned", "with_venture_awaiting_processing", "With Venture awaiting processing"),
    (
        "returned",
        "with_venture_awaiting_return_to_seller",
        "With Venture awaiting return to Seller",
    ),
    ("returned", "return_refused", "Return Refused"),
    ("returned", "with_3pl_on_way_to_seller", "With 3PL on way to Seller"),
    ("returned", "returned_to_seller", "Returned to Seller"),
    ("failed_delivery", "with_3pl_on_way_to_venture", "With 3PL on way to Venture"),
    ("failed_delivery", "returned_to_seller", "Returned to Seller"),
    ("failed_delivery", "with_3pl_on_way_to_seller", "With 3PL on way to Seller"),
    ("failed_delivery", "with_venture", "With Venture"),
    ("shipped", "at_hub", "At hub"),
)


def option_list(options=DEMO_OPTIONS) -> list[dict[str, str]]:
    return [{"status": status, "key": key, "label": label} for status, key, label in options]


def keys_of(status: str, options=DEMO_OPTIONS) -> list[str]:
    return [key for option_status, key, _ in options if option_status == status]
