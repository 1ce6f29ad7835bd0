"""Who may do what in the admin: the Service desk group, seller staff, and the orders pages."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maintenance.config import TIMESTAMP_SKEW_SECONDS, get_parameter
from maintenance.models import ApiKey, ConfigurationParameter, RequestLog, SystemCredential
from maintenance.roles import SERVICE_DESK_GROUP, SERVICE_DESK_PERMISSIONS
from orders.models import ItemHistory, OrderItem
from tests.conftest import at
from tests.maintenance import test_admin_helpers as helpers
from tests.maintenance.test_admin_helpers import credential_form, log_request

desk_user = helpers.desk_user
desk_client = helpers.desk_client
seller_client = helpers.seller_client
system = helpers.system


def admin_pages(system: SystemCredential, item: OrderItem, log: RequestLog) -> list[str]:
    """Every page of the Maintenance section and the orders, as a service desk user uses them."""
    api_key = system.api_keys.first()
    return [
        reverse("admin:index"),
        reverse("admin:app_list", args=["maintenance"]),
        reverse("admin:maintenance_systemcredential_changelist"),
        reverse("admin:maintenance_systemcredential_add"),
        reverse("admin:maintenance_systemcredential_change", args=[system.pk]),
        reverse("admin:maintenance_systemcredential_issue_key", args=[system.pk]),
        reverse("admin:maintenance_systemcredential_refresh", args=[system.pk]),
        reverse("admin:maintenance_apikey_changelist"),
        reverse("admin:maintenance_apikey_change", args=[api_key.pk]),
        reverse("admin:maintenance_apikey_revoke", args=[api_key.pk]),
        reverse("admin:maintenance_configurationparameter_changelist"),
        reverse("admin:maintenance_requestlog_changelist"),
        reverse("admin:maintenance_requestlog_change", args=[log.pk]),
        reverse("admin:maintenance_statusdetailmapping_changelist"),
        reverse("admin:maintenance_statusdetailrefresh_changelist"),
        reverse("admin:orders_order_changelist"),
        reverse("admin:orders_order_change", args=[item.order_id]),
        reverse("admin:orders_orderitem_changelist"),
        reverse("admin:orders_orderitem_change", args=[item.pk]),
    ]


def test_the_service_desk_group_has_exactly_its_permissions(db):
    # given the database as migrations leave it
    group = Group.objects.get(name=SERVICE_DESK_GROUP)

    # when its permissions are read
    granted = {
        (p.content_type.app_label, p.codename)
        for p in group.permissions.select_related("content_type")
    }

    # then they are exactly the listed ones: no delete of anything but a whitelisted network
    assert granted == set(SERVICE_DESK_PERMISSIONS)
    assert len(SERVICE_DESK_PERMISSIONS) == 20
    deletes = {codename for _, codename in granted if codename.startswith("delete_")}
    assert deletes == {"delete_whitelistednetwork"}


def test_a_service_desk_user_can_open_every_page(desk_client, system, make_items):
    # given a system, an item and a request log entry
    item = make_items(1)[0]
    log = log_request(created_at=timezone.now())

    # when the desk opens every page
    statuses = {url: desk_client.get(url).status_code for url in admin_pages(system, item, log)}

    # then each opens
    assert statuses == {url: 200 for url in statuses}


def test_a_service_desk_user_does_not_manage_users_or_seller_staff(desk_client):
    # given a service desk login
    # when it opens the user, group and seller staff admin
    urls = [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:orders_sellerstaff_changelist"),
        reverse("admin:orders_seller_add"),
    ]

    # then each is refused
    assert [desk_client.get(url).status_code for url in urls] == [403, 403, 403, 403]


def test_a_seller_user_can_open_no_admin_page(seller_client, system, make_items):
    # given a seller staff login
    item = make_items(1)[0]
    log = log_request(created_at=timezone.now())

    # when it opens every admin page
    responses = [seller_client.get(url) for url in admin_pages(system, item, log)]

    # then each sends it to the admin login, nothing is shown
    login = reverse("admin:login")
    assert all(r.status_code == 302 for r in responses)
    assert all(r["Location"].startswith(login + "?next=") for r in responses)


def test_a_seller_user_can_do_nothing_in_the_admin(seller_client, system, desk_client):
    # given a seller staff login, a system with one key and the parameters at their defaults
    desk_client.get(reverse("admin:maintenance_configurationparameter_changelist"))
    skew = ConfigurationParameter.objects.get(name=TIMESTAMP_SKEW_SECONDS)
    api_key = system.api_keys.get()

    # when it tries to issue a key, revoke one, change a parameter and add a system
    posts = [
        (reverse("admin:maintenance_systemcredential_issue_key", args=[system.pk]), {}),
        (reverse("admin:maintenance_apikey_revoke", args=[api_key.pk]), {}),
        (
            reverse("admin:maintenance_configurationparameter_change", args=[skew.pk]),
            {"value": "60"},
        ),
        (
            reverse("admin:maintenance_systemcredential_add"),
            credential_form(service_name="EVIL", networks=("0.0.0.0/0",)),
        ),
    ]
    statuses = [seller_client.post(url, data).status_code for url, data in posts]

    # then every attempt is refused and nothing changed
    assert statuses == [302, 302, 302, 302]
    assert ApiKey.objects.filter(credential=system).count() == 1
    assert ApiKey.objects.filter(revoked_at__isnull=False).count() == 0
    assert get_parameter(TIMESTAMP_SKEW_SECONDS) == 300
    assert list(SystemCredential.objects.values_list("service_name", flat=True)) == ["OMS"]


# --- Orders --------------------------------------------------------------------------------------


def add_history(item: OrderItem, detail=None, *, applied: bool = True, when: str) -> None:
    ItemHistory.objects.create(
        item=item,
        kind="status" if detail is None else "information",
        status=item.status,
        status_detail=detail,
        reason="Size did not fit",
        status_event_time=at(when),
        received_at=at(when),
        applied=applied,
        system="OMS",
        request_id="req-1",
        fingerprint=f"{item.pk}-{when}-{applied}",
    )


def test_an_items_page_shows_its_history_with_detail_labels(
    desk_client, make_items, detail_options
):
    # given a returned item with three events, one late
    item = make_items(1, status="returned")[0]
    add_history(item, when="2026-11-20 10:00:00")
    add_history(
        item,
        detail_options[("returned", "with_venture_awaiting_processing")],
        when="2026-11-21 09:00:00",
    )
    add_history(
        item,
        detail_options[("returned", "initiated")],
        applied=False,
        when="2026-11-20 12:00:00",
    )

    # when the desk opens the item
    response = desk_client.get(reverse("admin:orders_orderitem_change", args=[item.pk]))

    # then its history is there, oldest first, with the labels and the late one marked
    assert response.status_code == 200
    history = list(response.context["inline_admin_formsets"][0].formset.queryset)
    assert [h.status_event_time for h in history] == [
        at("2026-11-20 10:00:00"),
        at("2026-11-20 12:00:00"),
        at("2026-11-21 09:00:00"),
    ]
    page = response.content.decode()
    assert "With Venture awaiting processing" in page
    assert "late: kept, did not change the item" in page
    assert 'name="_save"' not in page


def test_items_are_found_by_id_sales_order_item_and_order_number(desk_client, make_items):
    # given two orders
    first = make_items(2, first_id=73955)
    second = make_items(1, first_id=80000)
    items_url = reverse("admin:orders_orderitem_changelist")
    orders_url = reverse("admin:orders_order_changelist")

    # when searched by an item id, an order number and a word
    by_item = desk_client.get(items_url, {"q": "73956"})
    by_order = desk_client.get(items_url, {"q": second[0].order.order_number})
    orders_by_item = desk_client.get(orders_url, {"q": "73955"})
    nothing = desk_client.get(items_url, {"q": "shoes"})

    # then each finds exactly its rows
    assert [i.id_sales_order_item for i in by_item.context["cl"].result_list] == [73956]
    assert [i.id_sales_order_item for i in by_order.context["cl"].result_list] == [80000]
    assert [o.pk for o in orders_by_item.context["cl"].result_list] == [first[0].order_id]
    assert list(nothing.context["cl"].result_list) == []


def test_orders_cannot_be_changed_from_the_admin(desk_client, make_items):
    # given an item
    item = make_items(1)[0]

    # when the desk posts a change of it
    response = desk_client.post(
        reverse("admin:orders_orderitem_change", args=[item.pk]), {"status": "delivered"}
    )

    # then it is refused and the item is unchanged
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == "pending"


def test_the_item_list_and_an_order_page_make_constant_queries(
    desk_client, make_items, detail_options, django_assert_num_queries
):
    # given one order of one item with a detail, and the queries of its pages
    detail = detail_options[("shipped", "at_hub")]
    small = make_items(1, status="shipped", status_detail=detail)[0]
    items_url = reverse("admin:orders_orderitem_changelist")
    with CaptureQueriesContext(connection) as list_one:
        desk_client.get(items_url)
    with CaptureQueriesContext(connection) as order_one:
        desk_client.get(reverse("admin:orders_order_change", args=[small.order_id]))

    # when there is an order of twenty such items
    big = make_items(20, status="shipped", status_detail=detail)[0]

    # then both pages take as many queries as before
    with django_assert_num_queries(len(list_one.captured_queries)):
        response = desk_client.get(items_url)
    assert len(response.context["cl"].result_list) == 21
    with django_assert_num_queries(len(order_one.captured_queries)):
        desk_client.get(reverse("admin:orders_order_change", args=[big.order_id]))
