"""The OpenAPI 3 description of ``/oms-api/``, served at ``/oms-api/schema/``.

Written by hand rather than generated: the API is one address whose action, credentials and
signature travel as URL parameters, which a generator cannot infer from a view. The text of the
signing scheme here is the one of oms-api.md §3.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from orders.state_machine import ItemStatus

from .auth import ACTIONS, GET_ITEMS_STATUS, UPDATE_ITEMS_INFORMATION, UPDATE_ITEMS_STATUS, VERSION
from .items import INFORMATION_FIELDS, STATUS_FIELDS, TIME_FORMATS

SIGNING = (
    "Every request is signed. `Signature` is the lowercase hex HMAC-SHA256, keyed with the "
    "system's API key, of the string built from every other URL parameter: sorted by name, "
    "names and values percent-encoded per RFC 3986 (unreserved characters `A-Z a-z 0-9 - _ . ~` "
    "left as they are), joined as `name=value` pairs with `&`. Example: with the key `secret` "
    "and `Action=UpdateItemsStatus`, `ServiceName=OMS`, `Timestamp=2015-11-12T12:32:57+01:00`, "
    "`Version=1.0`, the string to sign is "
    "`Action=UpdateItemsStatus&ServiceName=OMS&Timestamp=2015-11-12T12%3A32%3A57%2B01%3A00"
    "&Version=1.0` and the signature "
    "`b1a07197fc3f8148758a72741bc0538f6d75405a20530223657d98865feb8d81`. Send the parameter "
    "values percent-encoded the same way in the URL. The caller's IP must be whitelisted for "
    "its ServiceName, and the Timestamp within the allowed skew (default 300 s)."
)

_STATUS_VALUES = [
    "shipped",
    "canceled",
    "failed_delivery",
    "delivered",
    "returned",
    "return_shipped_by_customer",
]


def _text(description: str, max_length: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "description": description}
    if max_length:
        schema["maxLength"] = max_length
    return schema


_ID = {
    "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9]+$"}],
    "description": "The OMS's id of the order item; answered as a JSON integer.",
}
_TIME = _text(f"When it happened: {TIME_FORMATS}. Absent or empty: when the request arrived.")
_STATUS_ITEM_PROPERTIES = {
    "id_sales_order_item": _ID,
    "item_status": {"type": "string", "enum": _STATUS_VALUES},
    "package_status": _text("The package's own status in the OMS.", 100),
    "cancel_reason": _text("Required for canceled.", 255),
    "return_reason": _text("Required for returned.", 255),
    "failed_delivery_reason": _text("Required for failed_delivery.", 255),
    "shipping_carrier": _text("Required for shipped.", 100),
    "tracking_code": _text("Required for shipped.", 100),
    "status_event_time": _TIME,
}
_INFORMATION_ITEM_PROPERTIES = {
    "id_sales_order_item": _ID,
    "status_detail": _text(
        "Key of a status detail option of the item's current status; empty clears it.", 100
    ),
    "shipping_carrier": _text("Updated when present and not empty.", 100),
    "tracking_code": _text("Updated when present and not empty.", 100),
    "package_status": _text("Updated when present and not empty.", 100),
    "status_event_time": _TIME,
}
assert tuple(_STATUS_ITEM_PROPERTIES) == STATUS_FIELDS
assert tuple(_INFORMATION_ITEM_PROPERTIES) == INFORMATION_FIELDS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answered_time(description: str, *, nullable: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "string",
        "format": "date-time",
        "description": f"{description} ISO 8601 with offset, in the Venture's time zone, "
        "to the second, e.g. 2026-11-22T10:00:00+08:00.",
    }
    if nullable:
        schema["nullable"] = True
    return schema


# What GetItemsStatus answers for one item (omsapi.views._item_json), field for field.
_ITEM_STATE_PROPERTIES: dict[str, Any] = {
    "id_sales_order_item": {"type": "integer", "description": "The OMS's id of the order item."},
    "item_status": {"type": "string", "enum": list(ItemStatus.values)},
    "status_detail": {
        "type": "string",
        "description": "Key of the current status detail; empty when none.",
    },
    "status_detail_label": {
        "type": "string",
        "description": "Label of the current status detail; empty when none.",
    },
    "status_event_time": _answered_time(
        "When the newest applied event happened; null for an item no event has reached yet.",
        nullable=True,
    ),
    "shipping_carrier": {"type": "string", "description": "Empty when none."},
    "tracking_code": {"type": "string", "description": "Empty when none."},
    "package_status": {"type": "string", "description": "Empty when none."},
}
_ITEM_EVENT_PROPERTIES: dict[str, Any] = {
    "item_status": {"type": "string", "enum": list(ItemStatus.values)},
    "status_detail": {
        "type": "string",
        "description": "Key of the event's status detail; empty when none.",
    },
    "reason": {
        "type": "string",
        "description": "The cancel, return or failed delivery reason; empty when none.",
    },
    "status_event_time": _answered_time("When the event happened."),
    "received_at": _answered_time("When Seller Center received it."),
    "applied": {
        "type": "boolean",
        "description": "False for an event that arrived late and did not change the current state.",
    },
}
_SUCCESS_HEAD_PROPERTIES: dict[str, Any] = {
    "RequestId": {"type": "string", "format": "uuid"},
    "RequestAction": {"type": "string"},
    "ResponseType": {"type": "string"},
    "Timestamp": {"type": "string", "format": "date-time"},
}
_ERROR_HEAD_PROPERTIES: dict[str, Any] = {
    "RequestId": {"type": "string", "format": "uuid"},
    "RequestAction": {"type": "string"},
    "ErrorType": {"type": "string", "enum": ["Sender", "Platform"]},
    "ErrorCode": {"type": "string"},
    "ErrorMessage": {"type": "string"},
}


def _object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A closed object whose every property is always present."""
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
        **extra,
    }


