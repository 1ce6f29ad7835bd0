"""GetItemsStatus (oms-api.md §4.3): reconciliation, with and without history, unknown ids."""

from __future__ import annotations

import pytest

from tests.omsapi.conftest import shipped

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered_item(call, make_items):
    make_items(2, first_id=11)
    ship = shipped(11, status_event_time="2026-11-20 10:00:00", package_status="packed")
    deliver = {
        "id_sales_order_item": 11,
        "item_status": "delivered",
        "status_event_time": "2026-11-22 10:00:00",
    }
    failed = {
        "id_sales_order_item": 11,
        "item_status": "failed_delivery",
        "failed_delivery_reason": "Not home",
        "status_event_time": "2026-11-21 10:00:00",
    }
    assert call(items=[ship, deliver]).status == 200
    assert call(items=[failed]).status == 200


def test_without_history(call, delivered_item):
    answer = call("GetItemsStatus", [{"id_sales_order_item": 12}, {"id_sales_order_item": 11}])
    assert answer.status == 200
    assert answer.head["ResponseType"] == "Items"
    assert answer.body == {
        "Items": [
            {
                "id_sales_order_item": 12,
                "item_status": "pending",
                "status_detail": "",
                "status_detail_label": "",
                "status_event_time": None,
                "shipping_carrier": "",
                "tracking_code": "",
                "package_status": "",
            },
            {
                "id_sales_order_item": 11,
                "item_status": "delivered",
                "status_detail": "",
                "status_detail_label": "",
                "status_event_time": "2026-11-22T10:00:00+00:00",
                "shipping_carrier": "DHL",
                "tracking_code": "389292777",
                "package_status": "packed",
            },
        ]
    }


def test_with_history_oldest_first_late_events_not_applied(call, delivered_item):
    answer = call(
        "GetItemsStatus", [{"id_sales_order_item": 11}], extra_params={"IncludeHistory": "1"}
    )
    assert answer.status == 200
    history = answer.body["Items"][0]["History"]
    assert [
        (h["item_status"], h["reason"], h["status_event_time"], h["applied"]) for h in history
    ] == [
        ("shipped", "", "2026-11-20T10:00:00+00:00", True),
        ("failed_delivery", "Not home", "2026-11-21T10:00:00+00:00", False),
        ("delivered", "", "2026-11-22T10:00:00+00:00", True),
    ]
    assert all(h["status_detail"] == "" and h["received_at"] for h in history)


def test_unknown_ids_are_e020_with_their_positions_and_the_known_ones_answered(
    call, delivered_item
):
    answer = call(
        "GetItemsStatus",
        [{"id_sales_order_item": 404}, {"id_sales_order_item": 11}, {"id_sales_order_item": 405}],
    )
    assert answer.status == 400
    assert answer.head["ErrorCode"] == "0"
    errors = answer.body["GetItemsStatus"]
    assert [(e["Position"], e["ErrorCode"]) for e in errors] == [(0, 20), (2, 20)]
    assert errors[0]["ErrorMessage"].startswith('E020: "404" Invalid Order Item ID')
    assert [i["id_sales_order_item"] for i in answer.body["Items"]] == [11]


def test_get_items_status_refuses_unknown_fields(call, delivered_item):
    answer = call("GetItemsStatus", [{"id_sales_order_item": 11, "item_status": "x"}])
    (error,) = answer.body["GetItemsStatus"]
    assert error["ErrorCode"] == 5
    assert '"item_status" is not a field of GetItemsStatus items' in error["ErrorMessage"]
