"""The served OpenAPI schema is valid and describes the real answers (oms-api.md §4.3, §6).

Each answer of the API, GetItemsStatus's above all, is validated against the schema of its HTTP
status in ``/oms-api/schema/`` and against its own component, formats and nullability included.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from tests.omsapi.conftest import Answer, shipped

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client) -> dict[str, Any]:
    response = client.get("/oms-api/schema/")
    assert response.status_code == 200
    return response.json()


def check(document: dict[str, Any], answer: Answer, component: str | None = None) -> None:
    """``answer`` is valid for its HTTP status in the operation, and for ``component``."""
    operation = document["paths"]["/oms-api/"]["post"]
    content = operation["responses"][str(answer.status)]["content"]["application/json"]
    schemas = [content["schema"]]
    if component is not None:
        schemas.append({"$ref": f"#/components/schemas/{component}"})
    for schema in schemas:
        validator = OAS30Validator(
            {**schema, "components": document["components"]},
            format_checker=OAS30Validator.FORMAT_CHECKER,
        )
        validator.validate(answer.json)


@pytest.fixture
def items(call, make_items, detail_options) -> None:
    """Item 11 shipped, its detail set, a late event; 12 returned with a reason; 13 untouched."""
    make_items(2, first_id=11)
    make_items(1, first_id=13)
    assert call(items=[shipped(11, status_event_time="2026-11-20 10:00:00")]).status == 200
    answer = call(
        "UpdateItemsInformation",
        [
            {
                "id_sales_order_item": 11,
                "status_detail": "at_hub",
                "package_status": "packed",
                "status_event_time": "2026-11-21 10:00:00",
            }
        ],
    )
    assert answer.status == 200
    late = {
        "id_sales_order_item": 11,
        "item_status": "canceled",
        "cancel_reason": "Out of stock",
        "status_event_time": "2026-11-19 10:00:00",
    }
    assert call(items=[late]).status == 200
    returned = [
        shipped(12, status_event_time="2026-11-20 10:00:00"),
        {
            "id_sales_order_item": 12,
            "item_status": "delivered",
            "status_event_time": "2026-11-21 10:00:00",
        },
        {
            "id_sales_order_item": 12,
            "item_status": "returned",
            "return_reason": "Size",
            "status_event_time": "2026-11-23 10:00:00",
        },
    ]
    assert call(items=returned).status == 200


def test_the_schema_is_a_valid_openapi_document(document):
    validate(document)
    schemas = document["components"]["schemas"]
    assert {
        "GetItemsStatusSuccessResponse",
        "GetItemsStatusErrorResponse",
        "GetItemsStatusItem",
        "GetItemsStatusEvent",
        "ItemError",
    } <= set(schemas)
    assert schemas["GetItemsStatusItem"]["properties"]["status_event_time"]["nullable"] is True


@pytest.mark.parametrize("history", ["0", "1"])
def test_get_items_status_answers_match_the_success_component(call, document, items, history):
    asked = [{"id_sales_order_item": n} for n in (13, 11, "12")]
    answer = call("GetItemsStatus", asked, extra_params={"IncludeHistory": history})
    assert answer.status == 200
    check(document, answer, "GetItemsStatusSuccessResponse")
    untouched, detailed, returned = answer.body["Items"]
    assert untouched["status_event_time"] is None
    assert (detailed["status_detail"], detailed["status_detail_label"]) == ("at_hub", "At hub")
    assert returned["item_status"] == "returned"
    if history == "1":
        assert untouched["History"] == []
        assert [(e["item_status"], e["applied"]) for e in detailed["History"]] == [
            ("canceled", False),
            ("shipped", True),
            ("shipped", True),
        ]
        assert {e["reason"] for e in returned["History"]} == {"", "Size"}
    else:
        assert "History" not in detailed


def test_unknown_ids_match_the_error_component(call, document, items):
    asked = [{"id_sales_order_item": 404}, {"id_sales_order_item": 11}, {"x": 1}]
    for history in ("0", "1"):
        answer = call("GetItemsStatus", asked, extra_params={"IncludeHistory": history})
        assert answer.status == 400
        check(document, answer, "GetItemsStatusErrorResponse")
        errors = answer.body["GetItemsStatus"]
        assert [(e["Position"], e["ErrorCode"]) for e in errors] == [(0, 20), (2, 5)]
        assert [i["id_sales_order_item"] for i in answer.body["Items"]] == [11]
    # no id known at all: still both lists
    answer = call("GetItemsStatus", [{"id_sales_order_item": 404}])
    check(document, answer, "GetItemsStatusErrorResponse")
    assert answer.body["Items"] == []


def test_the_other_answers_match_their_status_and_not_the_get_items_status_components(
    call, document, items
):
    cancel = {"id_sales_order_item": 13, "item_status": "canceled", "cancel_reason": "Stock"}
    get = [{"id_sales_order_item": 11}]
    cases = [
        (call(items=[cancel]), "SuccessResponse"),
        (call(items=[{"id_sales_order_item": 404, "item_status": "shipped"}]), "ErrorResponse"),
        (call("GetItemsStatus", get, extra_params={"IncludeHistory": "2"}), "ErrorResponse"),
        (call("GetItemsStatus", get, key="wrong"), "ErrorResponse"),
    ]
    statuses = [answer.status for answer, _ in cases]
    assert statuses == [200, 400, 400, 401]
    for answer, component in cases:
        check(document, answer, component)
        for other in ("GetItemsStatusSuccessResponse", "GetItemsStatusErrorResponse"):
            with pytest.raises(ValidationError):
                check(document, answer, other)
