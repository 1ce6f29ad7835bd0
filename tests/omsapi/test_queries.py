"""The number of SQL statements of a request does not grow with its number of items."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.omsapi.conftest import shipped

pytestmark = pytest.mark.django_db


def _statements(call, action, items, **kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        answer = call(action, items, **kwargs)
    assert answer.status == 200, answer.json
    return len(queries.captured_queries)


def test_update_items_status_statements_are_constant(call, make_items):
    make_items(10, first_id=1)
    make_items(1000, first_id=1001)
    small = _statements(call, "UpdateItemsStatus", [shipped(i) for i in range(1, 11)])
    large = _statements(call, "UpdateItemsStatus", [shipped(i) for i in range(1001, 2001)])
    assert small == large


def test_update_items_status_statement_count(call, make_items, django_assert_num_queries):
    make_items(3, first_id=1)
    # credential, networks, keys, skew parameter; the write path's lock, update and history
    # insert; the request log row. The test runs inside a transaction, so the write path's own
    # transaction shows as a savepoint and its release (outside a test: BEGIN and COMMIT).
    with django_assert_num_queries(10):
        assert call(items=[shipped(i) for i in range(1, 4)]).status == 200


def test_update_items_information_statements_are_constant(call, make_items, detail_options):
    make_items(10, first_id=1, status="returned", reason="Size")
    make_items(1000, first_id=1001, status="returned", reason="Size")

    def items(ids):
        return [{"id_sales_order_item": i, "status_detail": "initiated"} for i in ids]

    small = _statements(call, "UpdateItemsInformation", items(range(1, 11)))
    large = _statements(call, "UpdateItemsInformation", items(range(1001, 2001)))
    assert small == large


def test_get_items_status_statements_are_constant(call, make_items):
    make_items(10, first_id=1)
    make_items(1000, first_id=1001)
    assert call(items=[shipped(i) for i in range(1, 11)]).status == 200
    assert call(items=[shipped(i) for i in range(1001, 2001)]).status == 200

    def ids(r):
        return [{"id_sales_order_item": i} for i in r]

    history = {"extra_params": {"IncludeHistory": "1"}}
    small = _statements(call, "GetItemsStatus", ids(range(1, 11)), **history)
    large = _statements(call, "GetItemsStatus", ids(range(1001, 2001)), **history)
    assert small == large
