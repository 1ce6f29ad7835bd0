import pytest

from orders.status_updates import Outcome, StatusUpdate, apply_status_updates
from tests.conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.writepath]


def test_ship_then_deliver(make_items):
    (item,) = make_items(1, first_id=11)
    results = apply_status_updates(
        items=[
            StatusUpdate(
                11,
                "shipped",
                shipping_carrier="DHL",
                tracking_code="389292777",
                status_event_time=at("2026-11-20 10:00:00"),
            ),
            StatusUpdate(11, "delivered", status_event_time=at("2026-11-21 10:00:00")),
        ],
        system="OMS",
        request_id="r1",
    )
    assert [r.outcome for r in results] == [Outcome.APPLIED, Outcome.APPLIED]
    item.refresh_from_db()
    assert item.status == "delivered"
    assert item.shipping_carrier == "DHL"
    assert item.status_event_time == at("2026-11-21 10:00:00")
    assert item.history.count() == 2
