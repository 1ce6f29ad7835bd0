"""The write path (orders.status_updates): every rule of oms-api.md §5, on the configured DB."""

from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.errors import (
    InvalidOrderItemId,
    InvalidReason,
    InvalidRequestFormat,
    NotAllowedNow,
    TransitionNotAllowed,
    UnknownStatusDetail,
)
from orders.models import ItemHistory, OrderItem
from orders.status_updates import (
    InformationUpdate,
    Outcome,
    StatusUpdate,
    apply_information_updates,
    apply_status_updates,
)
from tests.conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.writepath]

T1 = at("2026-11-20 10:00:00")
T2 = at("2026-11-21 10:00:00")
T3 = at("2026-11-22 10:00:00")
RECEIVED = at("2026-11-27 09:00:00")


def ship(item_id, *, time=T1, carrier="DHL", tracking="389292777", **extra):
    return StatusUpdate(
        item_id,
        "shipped",
        shipping_carrier=carrier,
        tracking_code=tracking,
        status_event_time=time,
        **extra,
    )


def push(*items, received_at=RECEIVED):
    return apply_status_updates(
        items=list(items), system="OMS", request_id="req-1", received_at=received_at
    )


def inform(*items, enabled=True, received_at=RECEIVED):
    return apply_information_updates(
        items=list(items),
        status_details_enabled=enabled,
        system="OMS",
        request_id="req-2",
        received_at=received_at,
    )


def snapshot(item):
    item.refresh_from_db()
    return (
        item.status,
        item.status_detail_id,
        item.reason,
        item.shipping_carrier,
        item.tracking_code,
        item.package_status,
        item.status_event_time,
        item.updated_at,
    )


# --- applied ---------------------------------------------------------------------------------


def test_a_status_update_is_applied_and_recorded_once(make_items):
    (item,) = make_items(1, first_id=11)

    results = push(ship(11))

    assert [(r.id_sales_order_item, r.outcome, r.error) for r in results] == [
        (11, Outcome.APPLIED, None)
    ]
    item.refresh_from_db()
    assert (item.status, item.shipping_carrier, item.tracking_code) == (
        "shipped",
        "DHL",
        "389292777",
    )
    assert item.status_event_time == T1
    assert item.updated_at == RECEIVED
    rows = list(ItemHistory.objects.filter(item=item).values())
    assert len(rows) == 1
    row = rows[0]
    assert row["kind"] == "status"
    assert row["status"] == "shipped"
    assert row["status_detail_id"] is None
    assert (row["shipping_carrier"], row["tracking_code"]) == ("DHL", "389292777")
    assert row["status_event_time"] == T1
    assert row["received_at"] == RECEIVED
    assert row["applied"] is True
    assert (row["system"], row["request_id"]) == ("OMS", "req-1")
    assert len(row["fingerprint"]) == 64


def test_a_full_journey_keeps_the_reason_of_the_current_status(make_items):
    (item,) = make_items(1, first_id=12)

    results = push(
        ship(12, time=T1),
        StatusUpdate(12, "delivered", status_event_time=T2),
        StatusUpdate(12, "returned", return_reason="Size did not fit", status_event_time=T3),
    )

    assert [r.outcome for r in results] == [Outcome.APPLIED] * 3
    item.refresh_from_db()
    assert (item.status, item.reason, item.status_event_time) == (
        "returned",
        "Size did not fit",
        T3,
    )
    assert list(item.history.order_by("status_event_time").values_list("status", flat=True)) == [
        "shipped",
        "delivered",
        "returned",
    ]


def test_an_event_without_a_time_happened_when_the_request_arrived(make_items):
    (item,) = make_items(1, first_id=13)

    push(StatusUpdate(13, "canceled", cancel_reason="Cannot fulfil"))

    item.refresh_from_db()
    assert (item.status, item.reason, item.status_event_time) == (
        "canceled",
        "Cannot fulfil",
        RECEIVED,
    )
    assert item.history.get().status_event_time == RECEIVED


