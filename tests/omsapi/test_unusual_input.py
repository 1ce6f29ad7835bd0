"""Input that is legal on the wire but that the database cannot take, and bodies that arrive
without a Content-Length: refused by field or read, never a Platform error."""

import io
import json

import pytest
from django.test import RequestFactory

from maintenance.models import RequestLog
from maintenance.signing import query_string
from omsapi.client import signed_parameters
from omsapi.views import oms_api
from orders.models import ItemHistory, OrderItem
from tests.omsapi.conftest import OMS_IP, last_log

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("bad", "field", "detail"),
    [
        ({"cancel_reason": "a\u0000b"}, "cancel_reason", "must not contain NUL characters"),
        ({"cancel_reason": "\ud800"}, "cancel_reason", "is not valid Unicode text"),
        ({"package_status": "\u0000"}, "package_status", "must not contain NUL characters"),
        (
            {"status_event_time": "9999-12-31T23:59:59-14:00"},
            "status_event_time",
            "is out of range once converted to UTC",
        ),
    ],
)
def test_unstorable_fields_refuse_their_item_and_the_others_apply(
    call, make_items, bad, field, detail
):
    make_items(2, first_id=1097)
    good = {"id_sales_order_item": 1097, "item_status": "canceled", "cancel_reason": "fine"}
    poisoned = {
        "id_sales_order_item": 1098,
        "item_status": "canceled",
        "cancel_reason": "Cannot fulfil",
        **bad,
    }

    answer = call(items=[good, poisoned])

    assert answer.status == 400
    assert answer.head["ErrorType"] == "Sender"
    (error,) = answer.body["UpdateItemsStatus"]
    assert (error["ErrorCode"], error["Position"]) == (5, 1)
    assert f"({field}: {detail}" in error["ErrorMessage"]
    assert OrderItem.objects.get(id_sales_order_item=1097).status == "canceled"
    assert OrderItem.objects.get(id_sales_order_item=1098).status == "pending"
    assert ItemHistory.objects.count() == 1


def test_a_nul_byte_in_the_service_name_is_an_unknown_system(call):
    answer = call(service="OMS\u0000", ip=OMS_IP)

    assert (answer.status, answer.head["ErrorCode"], answer.head["ErrorType"]) == (
        403,
        "9",
        "Sender",
    )
    assert last_log().reason.startswith("unknown service name")


def test_a_chunked_body_without_content_length_is_read(oms, make_items):
    make_items(1, first_id=2001)
    params = signed_parameters(service_name="OMS", api_key=oms.key, action="UpdateItemsStatus")
    body = json.dumps(
        {
            "Request": {
                "Items": [
                    {
                        "id_sales_order_item": 2001,
                        "item_status": "canceled",
                        "cancel_reason": "Out of stock",
                    }
                ]
            }
        }
    ).encode()
    request = RequestFactory().generic(
        "POST", f"/oms-api/?{query_string(params)}", REMOTE_ADDR=OMS_IP
    )
    # As gunicorn hands it over: chunking undone, no Content-Length.
    request.META.pop("CONTENT_LENGTH", None)
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META["wsgi.input"] = io.BytesIO(body)
    request.META["CONTENT_TYPE"] = "application/json"

    response = oms_api(request)

    assert response.status_code == 200, response.content
    assert OrderItem.objects.get(id_sales_order_item=2001).status == "canceled"


def test_a_chunked_body_over_the_limit_is_e011(oms, make_items, settings):
    settings.OMS_API_MAX_BODY_BYTES = 1000
    make_items(1, first_id=2002)
    params = signed_parameters(service_name="OMS", api_key=oms.key, action="UpdateItemsStatus")
    request = RequestFactory().generic(
        "POST", f"/oms-api/?{query_string(params)}", REMOTE_ADDR=OMS_IP
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META["wsgi.input"] = io.BytesIO(b" " * 5000)

    response = oms_api(request)

    assert response.status_code == 413
    assert json.loads(response.content)["ErrorResponse"]["Head"]["ErrorCode"] == "11"
    assert RequestLog.objects.get().error_code == "11"