def _envelope(kind: str, head: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return _object({kind: _object({"Head": _object(head), "Body": body})})


def _items_list(description: str) -> dict[str, Any]:
    return {"type": "array", "description": description, "items": _ref("GetItemsStatusItem")}


def _request_body(item_ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["Request"],
        "properties": {
            "Request": {
                "type": "object",
                "required": ["Items"],
                "properties": {
                    "Items": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": settings.OMS_API_MAX_ITEMS,
                        "items": {"$ref": item_ref},
                    }
                },
            }
        },
    }


def _parameter(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": name != "IncludeHistory",
        "description": description,
        "schema": {"type": "string", **schema},
    }


@lru_cache(maxsize=1)
def build_schema() -> dict[str, Any]:
    """The OpenAPI 3.0 document as a dict."""
    error_response = _ref("ErrorResponse")
    answers = {
        "200": {
            "description": "Every item taken (applied, a repeat, or a late event kept in "
            "history); for GetItemsStatus, every id known.",
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            _ref("SuccessResponse"),
                            _ref("GetItemsStatusSuccessResponse"),
                        ]
                    }
                }
            },
        },
        "400": {
            "description": 'Some items refused (Head ErrorCode "0", Body lists them by '
            "Position; for GetItemsStatus, Body also holds the Items answered), or the request "
            "refused (E001 to E008, E030).",
            "content": {
                "application/json": {
                    "schema": {"oneOf": [error_response, _ref("GetItemsStatusErrorResponse")]}
                }
            },
        },
        **{
            code: {"description": text, "content": {"application/json": {"schema": error_response}}}
            for code, text in {
                "401": "E007: signature mismatch; or staging basic auth missing "
                "(WWW-Authenticate).",
                "403": "E009: Access Denied (unknown or inactive ServiceName, IP not whitelisted).",
                "405": "Only POST.",
                "410": "The legacy /oms endpoint.",
                "413": "E011: more than the maximum items, or a body over the size limit.",
                "429": "E429: too many requests for this ServiceName (Retry-After).",
                "500": "E1000: internal error (ErrorType Platform): resend later.",
                "503": "E1000: a dependency is down (ErrorType Platform): resend later.",
            }.items()
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Seller Center OMS API",
            "version": VERSION,
            "description": "The push API a Venture OMS calls to change order items' status and "
            "status detail, and to read back what Seller Center holds.\n\n" + SIGNING,
        },
        "paths": {
            "/oms-api/": {
                "post": {
                    "operationId": "omsApi",
                    "summary": "UpdateItemsStatus, UpdateItemsInformation or GetItemsStatus",
                    "description": SIGNING,
                    "security": [{"signature": []}],
                    "parameters": [
                        _parameter(
                            "Action",
                            "The action. UpdateItemStatus and UpdateItemInformation are older "
                            "spellings of the same actions.",
                            enum=sorted(ACTIONS),
                        ),
                        _parameter("ServiceName", "The calling system's name, e.g. OMS."),
                        _parameter(
                            "Timestamp", "ISO 8601 with offset, e.g. 2026-11-27T10:58:09+00:00."
                        ),
                        _parameter("Version", "Always 1.0.", enum=[VERSION]),
                        _parameter(
                            "Signature",
                            "Lowercase hex HMAC-SHA256 (see the description).",
                            pattern="^[0-9a-f]{64}$",
                        ),
                        _parameter(
                            "IncludeHistory",
                            "GetItemsStatus only: 1 adds each item's History.",
                            enum=["0", "1"],
                        ),
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        _request_body("#/components/schemas/StatusItem"),
                                        _request_body("#/components/schemas/InformationItem"),
                                        _request_body("#/components/schemas/GetItem"),
                                    ]
                                }
                            }
                        },
                    },
                    "responses": answers,
                }
            }
        },
        "components": {
            "securitySchemes": {
                "signature": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "Signature",
                    "description": SIGNING,
                }
            },
            "schemas": {
                "StatusItem": {
                    "type": "object",
                    "required": ["id_sales_order_item", "item_status"],
                    "additionalProperties": False,
                    "properties": _STATUS_ITEM_PROPERTIES,
                },
                "InformationItem": {
                    "type": "object",
                    "required": ["id_sales_order_item", "status_detail"],
                    "additionalProperties": False,
                    "properties": _INFORMATION_ITEM_PROPERTIES,
                },
                "GetItem": {
                    "type": "object",
                    "required": ["id_sales_order_item"],
                    "additionalProperties": False,
                    "properties": {"id_sales_order_item": _ID},
                },
                "SuccessResponse": _envelope(
                    "SuccessResponse",
                    {
                        **_SUCCESS_HEAD_PROPERTIES,
                        "RequestAction": {
                            "type": "string",
                            "enum": [UPDATE_ITEMS_STATUS, UPDATE_ITEMS_INFORMATION],
                        },
                        "ResponseType": {"type": "string", "enum": [""]},
                    },
                    {"type": "array", "maxItems": 0, "description": "Always [] for updates."},
                ),
                "GetItemsStatusSuccessResponse": _envelope(
                    "SuccessResponse",
                    {
                        **_SUCCESS_HEAD_PROPERTIES,
                        "RequestAction": {"type": "string", "enum": [GET_ITEMS_STATUS]},
                        "ResponseType": {"type": "string", "enum": ["Items"]},
                    },
                    _object({"Items": _items_list("Every item asked for, in request order.")}),
                ),
                "GetItemsStatusItem": {
                    "type": "object",
                    "description": "What Seller Center holds for one order item.",
                    "required": list(_ITEM_STATE_PROPERTIES),
                    "additionalProperties": False,
                    "properties": {
                        **_ITEM_STATE_PROPERTIES,
                        "History": {
                            "type": "array",
                            "description": "With IncludeHistory=1 only: the item's events, "
                            "oldest first (by status_event_time, then received_at).",
                            "items": _ref("GetItemsStatusEvent"),
                        },
                    },
                },
                "GetItemsStatusEvent": _object(
                    _ITEM_EVENT_PROPERTIES, description="One event of an item's history."
                ),
                "ItemError": _object(
                    {
                        "ErrorCode": {
                            "type": "integer",
                            "description": "5, 20, 22, 28 or 93 (oms-api.md §6).",
                        },
                        "ErrorMessage": {
                            "type": "string",
                            "description": "Names the item id, the field and what was expected.",
                        },
                        "Position": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "The item's 0-based index in Items.",
                        },
                    },
                    description="One refused item.",
                ),
                "ErrorResponse": _envelope(
                    "ErrorResponse",
                    _ERROR_HEAD_PROPERTIES,
                    {
                        "description": '"" for a refused request; for an update with refused '
                        "items, {<action>: [ItemError, ...]}.",
                        "oneOf": [
                            {"type": "string", "enum": [""]},
                            {
                                "type": "object",
                                "minProperties": 1,
                                "maxProperties": 1,
                                "additionalProperties": False,
                                "properties": {
                                    action: {"type": "array", "items": _ref("ItemError")}
                                    for action in (UPDATE_ITEMS_STATUS, UPDATE_ITEMS_INFORMATION)
                                },
                            },
                        ],
                    },
                ),
                "GetItemsStatusErrorResponse": _envelope(
                    "ErrorResponse",
                    {
                        **_ERROR_HEAD_PROPERTIES,
                        "RequestAction": {"type": "string", "enum": [GET_ITEMS_STATUS]},
                        "ErrorType": {"type": "string", "enum": ["Sender"]},
                        "ErrorCode": {"type": "string", "enum": ["0"]},
                    },
                    _object(
                        {
                            "GetItemsStatus": {
                                "type": "array",
                                "minItems": 1,
                                "description": "The refused ids: E020 for an unknown one, "
                                "E005 for an element that is not a valid item.",
                                "items": _ref("ItemError"),
                            },
                            "Items": _items_list("The known items, in request order."),
                        }
                    ),
                ),
            },
        },
    }


@require_safe
def schema_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        json.dumps(build_schema(), indent=2),
        content_type="application/json",
    )