def test_legacy_clients_send_every_field_with_empty_strings(make_items):
    (item,) = make_items(1, first_id=22, status="ready_to_ship", package_status="Packed")

    results = push(
        StatusUpdate(
            22,
            "canceled",
            package_status="",
            cancel_reason="Cannot fulfil",
            return_reason="",
            failed_delivery_reason="",
            shipping_carrier="",
            tracking_code="",
            status_event_time=at("2017-02-11 23:10:55"),
        )
    )

    assert results[0].outcome is Outcome.APPLIED
    item.refresh_from_db()
    assert (item.status, item.reason, item.package_status) == (
        "canceled",
        "Cannot fulfil",
        "Packed",
    )


def test_old_and_archived_orders_are_updated_like_any_other(make_items):
    (item,) = make_items(1, first_id=14)
    OrderItem.objects.filter(pk=item.pk).update(created_at=at("2012-01-01 00:00:00"))

    results = push(ship(14, time=at("2012-01-02 00:00:00")))

    assert results[0].outcome is Outcome.APPLIED
    item.refresh_from_db()
    assert item.status == "shipped"


def test_a_new_status_clears_the_status_detail(make_items, detail_options):
    (item,) = make_items(
        1, first_id=15, status="shipped", shipping_carrier="DHL", tracking_code="1"
    )
    inform(InformationUpdate(15, "at_hub", status_event_time=T1))
    item.refresh_from_db()
    assert item.status_detail == detail_options[("shipped", "at_hub")]

    push(StatusUpdate(15, "delivered", status_event_time=T2))

    item.refresh_from_db()
    assert (item.status, item.status_detail_id) == ("delivered", None)


def test_the_same_status_with_new_information_updates_it_and_is_recorded(make_items):
    (item,) = make_items(1, first_id=16)
    push(ship(16, time=T1, tracking="OLD-1"))

    results = push(ship(16, time=T2, tracking="NEW-2"))

    assert results[0].outcome is Outcome.APPLIED
    item.refresh_from_db()
    assert (item.status, item.tracking_code, item.status_event_time) == ("shipped", "NEW-2", T2)
    assert item.history.count() == 2


# --- repeats and resends ---------------------------------------------------------------------


def test_resending_a_request_changes_nothing_and_adds_no_history(make_items):
    items = make_items(3, first_id=30)
    batch = [ship(30), ship(31), StatusUpdate(32, "canceled", cancel_reason="Out of stock")]
    push(*batch)
    before = [snapshot(item) for item in items]

    results = push(*batch, received_at=RECEIVED + timedelta(minutes=5))

    assert [r.outcome for r in results] == [Outcome.REPEAT] * 3
    assert [snapshot(item) for item in items] == before
    assert ItemHistory.objects.count() == 3


def test_a_repeat_is_a_repeat_whatever_its_event_time(make_items):
    (item,) = make_items(1, first_id=33)
    push(ship(33, time=T2))
    before = snapshot(item)

    results = push(ship(33, time=T1), ship(33, time=T3), ship(33, time=None))

    assert [r.outcome for r in results] == [Outcome.REPEAT] * 3
    assert snapshot(item) == before
    assert item.history.count() == 1


def test_repeated_ids_in_one_batch_apply_in_order(make_items):
    (first,) = make_items(1, first_id=34)
    (second,) = make_items(1, first_id=35)

    results = push(
        ship(34, time=T1),
        StatusUpdate(34, "delivered", status_event_time=T2),
        StatusUpdate(35, "delivered", status_event_time=T2),
        ship(35, time=T3),
    )

    assert [r.outcome for r in results] == [
        Outcome.APPLIED,
        Outcome.APPLIED,
        Outcome.REFUSED,
        Outcome.APPLIED,
    ]
    assert isinstance(results[2].error, TransitionNotAllowed)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("delivered", "shipped")
    assert first.history.count() == 2 and second.history.count() == 1


