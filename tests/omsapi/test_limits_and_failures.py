"""Limits, throttling, malformed input and platform failures: always a JSON envelope, a log row,
and nothing half applied."""

from __future__ import annotations

import json
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from maintenance.models import RequestLog, RequestOutcome
from maintenance.signing import query_string
from omsapi.client import signed_parameters
from omsapi.throttle import parse_rate
from orders.models import ItemHistory, OrderItem
from tests.conftest import require_real_part
from tests.omsapi.conftest import OMS_IP, last_log, shipped

pytestmark = pytest.mark.django_db


def head(answer):
    return answer.head


def test_4000_items_in_one_request(call, make_items):
    make_items(4000, first_id=1)
    answer = call(items=[shipped(i) for i in range(1, 4001)])
    assert answer.status == 200
    assert OrderItem.objects.filter(status="shipped").count() == 4000
    assert ItemHistory.objects.count() == 4000
    assert last_log().items_received == 4000


def test_4001_items_are_too_big_and_nothing_is_applied(call, make_items):
    make_items(2, first_id=1)
    answer = call(items=[shipped(1)] * 4001)
    assert answer.status == 413
    assert answer.head["ErrorCode"] == "11"
    assert answer.head["ErrorMessage"] == "E011: Request too Big"
    assert OrderItem.objects.filter(status="shipped").count() == 0
    assert ItemHistory.objects.count() == 0
    assert last_log().reason == "Items holds 4001 elements; at most 4000 are allowed"


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(call, make_items, settings):
    settings.OMS_API_MAX_BODY_BYTES = 1000
    make_items(1, first_id=1)
    body = json.dumps({"Request": {"Items": [shipped(1, package_status="p" * 2000)]}}).encode()
    answer = call(body=body)
    assert answer.status == 413
    assert answer.head["ErrorCode"] == "11"
    assert last_log().reason == f"body of {len(body)} bytes is over the limit of 1000 bytes"
    assert OrderItem.objects.get(id_sales_order_item=1).status == "pending"


def test_a_body_longer_than_its_declared_length_is_read_only_up_to_that_length(
    call, make_items, settings
):
    settings.OMS_API_MAX_BODY_BYTES = 1000
    make_items(1, first_id=1)
    body = json.dumps({"Request": {"Items": [shipped(1, package_status="p" * 2000)]}}).encode()
    answer = call(body=body, CONTENT_LENGTH="40")
    assert answer.status == 400
    assert answer.head["ErrorCode"] == "5"
    assert OrderItem.objects.get(id_sales_order_item=1).status == "pending"


def test_an_empty_body_is_e030(call):
    answer = call(body=b"")
    assert (answer.status, answer.head["ErrorCode"], answer.head["ErrorMessage"]) == (
        400,
        "30",
        "E030: Empty Request",
    )


def test_empty_items_is_e030(call):
    answer = call(items=[])
    assert (answer.status, answer.head["ErrorCode"], answer.head["ErrorMessage"]) == (
        400,
        "30",
        "E030: Empty Request",
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            b"{not json",
            "the body is not valid JSON: Expecting property name enclosed in double quotes",
        ),
        (b"\xff\xfe", "the body is not UTF-8 text"),
        (b"[1, 2]", 'expected a JSON object {"Request": {"Items": [...]}}'),
        (b'{"Items": []}', 'expected a JSON object {"Request": {"Items": [...]}}'),
        (b'{"Request": {}}', '"Request" has no "Items" list'),
        (b'{"Request": {"Items": {"a": 1}}}', '"Items" must be a list of objects'),
        (b"[" * 100000, "the body is not valid JSON: nested too deeply"),
    ],
)
def test_a_malformed_body_is_e005_naming_what_is_wrong(call, body, detail):
    answer = call(body=body)
    assert answer.status == 400
    assert answer.head["ErrorCode"] == "5"
    assert answer.head["ErrorMessage"] == f"E005: Invalid Request Format ({detail})"


