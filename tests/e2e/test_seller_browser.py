"""The seller's screen in a real browser: Chromium, driven by Playwright, against a live server.

Login, the status tabs, the search and the item timeline, each saving screenshots at laptop
and phone sizes under var/screenshots/.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from orders.models import ItemHistory, Order, OrderItem, SellerStaff, StatusDetailOption
from tests.conftest import at

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher is slow on purpose; these tests check the screen, not the hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shop(seller, other_seller, detail_options):
    """A seller with orders in several statuses, a timeline with a late event and a removed
    option, and another seller's order that must never show."""
    user = User.objects.create_user(username="ana", password=PASSWORD)
    SellerStaff.objects.create(user=user, seller=seller)
    base = at("2026-11-20 02:00:00")
    plan = [
        ("300739975", ["returned", "delivered"]),
        ("300731111", ["shipped"]),
        ("300740000", ["pending", "pending"]),
        ("400100200", ["failed_delivery"]),
        ("400100300", ["canceled"]),
        ("400100400", ["ready_to_ship"]),
    ]
    next_id = 73955
    for position, (number, statuses) in enumerate(plan):
        order = Order.objects.create(
            seller=seller, order_number=number, created_at=base + timedelta(hours=position)
        )
        for status in statuses:
            OrderItem.objects.create(
                order=order,
                seller=seller,
                id_sales_order_item=next_id,
                sku=f"ACM-{next_id}",
                name=f"Runner, red, {next_id % 100}",
                status=status,
                created_at=order.created_at,
                updated_at=order.created_at,
            )
            next_id += 1
    theirs = Order.objects.create(seller=other_seller, order_number="300739999", created_at=base)
    OrderItem.objects.create(
        order=theirs,
        seller=other_seller,
        id_sales_order_item=1,
        sku="BOLT-1",
        name="Not yours",
        status="shipped",
        created_at=base,
        updated_at=base,
    )

    returned = OrderItem.objects.get(id_sales_order_item=73955)
    removed = detail_options[("returned", "initiated")]
    StatusDetailOption.objects.filter(pk=removed.pk).update(active=False)
    current = detail_options[("returned", "with_3pl_on_way_to_seller")]
    events = [
        ("status", "shipped", None, "", "DHL", "389292777", at("2026-11-20 10:00:00"), True),
        ("status", "delivered", None, "", "", "", at("2026-11-21 10:00:00"), True),
        ("status", "shipped", None, "", "LBC", "LATE-1", at("2026-11-20 12:00:00"), False),
        ("status", "returned", None, "Wrong size", "", "", at("2026-11-23 10:00:00"), True),
        ("information", "returned", removed, "", "", "", at("2026-11-23 11:00:00"), True),
        ("information", "returned", current, "", "", "", at("2026-11-24 09:00:00"), True),
    ]
    for kind, status, detail, reason, carrier, tracking, when, applied in events:
        ItemHistory.objects.create(
            item=returned,
            kind=kind,
            status=status,
            status_detail=detail,
            reason=reason,
            shipping_carrier=carrier,
            tracking_code=tracking,
            status_event_time=when,
            received_at=when + timedelta(minutes=5),
            applied=applied,
            system="OMS",
            fingerprint=uuid.uuid4().hex,
        )
    OrderItem.objects.filter(pk=returned.pk).update(
        status_detail=current, status_event_time=at("2026-11-24 09:00:00"), reason="Wrong size"
    )
    return seller


def log_in(page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + "/")


def words(locator) -> str:
    return " ".join(locator.text_content().split())


def order_numbers(page) -> list[str]:
    return page.locator("tbody.order").evaluate_all("els => els.map(e => e.dataset.order)")