# --- late events -----------------------------------------------------------------------------


def test_a_late_event_is_kept_in_history_and_does_not_overwrite(make_items):
    (item,) = make_items(1, first_id=40)
    push(ship(40, time=T1), StatusUpdate(40, "delivered", status_event_time=T3))
    before = snapshot(item)

    results = push(ship(40, time=T2, tracking="CORRECTED"))

    assert results[0].outcome is Outcome.LATE
    assert snapshot(item) == before
    late = item.history.get(status_event_time=T2)
    assert (late.status, late.tracking_code, late.applied) == ("shipped", "CORRECTED", False)

    again = push(ship(40, time=T2, tracking="CORRECTED"), received_at=RECEIVED + timedelta(hours=1))

    assert again[0].outcome is Outcome.LATE
    assert item.history.count() == 3


def test_a_late_event_is_checked_only_on_its_own_terms(make_items):
    (item,) = make_items(1, first_id=41)
    push(ship(41, time=T2))

    results = push(
        StatusUpdate(41, "canceled", cancel_reason="Customer changed mind", status_event_time=T1),
        StatusUpdate(41, "canceled", status_event_time=T1),
    )

    assert results[0].outcome is Outcome.LATE  # pending -> canceled is not asked of the state
    assert results[1].outcome is Outcome.REFUSED
    assert isinstance(results[1].error, InvalidReason)
    item.refresh_from_db()
    assert item.status == "shipped"
    assert item.history.filter(applied=False).count() == 1


def test_an_event_at_the_same_time_as_the_newest_applies(make_items):
    (item,) = make_items(1, first_id=42)
    push(ship(42, time=T2, tracking="FIRST"))

    results = push(ship(42, time=T2, tracking="SECOND"))

    assert results[0].outcome is Outcome.APPLIED
    item.refresh_from_db()
    assert item.tracking_code == "SECOND"


def test_items_loaded_without_history_never_see_their_first_event_as_late(make_items):
    (item,) = make_items(1, first_id=43, status="delivered")

    results = push(
        StatusUpdate(
            43, "returned", return_reason="Broken", status_event_time=at("2001-01-01 00:00:00")
        )
    )

    assert results[0].outcome is Outcome.APPLIED


# --- refused ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("update", "error_class", "code", "field"),
    [
        (
            StatusUpdate(50, "shipped", tracking_code="1"),
            InvalidRequestFormat,
            5,
            "shipping_carrier",
        ),
        (
            StatusUpdate(50, "shipped", shipping_carrier="DHL"),
            InvalidRequestFormat,
            5,
            "tracking_code",
        ),
        (StatusUpdate(50, "canceled"), InvalidReason, 22, "cancel_reason"),
        (StatusUpdate(50, "canceled", cancel_reason="   "), InvalidReason, 22, "cancel_reason"),
        (
            StatusUpdate(50, "canceled", cancel_reason="x" * 256),
            InvalidReason,
            22,
            "cancel_reason",
        ),
        (
            StatusUpdate(50, "canceled", cancel_reason="ok", return_reason="y" * 256),
            InvalidReason,
            22,
            "return_reason",
        ),
        (ship(50, carrier="c" * 101), InvalidRequestFormat, 5, "shipping_carrier"),
        (ship(50, package_status="p" * 101), InvalidRequestFormat, 5, "package_status"),
        (StatusUpdate(50, "lost"), InvalidRequestFormat, 5, "item_status"),
        (StatusUpdate(50, "ready_to_ship"), InvalidRequestFormat, 5, "item_status"),
        (StatusUpdate(50, "delivered"), TransitionNotAllowed, 28, "item_status"),
        (StatusUpdate(50, "returned", return_reason="x"), TransitionNotAllowed, 28, "item_status"),
        (ship(51), InvalidOrderItemId, 20, "id_sales_order_item"),
    ],
)
def test_a_refused_item_leaves_no_trace(make_items, update, error_class, code, field):
    (item,) = make_items(1, first_id=50)
    before = snapshot(item)

    (result,) = push(update)

    assert result.outcome is Outcome.REFUSED
    assert type(result.error) is error_class
    assert result.error.code == code
    assert result.error.field == field
    assert f"for Order Item with id: {update.id_sales_order_item}" in result.error.message
    assert result.error.message.startswith(f"E{code:03d}: ")
    assert f"({field}: " in result.error.message
    assert snapshot(item) == before
    assert ItemHistory.objects.count() == 0


