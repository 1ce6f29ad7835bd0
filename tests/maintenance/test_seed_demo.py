"""seed_demo and the demo OMS: the demo data, safe to run twice, and the day of events the demo
OMS pushes through the real API arriving on the seller's items."""

from __future__ import annotations

import io
import stat
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from demo_oms.pusher import Pusher
from demo_oms.scenario import DAY, demo_orders
from demo_oms.server import OmsServer
from maintenance.credentials import active_keys
from maintenance.models import ApiKey, SystemCredential
from maintenance.refresh import refresh_status_details
from orders.models import ItemHistory, Order, OrderItem, SellerStaff
from orders.state_machine import ItemStatus


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Hashing the three demo passwords the production way costs seconds per run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(key_file, *extra: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--key-file", str(key_file), *extra, stdout=out)
    return out.getvalue()


def test_seed_demo_makes_the_demo_data(db, tmp_path):
    # when
    output = seed(tmp_path / "demo_oms_key")

    # then orders in every status, for two sellers, without history
    statuses = set(OrderItem.objects.values_list("status", flat=True))
    assert statuses == set(ItemStatus.values)
    assert sorted(set(Order.objects.values_list("seller__code", flat=True))) == [
        "acme-shoes",
        "bolt-bags",
    ]
    assert Order.objects.count() == len(demo_orders(timezone.now()))
    assert ItemHistory.objects.count() == 0
    # the logins
    users = get_user_model().objects
    desk = users.get(username="servicedesk")
    assert (desk.is_staff, desk.is_superuser) == (True, False)
    assert list(desk.groups.values_list("name", flat=True)) == ["Service desk"]
    assert desk.check_password("servicedesk-demo")
    assert sorted(SellerStaff.objects.values_list("user__username", "seller__code")) == [
        ("acme", "acme-shoes"),
        ("bolt", "bolt-bags"),
    ]
    assert users.get(username="acme").check_password("acme-demo")
    # the demo OMS's credential and its key, in a file only its owner may read
    credential = SystemCredential.objects.get(service_name="DEMO-OMS")
    assert (credential.active, credential.oms_url) == (True, "http://127.0.0.1:8001/")
    assert sorted(credential.networks.values_list("network", flat=True)) == [
        "127.0.0.1/32",
        "::1/128",
    ]
    key_file = tmp_path / "demo_oms_key"
    secret = key_file.read_text().strip()
    assert [key for _, key in active_keys(credential)] == [secret]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # the key is never printed, the demo passwords are
    assert secret not in output
    assert "servicedesk / servicedesk-demo" in output
    assert "acme / acme-demo" in output


def test_seed_demo_twice_makes_no_duplicates_and_keeps_the_key(db, tmp_path):
    # given
    key_file = tmp_path / "demo_oms_key"
    seed(key_file)
    secret = key_file.read_text()
    counts = (Order.objects.count(), OrderItem.objects.count(), get_user_model().objects.count())

    # when
    output = seed(key_file)

    # then
    assert (
        Order.objects.count(),
        OrderItem.objects.count(),
        get_user_model().objects.count(),
    ) == counts
    assert key_file.read_text() == secret
    assert ApiKey.objects.count() == 1
    assert SystemCredential.objects.count() == 1
    assert "key kept" in output


def test_seed_demo_issues_a_new_key_when_the_file_lost_it(db, tmp_path):
    # given a key file that no longer holds an active key
    key_file = tmp_path / "demo_oms_key"
    seed(key_file)
    key_file.write_text("something else\n")

    # when
    seed(key_file, "--oms-url", "http://127.0.0.1:8011/")

    # then a working key is in the file again, and the OMS URL follows the option
    credential = SystemCredential.objects.get(service_name="DEMO-OMS")
    assert key_file.read_text().strip() == active_keys(credential)[0][1]
    assert credential.oms_url == "http://127.0.0.1:8011/"


def test_seed_demo_refuses_a_bad_oms_url_and_changes_nothing(db, tmp_path):
    with pytest.raises(CommandError, match="^--oms-url 'ftp://x' is not an http or https URL$"):
        seed(tmp_path / "demo_oms_key", "--oms-url", "ftp://x")
    assert Order.objects.count() == 0
    assert SystemCredential.objects.count() == 0
    assert not (tmp_path / "demo_oms_key").exists()


def test_demo_oms_day_arrives_on_the_seller_items(transactional_db, live_server, tmp_path):
    # given the demo data and the demo OMS serving its options, refreshed once
    key_file = tmp_path / "demo_oms_key"
    seed(key_file)
    oms = OmsServer(key=lambda: key_file.read_text().strip()).start()
    try:
        credential = SystemCredential.objects.get(service_name="DEMO-OMS")
        SystemCredential.objects.filter(pk=credential.pk).update(oms_url=oms.url)
        credential.refresh_from_db()
        refresh_status_details(credential=credential)
        said: list[str] = []

        # when the demo OMS pushes its day through the real API
        Pusher(
            seller_center_url=live_server.url,
            service_name="DEMO-OMS",
            key=lambda: key_file.read_text().strip(),
            step_seconds=0,
            attempts=1,
            stop=threading.Event(),
            say=said.append,
        ).run(keep_moving=False)
    finally:
        oms.stop()

    # then every step was taken, and the items show where they are
    assert [line for line in said if "accepted" not in line] == []
    assert len(said) == len(DAY)
    items = {
        item.id_sales_order_item: (
            item.status,
            item.status_detail.label if item.status_detail else "",
        )
        for item in OrderItem.objects.select_related("status_detail")
    }
    assert items[910011] == ("delivered", "")
    assert items[910031] == ("failed_delivery", "With Venture")
    assert items[910041] == ("returned", "Initiated")
    assert items[910071] == ("returned", "With 3PL on way to Venture")
    assert items[910081] == ("returned", "With Venture awaiting processing")
    assert items[920011] == ("failed_delivery", "With 3PL on way to Seller")
    assert items[910012] == ("canceled", "")
    assert ItemHistory.objects.filter(system="DEMO-OMS").count() == sum(
        len(step.items) for step in DAY
    )
