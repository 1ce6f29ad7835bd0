"""The orders list keeps its status tab counts briefly, says since when, and survives a cache
that cannot be reached."""

import re

import pytest
from django.contrib.auth.models import User

from orders import selectors
from orders.models import SellerStaff

pytestmark = pytest.mark.django_db

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def seller_client(client, seller):
    user = User.objects.create_user(username="ana")
    SellerStaff.objects.create(user=user, seller=seller)
    client.force_login(user)
    return client


def all_tab_count(response) -> int:
    html = response.content.decode()
    match = re.search(r'data-status="all">All <span class="count">(\d+)<', html)
    assert match, "no All tab on the page"
    return int(match.group(1))


def test_cached_counts_follow_every_change_of_the_sellers_items(
    settings, seller_client, make_items
):
    settings.CACHES = LOCMEM
    settings.SELLER_TAB_COUNTS_CACHE_SECONDS = 60
    make_items(1)
    first = seller_client.get("/")

    make_items(1)
    second = seller_client.get("/")

    assert (all_tab_count(first), all_tab_count(second)) == (1, 2)
    assert (len(first.context["orders"]), len(second.context["orders"])) == (1, 2)
    assert "Counts as of" in second.content.decode()


def test_counts_are_counted_once_while_nothing_changes(
    settings, seller_client, make_items, monkeypatch
):
    settings.CACHES = LOCMEM
    settings.SELLER_TAB_COUNTS_CACHE_SECONDS = 60
    make_items(2)
    counted = []
    real = selectors.status_counts
    monkeypatch.setattr(
        selectors, "status_counts", lambda *a, **k: counted.append(1) or real(*a, **k)
    )

    pages = [seller_client.get("/") for _ in range(3)]

    assert [all_tab_count(page) for page in pages] == [1, 1, 1]
    assert len(counted) == 1


def test_counts_are_live_when_the_cache_time_is_zero(settings, seller_client, make_items):
    settings.CACHES = LOCMEM
    settings.SELLER_TAB_COUNTS_CACHE_SECONDS = 0
    make_items(1)
    seller_client.get("/")

    make_items(1)

    assert all_tab_count(seller_client.get("/")) == 2


def test_an_unreachable_cache_costs_only_the_live_count(settings, seller_client, make_items):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.SELLER_TAB_COUNTS_CACHE_SECONDS = 60
    make_items(2)

    response = seller_client.get("/")

    assert response.status_code == 200
    assert all_tab_count(response) == 1