def test_a_refused_move_names_both_statuses(make_items):
    make_items(1, first_id=52)

    (result,) = push(StatusUpdate(52, "delivered", status_event_time=T1))

    assert result.error.message == (
        'E028: It is not possible to set the order item to the status "delivered" '
        '(item_status: the current status is "pending"; the OMS may move it to: '
        '"canceled", "shipped") for Order Item with id: 52'
    )


def test_terminal_statuses_refuse_every_move(make_items):
    make_items(1, first_id=53, status="canceled", reason="x")

    results = push(ship(53, time=T1), StatusUpdate(53, "delivered", status_event_time=T1))

    assert [r.error.code for r in results] == [28, 28]
    assert ItemHistory.objects.count() == 0


def test_items_are_independent_and_results_come_in_order(make_items):
    items = make_items(3, first_id=60)

    results = push(
        ship(60),
        StatusUpdate(99999, "shipped"),
        StatusUpdate(61, "delivered"),
        StatusUpdate(62, "canceled", cancel_reason="Cannot fulfil"),
    )

    assert [(r.id_sales_order_item, r.outcome) for r in results] == [
        (60, Outcome.APPLIED),
        (99999, Outcome.REFUSED),
        (61, Outcome.REFUSED),
        (62, Outcome.APPLIED),
    ]
    assert [r.error.code if r.error else None for r in results] == [None, 5, 28, None]
    assert [OrderItem.objects.get(pk=i.pk).status for i in items] == [
        "shipped",
        "pending",
        "canceled",
    ]
    assert ItemHistory.objects.count() == 2


# --- status details --------------------------------------------------------------------------


def test_a_status_detail_of_the_current_status_is_applied(make_items, detail_options):
    (item,) = make_items(1, first_id=70, status="returned", reason="Broken")

    results = inform(InformationUpdate(70, "with_3pl_on_way_to_venture", status_event_time=T1))

    assert results[0].outcome is Outcome.APPLIED
    item.refresh_from_db()
    assert item.status_detail == detail_options[("returned", "with_3pl_on_way_to_venture")]
    assert item.status_event_time == T1
    row = item.history.get()
    assert (row.kind, row.status, row.status_detail_id, row.applied) == (
        "information",
        "returned",
        item.status_detail_id,
        True,
    )


def test_details_move_on_and_an_empty_detail_clears_it(make_items, detail_options):
    (item,) = make_items(1, first_id=71, status="failed_delivery", reason="Address not found")

    results = inform(
        InformationUpdate(71, "with_3pl_on_way_to_venture", status_event_time=T1),
        InformationUpdate(71, "with_venture", status_event_time=T2),
        InformationUpdate(71, "", status_event_time=T3),
    )

    assert [r.outcome for r in results] == [Outcome.APPLIED] * 3
    item.refresh_from_db()
    assert item.status_detail_id is None
    assert list(
        item.history.order_by("status_event_time").values_list("status_detail__key", flat=True)
    ) == ["with_3pl_on_way_to_venture", "with_venture", None]


def test_information_fields_are_updated_when_given(make_items, detail_options):
    (item,) = make_items(
        1, first_id=72, status="shipped", shipping_carrier="DHL", tracking_code="1"
    )

    inform(InformationUpdate(72, "at_hub", tracking_code="2", package_status="At hub Manila"))

    item.refresh_from_db()
    assert (item.shipping_carrier, item.tracking_code, item.package_status) == (
        "DHL",
        "2",
        "At hub Manila",
    )