def test_the_throttle_counts_per_service_name_across_workers(call, make_items, settings):
    require_real_part(
        settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), "needs Redis: set REDIS_URL"
    )
    settings.OMS_API_THROTTLE = "3/h"
    rate = parse_rate("3/h")
    key = f"omsapi:throttle:OMS:{rate.seconds}:{int(time.time() // rate.seconds)}"
    cache.delete(key)
    make_items(1, first_id=1)
    try:
        # an unsigned request does not count
        assert call(items=[shipped(1)], key="wrong").status == 401
        answers = [call("GetItemsStatus", [{"id_sales_order_item": 1}]) for _ in range(4)]
        assert [a.status for a in answers] == [200, 200, 200, 429]
        assert answers[3].head["ErrorCode"] == "429"
        assert answers[3].head["ErrorMessage"] == "E429: Too many requests"
        assert int(answers[3].headers["Retry-After"]) >= 1
        assert cache.get(key) == 4
        assert last_log().reason == (
            "OMS sent 4 requests in the current 3600 s window; the limit is 3"
        )
        # a throttled update changes nothing
        assert call(items=[shipped(1)]).status == 429
        assert OrderItem.objects.get(id_sales_order_item=1).status == "pending"
    finally:
        cache.delete(key)


def test_the_throttle_lets_requests_through_when_its_store_is_down(call, make_items, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.OMS_API_THROTTLE = "1/h"
    make_items(1, first_id=1)
    assert call(items=[shipped(1)]).status == 200
    assert call("GetItemsStatus", [{"id_sales_order_item": 1}]).status == 200


def test_the_legacy_endpoint_is_gone_and_names_its_replacement(client):
    for path in ("/oms", "/oms/", "/oms?Action=Order.UpdateItemStatus"):
        response = client.post(
            path, data=b"{}", content_type="application/json", REMOTE_ADDR=OMS_IP
        )
        assert response.status_code == 410
        head = response.json()["ErrorResponse"]["Head"]
        assert head["ErrorType"] == "Sender"
        assert "UpdateItemsStatus" in head["ErrorMessage"]
        assert "/oms-api/" in head["ErrorMessage"]
    assert RequestLog.objects.filter(http_status=410).count() == 3


def test_the_address_without_the_trailing_slash_works_for_post(call, make_items):
    make_items(1, first_id=1)
    assert call(items=[shipped(1)], path="/oms-api").status == 200


def test_get_is_refused_with_an_envelope(client):
    response = client.get("/oms-api/", REMOTE_ADDR=OMS_IP)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["ErrorResponse"]["Head"]["ErrorCode"] == "5"
    assert last_log().http_status == 405


def test_a_host_header_django_refuses_still_gets_an_envelope_and_a_log_row(oms):
    params = signed_parameters(service_name="OMS", api_key=oms.key, action="UpdateItemsStatus")
    response = Client().post(
        f"/oms-api/?{query_string(params)}",
        data=b"{}",
        content_type="application/json",
        REMOTE_ADDR=OMS_IP,
        HTTP_HOST="evil.example",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["ErrorResponse"]["Head"]["ErrorCode"] == "5"
    log = last_log()
    assert (log.http_status, log.service_name, log.client_ip) == (400, "OMS", OMS_IP)


def test_an_unknown_address_under_the_api_gets_an_envelope(client):
    response = client.post("/oms-api/nothing-here/", REMOTE_ADDR=OMS_IP)
    assert response.status_code == 404
    assert response.json()["ErrorResponse"]["Head"]["ErrorType"] == "Sender"


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=8), inner, max_size=4)
            ),
            max_leaves=12,
        ).map(lambda v: json.dumps({"Request": {"Items": v}}).encode()),
    ),
    action=st.sampled_from(["UpdateItemsStatus", "UpdateItemsInformation", "GetItemsStatus"]),
)
def test_no_input_whatever_gets_html_or_a_500(call, body, action):
    answer = call(action, body=body)  # the helper asserts a JSON answer
    assert 400 <= answer.status < 500 or answer.status == 200
    assert "Traceback" not in json.dumps(answer.json)


def test_database_down_is_503_platform_and_nothing_applied(transactional_db, call, make_items):
    make_items(1, first_id=1)
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = "1"
    connection.settings_dict["HOST"] = "127.0.0.1"
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/dir/db.sqlite3"
    try:
        answer = call(items=[shipped(1)])
    finally:
        connection.close()
        connection.settings_dict.update(original)
    assert answer.status == 503
    assert answer.head["ErrorType"] == "Platform"
    assert answer.head["ErrorCode"] == "1000"
    assert answer.head["ErrorMessage"] == "E1000: Internal Application Error"
    assert OrderItem.objects.get(id_sales_order_item=1).status == "pending"
    assert RequestLog.objects.filter(outcome=RequestOutcome.ERROR).count() == 0  # could not log
