"""The seller's order management screen through the Django test client.

Every view: login and the anonymous redirect, the 404s across sellers, tabs and counts,
search, the date range, keyset pagination, the CSV export, the order page and the item
timeline (late events, options the OMS has since removed, the Venture's time zone), and the
query count of each page, which must not grow with what the page shows.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from orders.models import ItemHistory, Order, OrderItem, Seller, SellerStaff, StatusDetailOption
from orders.selectors import Cursor
from orders.status_updates import Outcome, StatusUpdate, apply_status_updates
from tests.conftest import at

pytestmark = pytest.mark.django_db

LIST = "/"
PASSWORD = "correct horse battery staple"

# session, user, seller staff, the grouped tab counts, the orders, their items
LIST_QUERIES = 6
# session, user, seller staff, the order, its items
ORDER_QUERIES = 5
# session, user, seller staff, the item (with order and detail), its history
TIMELINE_QUERIES = 5
# session, user, seller staff, the items (with orders and details)
EXPORT_QUERIES = 4


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher is slow on purpose; these tests check the screen, not the hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login_user(seller: Seller, username: str = "ana") -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    SellerStaff.objects.create(user=user, seller=seller)
    return user


@pytest.fixture
def seller_client(client, seller):
    client.force_login(login_user(seller))
    return client


def make_order(
    seller: Seller,
    number: str,
    created_at,
    statuses: list[str] = ("pending",),
    *,
    first_id: int | None = None,
    **fields,
) -> Order:
    order = Order.objects.create(seller=seller, order_number=number, created_at=created_at)
    start = first_id if first_id is not None else int(re.sub(r"\D", "", number) or 0) * 100
    OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=order,
                seller=seller,
                id_sales_order_item=start + index,
                status=status,
                created_at=created_at,
                updated_at=created_at,
                **{"sku": f"SKU-{start + index}", "name": f"Item {start + index}", **fields},
            )
            for index, status in enumerate(statuses)
        ]
    )
    return order


def record(item: OrderItem, status: str, when, *, applied: bool = True, **fields) -> ItemHistory:
    """A history row as the write path stores it."""
    return ItemHistory.objects.create(
        item=item,
        kind=fields.pop("kind", "status"),
        status=status,
        status_event_time=when,
        received_at=fields.pop("received_at", when),
        applied=applied,
        system="OMS",
        request_id="r",
        fingerprint=uuid.uuid4().hex,
        **fields,
    )


def listed_numbers(response) -> list[str]:
    return [order.order_number for order in response.context["orders"]]


def tab_counts(response) -> dict[str, int]:
    return {tab["label"]: tab["count"] for tab in response.context["tabs"]}


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# --- login, logout, who may see what -----------------------------------------------------------


def test_anonymous_visitor_goes_to_login_and_comes_back(client, seller):
    # given a seller's login
    login_user(seller)
    make_order(seller, "300739975", at("2026-11-20 08:00:00"))

    # when an anonymous visitor opens the list
    response = client.get(LIST + "?status=pending")

    # then they are sent to the login page, which knows where to come back to
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/%3Fstatus%3Dpending"
    login_page = client.get(response["Location"])
    assert login_page.status_code == 200
    assert b'name="next" value="/?status=pending"' in login_page.content

    # and logging in lands back on the list
    logged_in = client.post(
        "/login/", {"username": "ana", "password": PASSWORD, "next": "/?status=pending"}
    )
    assert logged_in.status_code == 302
    assert logged_in["Location"] == "/?status=pending"
    assert listed_numbers(client.get(logged_in["Location"])) == ["300739975"]


def test_login_without_next_lands_on_the_list(client, seller):
    login_user(seller)
    response = client.post("/login/", {"username": "ana", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_wrong_password_is_refused_with_a_message(client, seller):
    login_user(seller)
    response = client.post("/login/", {"username": "ana", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(seller_client):
    response = seller_client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert seller_client.get(LIST).status_code == 302


@pytest.mark.parametrize("url", ["/", "/orders/300739975/", "/items/30073997500/", "/export.csv"])
def test_login_of_no_seller_gets_a_clear_403(client, seller, url):
    # given an order, and a login that belongs to no seller
    make_order(seller, "300739975", at("2026-11-20 08:00:00"))
    client.force_login(User.objects.create_user(username="desk", password=PASSWORD))

    # when it opens a page of the screen
    response = client.get(url)

    # then it is told why, and sees nothing
    assert response.status_code == 403
    assert b"is not linked to a seller" in response.content
    assert b"SKU-" not in response.content


def test_list_shows_only_the_sellers_own_orders(seller_client, seller, other_seller):
    make_order(seller, "100", at("2026-11-20 08:00:00"))
    make_order(other_seller, "200", at("2026-11-20 09:00:00"))

    response = seller_client.get(LIST)

    assert response.status_code == 200
    assert listed_numbers(response) == ["100"]
    assert tab_counts(response)["All"] == 1
    assert b"SKU-20000" not in response.content


@pytest.mark.parametrize(
    "url",
    [
        "/orders/200/",
        "/items/20000/",
        "/orders/200/export.csv",
        "/orders/no-such-order/",
        "/items/99999/",
        "/items/99999999999999999999999/",
    ],
)
def test_other_sellers_order_item_and_export_answer_404(seller_client, other_seller, url):
    # given another seller's order
    make_order(other_seller, "200", at("2026-11-20 09:00:00"))

    # when this seller opens its order, item or export page (or one that does not exist)
    response = seller_client.get(url)

    # then it is not found, exactly as if it did not exist
    assert response.status_code == 404
    assert b"SKU-20000" not in response.content


def test_export_with_another_sellers_filter_shows_nothing_of_theirs(
    seller_client, seller, other_seller
):
    make_order(seller, "100", at("2026-11-20 08:00:00"))
    make_order(other_seller, "200", at("2026-11-20 09:00:00"))

    response = seller_client.get("/export.csv?q=200")

    assert response.status_code == 200
    assert csv_rows(response) == [
        [
            "order_number",
            "order_created",
            "id_sales_order_item",
            "sku",
            "name",
            "status",
            "status_detail",
            "status_since",
            "shipping_carrier",
            "tracking_code",
        ]
    ]


def test_pages_answer_only_reads(seller_client, seller):
    make_order(seller, "100", at("2026-11-20 08:00:00"))
    for url in ("/", "/orders/100/", "/items/10000/", "/export.csv"):
        assert seller_client.post(url).status_code == 405
    assert OrderItem.objects.get().status == "pending"


# --- the orders list: tabs, counts, search, dates ----------------------------------------------


def test_tabs_count_orders_with_an_item_in_each_status(seller_client, seller):
    # given orders whose items are in several statuses
    make_order(seller, "1", at("2026-11-20 01:00:00"), ["pending", "shipped"])
    make_order(seller, "2", at("2026-11-20 02:00:00"), ["shipped", "shipped", "delivered"])
    make_order(seller, "3", at("2026-11-20 03:00:00"), ["returned"])
    make_order(seller, "4", at("2026-11-20 04:00:00"), ["canceled", "failed_delivery"])

    # when the list opens on the All tab
    response = seller_client.get(LIST)

    # then each tab counts the orders having at least one item in its status, in tab order
    assert [(tab["label"], tab["count"]) for tab in response.context["tabs"]] == [
        ("All", 4),
        ("Pending", 1),
        ("Ready to Ship", 0),
        ("Shipped", 2),
        ("Delivered", 1),
        ("Canceled", 1),
        ("Failed Delivery", 1),
        ("Return Shipped by Customer", 0),
        ("Returned", 1),
    ]
    assert listed_numbers(response) == ["4", "3", "2", "1"]
    assert b'aria-current="page" data-status="all"' in response.content
    assert response.content.count(b"aria-current") == 1


def test_a_status_tab_lists_orders_with_an_item_in_that_status(seller_client, seller):
    make_order(seller, "1", at("2026-11-20 01:00:00"), ["pending", "shipped"])
    make_order(seller, "2", at("2026-11-20 02:00:00"), ["delivered"])
    make_order(seller, "3", at("2026-11-20 03:00:00"), ["shipped"])

    response = seller_client.get(LIST + "?status=shipped")

    assert response.status_code == 200
    assert listed_numbers(response) == ["3", "1"]
    # the order keeps all its items on the page, in words
    assert b">Pending</span>" in response.content
    assert b'aria-current="page" data-status="shipped"' in response.content
    assert response.content.count(b"aria-current") == 1
    assert "Shipped orders, newest first" in response.content.decode()


def test_each_item_shows_its_status_detail_and_since_when(seller_client, seller, detail_options):
    # given a returned item with a status detail and one without any event
    order = make_order(seller, "1", at("2026-11-20 01:00:00"), ["returned", "pending"])
    returned = order.items.get(status="returned")
    returned.status_detail = detail_options[("returned", "with_3pl_on_way_to_seller")]
    returned.status_event_time = at("2026-11-21 10:30:00")
    returned.save()

    response = seller_client.get(LIST)

    html = response.content.decode()
    assert ">Returned</span>" in html
    assert "With 3PL on way to Seller" in html
    assert '<time datetime="2026-11-21T10:30:00+00:00">2026-11-21 10:30 UTC</time>' in html
    assert "no event yet" in html
    # the status detail is shown, never offered as a filter
    assert 'name="status_detail"' not in html


def test_search_matches_order_numbers_by_prefix(seller_client, seller):
    make_order(seller, "300739975", at("2026-11-20 01:00:00"))
    make_order(seller, "300731111", at("2026-11-20 02:00:00"))
    make_order(seller, "400739975", at("2026-11-20 03:00:00"))

    prefix = seller_client.get(LIST + "?q=30073")
    exact = seller_client.get(LIST + "?q=300739975")
    padded = seller_client.get(LIST + "?q=+300739975+")
    none = seller_client.get(LIST + "?q=99")

    assert listed_numbers(prefix) == ["300731111", "300739975"]
    assert listed_numbers(exact) == ["300739975"]
    assert listed_numbers(padded) == ["300739975"]
    assert listed_numbers(none) == []
    assert b"No orders match." in none.content
    assert b'<input type="search" name="q"' in prefix.content
    assert tab_counts(prefix)["All"] == 2


def test_tabs_count_within_the_search_and_keep_it(seller_client, seller):
    make_order(seller, "300739975", at("2026-11-20 01:00:00"), ["shipped"])
    make_order(seller, "400739975", at("2026-11-20 02:00:00"), ["shipped"])

    response = seller_client.get(LIST + "?q=3007")

    assert tab_counts(response)["Shipped"] == 1
    shipped_tab = next(t for t in response.context["tabs"] if t["label"] == "Shipped")
    assert shipped_tab["query"] == "status=shipped&q=3007"


@override_settings(TIME_ZONE="Asia/Manila", VENTURE_TIME_ZONE="Asia/Manila")
def test_date_range_uses_creation_days_in_the_venture_zone(seller_client, seller):
    # given orders around midnight in Manila (UTC+8)
    make_order(seller, "1", at("2026-11-19 15:59:59"))  # 2026-11-19 23:59:59 in Manila
    make_order(seller, "2", at("2026-11-19 16:00:00"))  # 2026-11-20 00:00:00 in Manila
    make_order(seller, "3", at("2026-11-20 15:59:59"))  # 2026-11-20 23:59:59 in Manila
    make_order(seller, "4", at("2026-11-20 16:00:00"))  # 2026-11-21 00:00:00 in Manila

    one_day = seller_client.get(LIST + "?date_from=2026-11-20&date_to=2026-11-20")
    from_only = seller_client.get(LIST + "?date_from=2026-11-20")
    to_only = seller_client.get(LIST + "?date_to=2026-11-19")
    no_window = seller_client.get(LIST)

    assert listed_numbers(one_day) == ["3", "2"]
    assert listed_numbers(from_only) == ["4", "3", "2"]
    assert listed_numbers(to_only) == ["1"]
    assert listed_numbers(no_window) == ["4", "3", "2", "1"]
    assert tab_counts(one_day)["All"] == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=20-11-2026", "Created from must be a date such as 2026-11-20."),
        ("date_to=2026-02-30", "Created to must be a date such as 2026-11-20."),
        (
            "date_from=2026-11-21&date_to=2026-11-20",
            "Created to must not be before Created from.",
        ),
        ("status=lost", "Unknown status lost: choose one of the tabs."),
        ("after=bm90LWEtY3Vyc29y", "the page link is not valid; start again from the first page"),
        ("q=" + "9" * 65, "Ensure this value has at most 64 characters (it has 65)."),
    ],
)
def test_bad_filter_input_gets_a_clear_error(seller_client, seller, query, message):
    make_order(seller, "1", at("2026-11-20 01:00:00"))

    response = seller_client.get(LIST + "?" + query)
    export = seller_client.get("/export.csv?" + query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert b'role="alert"' in response.content
    assert b'data-order="1"' not in response.content
    assert export.status_code == 400
    assert message in export.content.decode()


# --- pagination --------------------------------------------------------------------------------


def make_many_orders(seller: Seller, count: int) -> list[str]:
    """``count`` one-item orders, several sharing a creation time; newest first as listed."""
    base = at("2026-11-01 00:00:00")
    orders = Order.objects.bulk_create(
        [
            # every three orders share a time, so pages must break ties by id
            Order(
                seller=seller, order_number=f"N{n:05d}", created_at=base + timedelta(hours=n // 3)
            )
            for n in range(count)
        ]
    )
    OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=order,
                seller=seller,
                id_sales_order_item=500000 + n,
                sku=f"S{n}",
                name=f"Item {n}",
                created_at=order.created_at,
                updated_at=order.created_at,
            )
            for n, order in enumerate(orders)
        ]
    )
    ordered = Order.objects.filter(seller=seller).order_by("-created_at", "-id")
    return list(ordered.values_list("order_number", flat=True))


def test_pages_walk_forward_and_back_through_equal_creation_times(seller_client, seller):
    # given 120 orders, three to each creation time
    expected = make_many_orders(seller, 120)

    # when the seller walks forward page by page
    first = seller_client.get(LIST)
    second = seller_client.get(LIST + "?" + first.context["next_query"])
    third = seller_client.get(LIST + "?" + second.context["next_query"])

    # then every order shows once, in order, 50 to a page
    assert listed_numbers(first) == expected[:50]
    assert listed_numbers(second) == expected[50:100]
    assert listed_numbers(third) == expected[100:]
    assert first.context["previous_query"] is None
    assert third.context["next_query"] is None
    assert b'rel="next"' in first.content and b'rel="prev"' not in first.content
    assert b'rel="prev"' in third.content and b'rel="next"' not in third.content

    # and walking back gives the same pages
    back_to_second = seller_client.get(LIST + "?" + third.context["previous_query"])
    back_to_first = seller_client.get(LIST + "?" + back_to_second.context["previous_query"])
    assert listed_numbers(back_to_second) == expected[50:100]
    assert listed_numbers(back_to_first) == expected[:50]
    assert back_to_first.context["previous_query"] is None
    assert back_to_first.context["next_query"] == first.context["next_query"]


def test_page_links_keep_the_filters(seller_client, seller):
    # given 160 orders, of which N00000 to N00099 start with N000
    make_many_orders(seller, 160)

    first = seller_client.get(LIST + "?q=N000&date_from=2026-11-01&status=pending")

    assert listed_numbers(first) == [f"N{n:05d}" for n in range(99, 49, -1)]
    cursor = Cursor.of(Order.objects.get(order_number="N00050")).encode()
    assert first.context["next_query"] == (
        f"status=pending&q=N000&date_from=2026-11-01&after={cursor}"
    )
    second = seller_client.get(LIST + "?" + first.context["next_query"])
    assert listed_numbers(second) == [f"N{n:05d}" for n in range(49, -1, -1)]
    assert second.context["next_query"] is None


def test_a_page_of_exactly_fifty_has_no_next_link(seller_client, seller):
    make_many_orders(seller, 50)
    response = seller_client.get(LIST)
    assert len(listed_numbers(response)) == 50
    assert response.context["next_query"] is None


# --- CSV export --------------------------------------------------------------------------------


@override_settings(TIME_ZONE="Asia/Manila", VENTURE_TIME_ZONE="Asia/Manila")
def test_export_streams_one_row_per_item_of_the_filter(seller_client, seller, detail_options):
    # given a shipped order with a status detail and a pending one
    shipped = make_order(
        seller,
        "300739975",
        at("2026-11-20 08:00:00"),
        ["shipped", "pending"],
        first_id=73955,
        shipping_carrier="DHL",
        tracking_code="389292777",
    )
    item = shipped.items.get(id_sales_order_item=73955)
    item.status_detail = detail_options[("shipped", "at_hub")]
    item.status_event_time = at("2026-11-20 10:00:00")
    item.save()
    make_order(seller, "400000001", at("2026-11-21 08:00:00"), ["delivered"], first_id=1)

    # when the seller exports the Shipped tab
    response = seller_client.get("/export.csv?status=shipped")

    # then every item of the orders on that tab comes out, with status and detail in words
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="orders-acme-shoes-')
    assert csv_rows(response)[1:] == [
        [
            "300739975",
            "2026-11-20T16:00:00+08:00",
            "73955",
            "SKU-73955",
            "Item 73955",
            "Shipped",
            "At hub",
            "2026-11-20T18:00:00+08:00",
            "DHL",
            "389292777",
        ],
        [
            "300739975",
            "2026-11-20T16:00:00+08:00",
            "73956",
            "SKU-73956",
            "Item 73956",
            "Pending",
            "",
            "",
            "DHL",
            "389292777",
        ],
    ]


def test_export_without_filter_lists_every_order_newest_first(seller_client, seller):
    make_order(seller, "1", at("2026-11-20 01:00:00"), first_id=10)
    make_order(seller, "2", at("2026-11-20 02:00:00"), ["pending", "pending"], first_id=20)

    rows = csv_rows(seller_client.get("/export.csv"))

    assert [(row[0], row[2]) for row in rows[1:]] == [("2", "20"), ("2", "21"), ("1", "10")]


def test_export_neutralises_formulas_in_cells(seller_client, seller):
    make_order(
        seller,
        "1",
        at("2026-11-20 01:00:00"),
        first_id=10,
        name='=HYPERLINK("http://evil.example","x")',
        sku="+SUM(A1)",
        shipping_carrier="-2+3",
        tracking_code="@cmd",
    )

    (row,) = csv_rows(seller_client.get("/export.csv"))[1:]

    assert row[3:5] == ["'+SUM(A1)", '\'=HYPERLINK("http://evil.example","x")']
    assert row[8:] == ["'-2+3", "'@cmd"]


def test_one_orders_export(seller_client, seller):
    make_order(seller, "300739975", at("2026-11-20 01:00:00"), ["pending", "canceled"], first_id=5)
    make_order(seller, "2", at("2026-11-20 02:00:00"), first_id=9)

    response = seller_client.get("/orders/300739975/export.csv")

    assert response["Content-Disposition"] == 'attachment; filename="order-300739975.csv"'
    rows = csv_rows(response)
    assert [(row[0], row[2], row[5]) for row in rows[1:]] == [
        ("300739975", "5", "Pending"),
        ("300739975", "6", "Canceled"),
    ]


# --- the order page and the item timeline ------------------------------------------------------


def test_order_page_shows_its_items(seller_client, seller, detail_options):
    order = make_order(
        seller, "300739975", at("2026-11-20 08:00:00"), ["failed_delivery", "shipped"], first_id=7
    )
    failed = order.items.get(id_sales_order_item=7)
    failed.status_detail = detail_options[("failed_delivery", "with_venture")]
    failed.status_event_time = at("2026-11-22 09:15:00")
    failed.save()

    response = seller_client.get("/orders/300739975/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Order 300739975</h1>" in html
    assert "<caption>Items of order 300739975</caption>" in html
    assert ">Failed Delivery</span>" in html
    assert "With Venture" in html
    assert "2026-11-22 09:15 UTC" in html
    assert 'href="/items/7/"' in html and 'href="/items/8/"' in html


def event_ids(response) -> list[int]:
    return [int(n) for n in re.findall(r'data-event="(\d+)"', response.content.decode())]


@override_settings(TIME_ZONE="Asia/Manila", VENTURE_TIME_ZONE="Asia/Manila")
def test_timeline_lists_every_event_newest_first_with_late_ones_marked(seller_client, seller):
    # given an item shipped then delivered, and a shipped event that arrived after delivery
    order = make_order(seller, "300739975", at("2026-11-20 08:00:00"), first_id=73955)
    results = apply_status_updates(
        items=[
            StatusUpdate(
                73955,
                "shipped",
                shipping_carrier="DHL",
                tracking_code="389292777",
                status_event_time=at("2026-11-20 10:00:00"),
            ),
            StatusUpdate(73955, "delivered", status_event_time=at("2026-11-21 10:00:00")),
        ],
        system="OMS",
        request_id="r1",
    )
    late = apply_status_updates(
        items=[
            StatusUpdate(
                73955,
                "shipped",
                shipping_carrier="LBC",
                tracking_code="LATE-1",
                status_event_time=at("2026-11-20 12:00:00"),
            )
        ],
        system="OMS",
        request_id="r2",
    )
    assert [r.outcome for r in results + late] == [Outcome.APPLIED, Outcome.APPLIED, Outcome.LATE]
    history = {h.tracking_code or h.status: h.pk for h in ItemHistory.objects.all()}

    # when the seller opens the item
    response = seller_client.get("/items/73955/")

    # then the events come newest first by when they happened, the late one marked
    html = response.content.decode()
    assert response.status_code == 200
    assert event_ids(response) == [history["delivered"], history["LATE-1"], history["389292777"]]
    assert html.count('class="late-mark">arrived late') == 1
    late_row = re.search(r'<tr class="late" data-event="(\d+)">', html)
    assert late_row and int(late_row.group(1)) == history["LATE-1"]
    # times in Manila, the zone named
    assert (
        '<time datetime="2026-11-21T18:00:00+08:00">2026-11-21 18:00:00 Asia/Manila</time>' in html
    )
    assert "2026-11-20 20:00:00 Asia/Manila" in html
    assert "Times are in Asia/Manila" in html
    # the item now, and its order
    assert ">Delivered</span>" in html
    assert 'href="/orders/300739975/"' in html
    assert order.items.get().status == "delivered"


def test_timeline_keeps_labels_of_options_the_oms_removed(seller_client, seller, detail_options):
    # given a returned item whose earlier detail the OMS has since deactivated
    order = make_order(seller, "1", at("2026-11-20 08:00:00"), ["returned"], first_id=42)
    item = order.items.get()
    removed = detail_options[("returned", "initiated")]
    StatusDetailOption.objects.filter(pk=removed.pk).update(active=False)
    current = detail_options[("returned", "with_3pl_on_way_to_seller")]
    record(item, "returned", at("2026-11-21 10:00:00"), reason="Wrong size")
    record(item, "returned", at("2026-11-21 11:00:00"), status_detail=removed, kind="information")
    record(item, "returned", at("2026-11-22 09:00:00"), status_detail=current, kind="information")
    item.status_detail = current
    item.status_event_time = at("2026-11-22 09:00:00")
    item.reason = "Wrong size"
    item.save()

    # when the seller opens the timeline
    response = seller_client.get("/items/42/")

    # then the removed option still shows its label, said to be no longer offered
    html = response.content.decode()
    assert 'Initiated <span class="retired">(no longer offered by the OMS)</span>' in html
    assert html.count("With 3PL on way to Seller") == 2  # now, and the newest event
    assert "Wrong size" in html
    assert html.count("information update") == 2
    assert 'class="late-mark"' not in html


def test_timeline_of_an_item_without_events(seller_client, seller):
    make_order(seller, "1", at("2026-11-20 08:00:00"), first_id=42)
    response = seller_client.get("/items/42/")
    assert response.status_code == 200
    assert b"No events yet" in response.content
    assert event_ids(response) == []


# --- queries per page do not grow with what the page shows -------------------------------------


def test_list_queries_do_not_grow_with_orders(
    seller_client, seller, detail_options, django_assert_num_queries
):
    make_order(seller, "1", at("2026-11-20 08:00:00"), ["shipped"])
    with django_assert_num_queries(LIST_QUERIES):
        one = seller_client.get(LIST)
    assert len(listed_numbers(one)) == 1

    base = at("2026-11-21 00:00:00")
    for n in range(60):
        order = make_order(
            seller, f"9{n:04d}", base + timedelta(minutes=n), ["shipped", "returned"]
        )
        order.items.filter(status="returned").update(
            status_detail=detail_options[("returned", "initiated")]
        )
    with django_assert_num_queries(LIST_QUERIES):
        fifty = seller_client.get(LIST + "?status=returned")
    assert len(listed_numbers(fifty)) == 50
    with django_assert_num_queries(LIST_QUERIES):
        second = seller_client.get(LIST + "?" + fifty.context["next_query"])
    assert len(listed_numbers(second)) == 10


def test_order_page_queries_do_not_grow_with_items(
    seller_client, seller, detail_options, django_assert_num_queries
):
    make_order(seller, "1", at("2026-11-20 08:00:00"), ["returned"], first_id=10)
    make_order(seller, "2", at("2026-11-20 08:00:00"), ["returned"] * 50, first_id=100)
    OrderItem.objects.update(status_detail=detail_options[("returned", "initiated")])

    with django_assert_num_queries(ORDER_QUERIES):
        assert seller_client.get("/orders/1/").content.count(b"Initiated") == 1
    with django_assert_num_queries(ORDER_QUERIES):
        assert seller_client.get("/orders/2/").content.count(b"Initiated") == 50


def test_timeline_queries_do_not_grow_with_events(
    seller_client, seller, detail_options, django_assert_num_queries
):
    make_order(seller, "1", at("2026-11-20 08:00:00"), ["returned"], first_id=10)
    make_order(seller, "2", at("2026-11-20 08:00:00"), ["returned"], first_id=20)
    options = list(detail_options.values())
    one, many = (
        OrderItem.objects.get(id_sales_order_item=10),
        OrderItem.objects.get(id_sales_order_item=20),
    )
    record(one, "returned", at("2026-11-21 00:00:00"), status_detail=options[0])
    for n in range(30):
        record(
            many,
            "returned",
            at("2026-11-21 00:00:00") + timedelta(minutes=n),
            status_detail=options[n % len(options)],
        )

    with django_assert_num_queries(TIMELINE_QUERIES):
        assert len(event_ids(seller_client.get("/items/10/"))) == 1
    with django_assert_num_queries(TIMELINE_QUERIES):
        assert len(event_ids(seller_client.get("/items/20/"))) == 30


def test_export_queries_do_not_grow_with_items(
    seller_client, seller, detail_options, django_assert_num_queries
):
    make_order(seller, "1", at("2026-11-20 08:00:00"), ["returned"], first_id=10)
    with django_assert_num_queries(EXPORT_QUERIES):
        assert len(csv_rows(seller_client.get("/export.csv"))) == 2

    for n in range(50):
        make_order(seller, f"7{n:03d}", at("2026-11-21 08:00:00"), ["returned", "shipped"])
    OrderItem.objects.filter(status="returned").update(
        status_detail=detail_options[("returned", "initiated")]
    )
    with django_assert_num_queries(EXPORT_QUERIES):
        assert len(csv_rows(seller_client.get("/export.csv"))) == 102


# --- odd but possible data and addresses ------------------------------------------------------


def test_an_order_number_with_a_slash_has_working_pages(seller_client, seller):
    order = make_order(seller, "AB/CD 12", at("2026-11-20 10:00:00"), first_id=880000)

    listing = seller_client.get("/")
    detail = seller_client.get("/orders/AB/CD%2012/")
    export = seller_client.get("/orders/AB/CD%2012/export.csv")

    assert listing.status_code == 200
    assert 'href="/orders/AB/CD%2012/"' in listing.content.decode()
    assert detail.status_code == 200 and detail.context["order"] == order
    assert export.status_code == 200
    assert b"880000" in b"".join(export.streaming_content)


def test_a_nul_in_an_order_address_is_no_such_order(seller_client, seller):
    assert seller_client.get("/orders/%00/").status_code == 404
    assert seller_client.get("/orders/%00/export.csv").status_code == 404


@pytest.mark.parametrize("query", ["date_to=9999-12-31", "date_from=0001-01-01"])
def test_the_first_and_last_possible_days_mean_no_bound(seller_client, seller, query):
    make_order(seller, "700", at("2026-11-20 10:00:00"))

    listing = seller_client.get(f"/?{query}")
    export = seller_client.get(f"/export.csv?{query}")

    assert (listing.status_code, export.status_code) == (200, 200)
    assert [o.order_number for o in listing.context["orders"]] == ["700"]


def test_a_bad_status_in_the_address_does_not_travel_with_the_search(seller_client, seller):
    response = seller_client.get("/?status=nonsense&q=7")

    assert response.status_code == 400
    assert '<input type="hidden" name="status" value="">' in response.content.decode()


def test_the_service_desk_following_view_site_lands_in_the_admin(client, db):
    staff = User.objects.create_user(username="desk", is_staff=True)
    client.force_login(staff)

    response = client.get("/")

    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_csv_times_are_to_the_second(seller_client, seller):
    make_order(seller, "555", at("2026-11-20 10:00:00") + timedelta(microseconds=198793))

    response = seller_client.get("/export.csv")

    assert csv_rows(response)[1][1] == "2026-11-20T10:00:00+00:00"


def test_a_typed_logout_address_offers_the_button_and_keeps_the_session(seller_client):
    page = seller_client.get("/logout/")

    assert page.status_code == 200
    assert '<form method="post" action="/logout/"' in page.content.decode()
    assert seller_client.get("/").status_code == 200  # still logged in

    seller_client.post("/logout/")

    assert seller_client.get("/").status_code == 302