def test_resending_a_detail_is_a_repeat(make_items, detail_options):
    (item,) = make_items(1, first_id=73, status="returned", reason="Broken")
    inform(InformationUpdate(73, "initiated", status_event_time=T1))
    before = snapshot(item)

    results = inform(InformationUpdate(73, "initiated", status_event_time=T2))

    assert results[0].outcome is Outcome.REPEAT
    assert snapshot(item) == before
    assert item.history.count() == 1


def test_a_late_detail_is_kept_but_does_not_overwrite(make_items, detail_options):
    (item,) = make_items(1, first_id=74, status="returned", reason="Broken")
    inform(InformationUpdate(74, "returned_to_seller", status_event_time=T3))
    before = snapshot(item)

    results = inform(InformationUpdate(74, "with_3pl_on_way_to_seller", status_event_time=T2))

    assert results[0].outcome is Outcome.LATE
    assert snapshot(item) == before
    late = item.history.get(applied=False)
    assert late.status_detail == detail_options[("returned", "with_3pl_on_way_to_seller")]


@pytest.mark.parametrize(
    ("status", "key", "expected_detail"),
    [
        (
            "pending",
            "at_hub",
            '"at_hub" is a status detail of "shipped", not of the item\'s current status "pending"',
        ),
        (
            "returned",
            "teleported",
            '"teleported" is not a known status detail of status "returned"',
        ),
    ],
)
def test_a_detail_that_does_not_belong_to_the_current_status_is_refused(
    make_items, detail_options, status, key, expected_detail
):
    (item,) = make_items(1, first_id=75, status=status, reason="r")
    before = snapshot(item)

    (result,) = inform(InformationUpdate(75, key, status_event_time=T1))

    assert result.outcome is Outcome.REFUSED
    assert result.error.code == 5
    assert result.error.field == "status_detail"
    assert result.error.detail == expected_detail
    assert snapshot(item) == before
    assert ItemHistory.objects.count() == 0


def test_an_unknown_detail_is_typed_so_the_api_can_ask_for_a_refresh(make_items, detail_options):
    make_items(1, first_id=76, status="returned", reason="r")

    (result,) = inform(InformationUpdate(76, "in_customs"))

    assert isinstance(result.error, UnknownStatusDetail)
    assert (result.error.key, result.error.status) == ("in_customs", "returned")


def test_a_deactivated_option_can_no_longer_be_pushed(make_items, detail_options):
    (item,) = make_items(1, first_id=77, status="returned", reason="r")
    option = detail_options[("returned", "return_refused")]
    option.active = False
    option.save()

    (result,) = inform(InformationUpdate(77, "return_refused"))

    assert result.error.code == 5
    assert "no longer offered" in result.error.detail
    item.refresh_from_db()
    assert item.status_detail_id is None


def test_details_are_refused_with_e093_while_their_import_is_off(make_items, detail_options):
    (item,) = make_items(1, first_id=78, status="returned", reason="r")

    (result,) = inform(InformationUpdate(78, "initiated"), enabled=False)

    assert isinstance(result.error, NotAllowedNow)
    assert result.error.code == 93
    item.refresh_from_db()
    assert item.status_detail_id is None
    assert ItemHistory.objects.count() == 0


def test_an_unknown_item_is_refused_with_e020(detail_options):
    (result,) = inform(InformationUpdate(123456, "initiated"))

    assert isinstance(result.error, InvalidOrderItemId)
    assert result.error.message == (
        'E020: "123456" Invalid Order Item ID (id_sales_order_item: no order item has this id) '
        "for Order Item with id: 123456"
    )


# --- set-based: statements do not grow with the batch ----------------------------------------


def count_statements(callable_):
    with CaptureQueriesContext(connection) as queries:
        callable_()
    return len(queries.captured_queries)


