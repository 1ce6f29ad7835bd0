"""The state machine table: every listed move allowed, every other refused, terminal states."""

import itertools
from pathlib import Path

import pytest
from django.core.management import call_command

from orders.state_machine import (
    OMS_PUSHABLE_STATUSES,
    TERMINAL_STATUSES,
    ItemStatus,
    Mover,
    can_move,
    mermaid,
    next_statuses,
)

SPEC_MOVES = {
    ("pending", "ready_to_ship"): Mover.SELLER,
    ("pending", "canceled"): Mover.OMS,
    ("pending", "shipped"): Mover.OMS,
    ("ready_to_ship", "canceled"): Mover.OMS,
    ("ready_to_ship", "shipped"): Mover.OMS,
    ("shipped", "delivered"): Mover.OMS,
    ("shipped", "failed_delivery"): Mover.OMS,
    ("delivered", "return_shipped_by_customer"): Mover.OMS,
    ("delivered", "returned"): Mover.OMS,
    ("return_shipped_by_customer", "returned"): Mover.OMS,
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ItemStatus, ItemStatus)))
def test_every_pair_of_statuses_is_allowed_exactly_when_the_spec_lists_it(current, target):
    expected = SPEC_MOVES.get((current.value, target.value))
    assert can_move(current, target, mover=Mover.OMS) is (expected is Mover.OMS)
    assert can_move(current, target, mover=Mover.SELLER) is (expected is Mover.SELLER)


def test_terminal_statuses_are_canceled_failed_delivery_and_returned():
    assert {s.value for s in TERMINAL_STATUSES} == {"canceled", "failed_delivery", "returned"}
    for status in TERMINAL_STATUSES:
        assert next_statuses(status) == []


def test_the_oms_pushes_exactly_the_six_statuses_of_the_contract():
    assert {s.value for s in OMS_PUSHABLE_STATUSES} == {
        "shipped",
        "canceled",
        "failed_delivery",
        "delivered",
        "returned",
        "return_shipped_by_customer",
    }


def test_unknown_statuses_never_move():
    assert can_move("pending", "lost") is False
    assert can_move("lost", "shipped") is False


def test_labels_are_the_ones_sellers_see():
    assert [s.label for s in ItemStatus] == [
        "Pending",
        "Ready to Ship",
        "Shipped",
        "Delivered",
        "Canceled",
        "Failed Delivery",
        "Return Shipped by Customer",
        "Returned",
    ]


def test_state_machine_command_prints_the_mermaid_diagram(capsys):
    call_command("state_machine")
    out = capsys.readouterr().out
    assert out == mermaid()
    assert out.splitlines()[:3] == [
        "stateDiagram-v2",
        "    [*] --> pending",
        "    pending --> ready_to_ship: seller",
    ]
    assert len(out.splitlines()) == 2 + len(SPEC_MOVES)


def test_the_readme_diagram_is_the_commands_output():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "```mermaid\n" + mermaid() + "```" in readme