def at_phone_size(browser, live_server, name: str, path: str, screenshot) -> None:
    """Log in on a phone-sized window and save a screenshot of ``path``."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    phone = context.new_page()
    try:
        log_in(phone, live_server.url)
        phone.goto(live_server.url + path)
        # no sideways scrolling on a phone: the tables stack
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide on a phone"
        screenshot(phone, name)
    finally:
        context.close()


def test_login_lands_on_the_list_and_logout_leaves(page, live_server, shop, screenshot):
    # given an anonymous visitor on the list
    page.goto(live_server.url + "/?q=3007")

    # then the login page asks them in
    assert page.url == live_server.url + "/login/?next=/%3Fq%3D3007"
    screenshot(page, "seller-login-desktop")

    # when they log in
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # then they are back on the list they asked for, their own orders only
    page.wait_for_url(live_server.url + "/?q=3007")
    assert order_numbers(page) == ["300740000", "300731111", "300739975"]
    assert page.get_by_text("Not yours").count() == 0

    # and logging out leaves the screen
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server.url + "/login/")
    page.goto(live_server.url + "/")
    assert page.url.startswith(live_server.url + "/login/")


def test_wrong_password_is_refused(page, live_server, shop):
    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    assert (
        page.get_by_role("alert")
        .inner_text()
        .startswith("Please enter a correct username and password")
    )
    assert page.url == live_server.url + "/login/"


def test_tabs_filter_by_status_with_counts(page, live_server, shop, screenshot, browser):
    # given the seller on the list
    log_in(page, live_server.url)
    tabs = page.get_by_role("navigation", name="Order status")
    assert tabs.get_by_role("link", name="All 6 orders").get_attribute("aria-current") == "page"
    assert order_numbers(page) == [
        "400100400",
        "400100300",
        "400100200",
        "300740000",
        "300731111",
        "300739975",
    ]
    screenshot(page, "seller-list-desktop")

    # when they pick the Pending tab
    tabs.get_by_role("link", name="Pending 1 orders").click()

    # then only the order with a pending item shows, and that tab is the current one
    page.wait_for_url(live_server.url + "/?status=pending")
    assert order_numbers(page) == ["300740000"]
    assert words(tabs.locator("[aria-current=page]")) == "Pending 1 orders"
    assert tabs.get_by_role("link", name="Returned 1 orders").get_attribute("aria-current") is None
    assert page.locator("caption").inner_text() == "Pending orders, newest first"
    screenshot(page, "seller-list-pending-desktop")

    at_phone_size(browser, live_server, "seller-list-phone", "/", screenshot)


def test_search_by_order_number(page, live_server, shop, screenshot):
    # given the seller on the list
    log_in(page, live_server.url)

    # when they search for an order number's beginning
    page.get_by_role("searchbox", name="Order number").fill("3007")
    page.get_by_role("button", name="Search").click()

    # then the orders whose number starts with it show, and the tabs count within the search
    page.wait_for_url(live_server.url + "/?status=&q=3007&date_from=&date_to=")
    assert order_numbers(page) == ["300740000", "300731111", "300739975"]
    tabs = page.get_by_role("navigation", name="Order status")
    assert words(tabs.locator("[aria-current=page]")) == "All 3 orders"

    # and a bad date is named, not a crash
    page.get_by_label("Created from").fill("2026-11-22")
    page.get_by_label("Created to").fill("2026-11-20")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert "Created to must not be before Created from." in page.get_by_role("alert").inner_text()
    assert order_numbers(page) == []
    screenshot(page, "seller-search-error-desktop")


def test_item_timeline(page, live_server, shop, screenshot, browser):
    # given the seller on the list
    log_in(page, live_server.url)

    # when they open the returned item of an order
    page.get_by_role("link", name="73955", exact=True).click()
    page.wait_for_url(live_server.url + "/items/73955/")

    # then every event shows, newest first, the late one marked and the removed option named
    table = page.get_by_role("table", name="Events of item 73955, newest first")
    rows = table.locator("tbody tr")
    assert rows.count() == 6
    whens = table.locator("tbody th time").all_inner_texts()
    assert whens == [
        "2026-11-24 09:00:00 UTC",
        "2026-11-23 11:00:00 UTC",
        "2026-11-23 10:00:00 UTC",
        "2026-11-21 10:00:00 UTC",
        "2026-11-20 12:00:00 UTC",
        "2026-11-20 10:00:00 UTC",
    ]
    assert table.locator("tr.late").count() == 1
    assert "LATE-1" in table.locator("tr.late").inner_text()
    assert "arrived late" in table.locator("tr.late").inner_text()
    assert "Initiated (no longer offered by the OMS)" in rows.nth(1).inner_text()
    assert "With 3PL on way to Seller" in rows.nth(0).inner_text()
    screenshot(page, "seller-timeline-desktop")

    at_phone_size(browser, live_server, "seller-timeline-phone", "/items/73955/", screenshot)