@pytest.mark.parametrize("size", [10, 1000])
def test_status_updates_run_a_constant_number_of_statements(make_items, size):
    make_items(size, first_id=1_000_000)
    updates = [ship(1_000_000 + i) for i in range(size)]

    statements = count_statements(lambda: push(*updates))

    # SELECT ... FOR UPDATE, UPDATE ... FROM, INSERT ... SELECT (+ savepoint bookkeeping)
    assert statements == _expected(3)
    assert OrderItem.objects.filter(status="shipped").count() == size
    assert ItemHistory.objects.count() == size


@pytest.mark.parametrize("size", [10, 1000])
def test_information_updates_run_a_constant_number_of_statements(make_items, detail_options, size):
    make_items(size, first_id=2_000_000, status="returned", reason="r")
    updates = [InformationUpdate(2_000_000 + i, "initiated") for i in range(size)]

    statements = count_statements(lambda: inform(*updates))

    # SELECT ... FOR UPDATE, SELECT options, UPDATE ... FROM, INSERT ... SELECT
    assert statements == _expected(4)
    assert OrderItem.objects.filter(status_detail__key="initiated").count() == size


def _expected(work: int) -> int:
    # Inside the test's transaction, atomic() adds a savepoint and its release.
    return work + 2


# --- text and times the database cannot take are the sender's to fix --------------------------


@pytest.mark.parametrize(
    ("update", "field", "detail"),
    [
        (
            StatusUpdate(90, "canceled", cancel_reason="a\x00b"),
            "cancel_reason",
            "must not contain NUL characters",
        ),
        (
            ship(90, package_status="\ud800"),
            "package_status",
            "is not valid Unicode text (it holds a lone surrogate)",
        ),
        (
            ship(90, tracking="é\x00"),
            "tracking_code",
            "must not contain NUL characters",
        ),
        (
            ship(
                90, time=datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14)))
            ),
            "status_event_time",
            "is out of range once converted to UTC",
        ),
    ],
)
def test_unstorable_input_refuses_only_its_item(make_items, update, field, detail):
    make_items(2, first_id=90)

    results = push(update, StatusUpdate(91, "canceled", cancel_reason="Cannot fulfil"))

    assert (results[0].outcome, results[0].error.code) == (Outcome.REFUSED, 5)
    assert (results[0].error.field, results[0].error.detail) == (field, detail)
    assert results[1].outcome is Outcome.APPLIED
    assert OrderItem.objects.get(id_sales_order_item=90).status == "pending"
    assert list(ItemHistory.objects.values_list("item__id_sales_order_item", flat=True)) == [91]


def test_a_status_detail_key_with_nul_is_refused_by_field(make_items, detail_options):
    make_items(1, first_id=92, status="returned", reason="r")

    (result,) = inform(InformationUpdate(92, "initiated\x00"))

    assert (result.error.code, result.error.field) == (5, "status_detail")
    assert ItemHistory.objects.count() == 0


def test_a_late_detail_that_is_no_longer_offered_says_so(make_items, detail_options):
    (item,) = make_items(1, first_id=93, status="returned", reason="r")
    inform(InformationUpdate(93, "returned_to_seller", status_event_time=T3))
    option = detail_options[("returned", "return_refused")]
    option.active = False
    option.save()

    (result,) = inform(InformationUpdate(93, "return_refused", status_event_time=T1))

    assert (result.outcome, result.error.code) == (Outcome.REFUSED, 5)
    assert result.error.detail == '"return_refused" is no longer offered by the OMS for any status'
    assert item.history.count() == 1


def test_a_late_detail_nobody_lists_is_unknown(make_items, detail_options):
    make_items(1, first_id=94, status="returned", reason="r")
    inform(InformationUpdate(94, "returned_to_seller", status_event_time=T3))

    (result,) = inform(InformationUpdate(94, "teleported", status_event_time=T1))

    assert isinstance(result.error, UnknownStatusDetail)
    assert result.error.detail == '"teleported" is not a known status detail of any status'
