"""UpdateItemsStatus and UpdateItemsInformation through the HTTP stack (oms-api.md §4 to §6)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from maintenance.config import IMPORT_STATUS_DETAILS
from maintenance.models import ConfigurationParameter, RequestOutcome
from maintenance.refresh import queued_mark
from orders.models import ItemHistory, OrderItem
from tests.conftest import at
from tests.omsapi.conftest import last_log, shipped

pytestmark = pytest.mark.django_db

OLD_CLIENT_CANCEL = {
    "id_sales_order_item": "22",
    "item_status": "canceled",
    "package_status": "",
    "cancel_reason": "Cannot fulfil",
    "return_reason": "",
    "failed_delivery_reason": "",
    "shipping_carrier": "",
    "tracking_code": "",
    "status_event_time": "2017-02-11 23:10:55",
}


def refused_body(answer, action="UpdateItemsStatus"):
    assert answer.status == 400
    assert answer.head["ErrorType"] == "Sender"
    assert answer.head["ErrorCode"] == "0"
    assert answer.head["ErrorMessage"] == "Some elements were not processed"
    return answer.body[action]


def status_of(item_id: int) -> str:
    return OrderItem.objects.get(id_sales_order_item=item_id).status


def test_an_older_client_sending_every_field_with_empty_strings(call, make_items):
    make_items(1, first_id=22)
    answer = call(items=[OLD_CLIENT_CANCEL])
    assert answer.status == 200
    item = OrderItem.objects.get(id_sales_order_item=22)
    assert (item.status, item.reason, item.status_event_time) == (
        "canceled",
        "Cannot fulfil",
        at("2017-02-11 23:10:55"),
    )


def test_the_plain_time_is_in_the_venture_time_zone(call, make_items, settings):
    settings.VENTURE_TIME_ZONE = "Asia/Singapore"
    make_items(1, first_id=22)
    assert call(items=[OLD_CLIENT_CANCEL]).status == 200
    item = OrderItem.objects.get(id_sales_order_item=22)
    assert item.status_event_time == at("2017-02-11 15:10:55")


def test_iso_8601_with_offset_is_taken(call, make_items):
    make_items(1, first_id=11)
    answer = call(items=[shipped(11, status_event_time="2026-11-20T18:00:00+08:00")])
    assert answer.status == 200
    assert OrderItem.objects.get(id_sales_order_item=11).status_event_time == at(
        "2026-11-20 10:00:00"
    )


def test_a_mixed_batch_lists_only_the_refused_items_by_position(call, make_items):
    make_items(4, first_id=11)
    answer = call(
        items=[
            shipped(11),  # 0: applied
            {"id_sales_order_item": 12, "item_status": "delivered"},  # 1: E028
            shipped(99),  # 2: E020
            {"id_sales_order_item": 13, "item_status": "canceled"},  # 3: E022
            "not an object",  # 4: E005
            shipped(14, traking_code="x"),  # 5: E005 names the unknown field
            {"id_sales_order_item": 14, "item_status": "shipped", "tracking_code": "1"},  # 6
        ]
    )
    errors = refused_body(answer)
    assert [(e["Position"], e["ErrorCode"]) for e in errors] == [
        (1, 28),
        (2, 20),
        (3, 22),
        (4, 5),
        (5, 5),
        (6, 5),
    ]
    assert errors[0]["ErrorMessage"] == (
        'E028: It is not possible to set the order item to the status "delivered" '
        '(item_status: the current status is "pending"; the OMS may move it to: "canceled", '
        '"shipped") for Order Item with id: 12'
    )
    assert errors[1]["ErrorMessage"].startswith('E020: "99" Invalid Order Item ID')
    assert errors[2]["ErrorMessage"] == (
        'E022: "" Invalid Reason (cancel_reason: a reason is required for status "canceled") '
        "for Order Item with id: 13"
    )
    assert errors[3]["ErrorMessage"] == (
        "E005: Invalid Request Format (Items: each element of Items must be an object, got "
        "'not an object') for Order Item with id: (none)"
    )
    assert "traking_code" in errors[4]["ErrorMessage"]
    assert "for Order Item with id: 14" in errors[4]["ErrorMessage"]
    assert errors[5]["ErrorMessage"] == (
        'E005: Invalid Request Format (shipping_carrier: required for status "shipped") '
        "for Order Item with id: 14"
    )
    # only the good item changed, and only it has history
    assert [status_of(i) for i in (11, 12, 13, 14)] == ["shipped", "pending", "pending", "pending"]
    assert list(ItemHistory.objects.values_list("item__id_sales_order_item", flat=True)) == [11]
    log = last_log()
    assert (log.outcome, log.http_status, log.items_received, log.items_refused) == (
        RequestOutcome.PARTIAL,
        400,
        7,
        6,
    )
    assert [e["position"] for e in log.item_errors] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("id_sales_order_item", "12a", "expected an integer or a string of digits, got '12a'"),
        ("id_sales_order_item", True, "expected an integer or a string of digits, got true"),
        ("id_sales_order_item", None, "required: an integer or a string of digits"),
        ("item_status", 5, "expected a string, got 5"),
        ("item_status", "lost", '"lost" is not a status the OMS may set'),
        ("tracking_code", 389292777, "expected a string, got 389292777"),
        ("tracking_code", "x" * 101, "at most 100 characters are allowed, 101 were sent"),
        ("status_event_time", "2026-11-20T10:00:00", "expected YYYY-MM-DD hh:mm:ss"),
        ("status_event_time", "20.11.2026 10:00", "expected YYYY-MM-DD hh:mm:ss"),
        ("status_event_time", 1700000000, "expected YYYY-MM-DD hh:mm:ss"),
    ],
)
def test_a_bad_field_is_refused_naming_it(call, make_items, field, value, words):
    make_items(1, first_id=11)
    (error,) = refused_body(call(items=[shipped(11, **{field: value})]))
    assert error["ErrorCode"] == 5
    assert error["Position"] == 0
    assert f"({field}: " in error["ErrorMessage"]
    assert words in error["ErrorMessage"]
    assert status_of(11) == "pending"
    assert ItemHistory.objects.count() == 0


def test_a_missing_item_status_is_refused(call, make_items):
    make_items(1, first_id=11)
    (error,) = refused_body(call(items=[{"id_sales_order_item": 11}]))
    assert error["ErrorMessage"] == (
        "E005: Invalid Request Format (item_status: required) for Order Item with id: 11"
    )


def test_a_reason_over_its_limit_is_e022(call, make_items):
    make_items(1, first_id=11)
    item = {"id_sales_order_item": 11, "item_status": "canceled", "cancel_reason": "r" * 256}
    (error,) = refused_body(call(items=[item]))
    assert error["ErrorCode"] == 22
    assert "cancel_reason: at most 255 characters" in error["ErrorMessage"]
    assert status_of(11) == "pending"


def test_a_digit_string_id_is_answered_as_an_integer(call, make_items):
    make_items(1, first_id=11)
    (error,) = refused_body(
        call(
            items=[
                {"id_sales_order_item": "11", "item_status": "returned", "return_reason": "Size"}
            ]
        )
    )
    assert error["ErrorMessage"].endswith("for Order Item with id: 11")
    answer = call("GetItemsStatus", [{"id_sales_order_item": "11"}])
    assert answer.body["Items"][0]["id_sales_order_item"] == 11


def test_resending_the_same_request_changes_nothing_and_succeeds(call, make_items):
    make_items(1, first_id=11)
    item = shipped(11, status_event_time="2026-11-20 10:00:00")
    assert call(items=[item]).status == 200
    before = OrderItem.objects.get(id_sales_order_item=11).updated_at
    answer = call(items=[item])
    assert answer.status == 200
    assert ItemHistory.objects.count() == 1
    assert OrderItem.objects.get(id_sales_order_item=11).updated_at == before
    assert last_log().reason == "0 applied, 0 late, 1 repeats, 0 refused"


def test_a_late_event_is_kept_in_history_and_does_not_overwrite(call, make_items):
    make_items(1, first_id=11)
    ship = shipped(11, status_event_time="2026-11-20 10:00:00")
    deliver = {
        "id_sales_order_item": 11,
        "item_status": "delivered",
        "status_event_time": "2026-11-22 10:00:00",
    }
    fail = {
        "id_sales_order_item": 11,
        "item_status": "failed_delivery",
        "failed_delivery_reason": "Address not found",
        "status_event_time": "2026-11-21 10:00:00",
    }
    assert call(items=[ship, deliver]).status == 200
    answer = call(items=[fail])
    assert answer.status == 200
    item = OrderItem.objects.get(id_sales_order_item=11)
    assert (item.status, item.status_event_time) == ("delivered", at("2026-11-22 10:00:00"))
    assert list(
        ItemHistory.objects.order_by("status_event_time").values_list("status", "applied")
    ) == [("shipped", True), ("failed_delivery", False), ("delivered", True)]
    assert last_log().reason == "0 applied, 1 late, 0 repeats, 0 refused"


def test_status_details_through_update_items_information(call, make_items, detail_options):
    make_items(1, first_id=11, status="returned", reason="Size")
    answer = call(
        "UpdateItemsInformation",
        [{"id_sales_order_item": 11, "status_detail": "with_3pl_on_way_to_venture"}],
    )
    assert answer.status == 200
    assert answer.head["RequestAction"] == "UpdateItemsInformation"
    item = OrderItem.objects.get(id_sales_order_item=11)
    assert item.status_detail == detail_options[("returned", "with_3pl_on_way_to_venture")]


def test_a_detail_of_another_status_is_refused(call, make_items, detail_options):
    make_items(1, first_id=11, status="returned", reason="Size")
    (error,) = refused_body(
        call("UpdateItemInformation", [{"id_sales_order_item": 11, "status_detail": "at_hub"}]),
        "UpdateItemsInformation",
    )
    assert error["ErrorCode"] == 5
    assert "status_detail" in error["ErrorMessage"]
    assert OrderItem.objects.get(id_sales_order_item=11).status_detail is None


def test_an_unknown_detail_queues_a_refresh_of_the_senders_options(
    call, make_items, detail_options, oms
):
    oms.credential.oms_url = "http://127.0.0.1:9/oms"
    oms.credential.save()
    cache.delete(queued_mark(oms.credential.pk))
    make_items(1, first_id=11, status="returned", reason="Size")
    try:
        (error,) = refused_body(
            call("UpdateItemsInformation", [{"id_sales_order_item": 11, "status_detail": "new"}]),
            "UpdateItemsInformation",
        )
        assert error["ErrorMessage"] == (
            'E005: Invalid Request Format (status_detail: "new" is not a known status detail of '
            'status "returned") for Order Item with id: 11'
        )
        assert cache.get(queued_mark(oms.credential.pk)) == "unknown_status_detail"
    finally:
        cache.delete(queued_mark(oms.credential.pk))


def test_status_details_while_their_import_is_off_are_e093(call, make_items, detail_options):
    make_items(1, first_id=11, status="returned", reason="Size")
    ConfigurationParameter.objects.create(name=IMPORT_STATUS_DETAILS, value="off")
    (error,) = refused_body(
        call(
            "UpdateItemsInformation",
            [{"id_sales_order_item": 11, "status_detail": "with_3pl_on_way_to_venture"}],
        ),
        "UpdateItemsInformation",
    )
    assert error["ErrorCode"] == 93
    assert error["ErrorMessage"].startswith("E093: currently not allowed")
    assert OrderItem.objects.get(id_sales_order_item=11).status_detail is None
    assert ItemHistory.objects.count() == 0


def test_information_needs_the_status_detail_field(call, make_items):
    make_items(1, first_id=11)
    (error,) = refused_body(
        call("UpdateItemsInformation", [{"id_sales_order_item": 11, "tracking_code": "A"}]),
        "UpdateItemsInformation",
    )
    assert "(status_detail: required" in error["ErrorMessage"]
    assert OrderItem.objects.get(id_sales_order_item=11).tracking_code == ""
