"""oms-api.md §3 through the HTTP stack: every check, in order, with the request log's reason."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from maintenance.config import TIMESTAMP_SKEW_SECONDS
from maintenance.credentials import create_system, issue_key, revoke_key
from maintenance.models import ApiKey, ConfigurationParameter, RequestOutcome
from maintenance.signing import sign, string_to_sign
from omsapi.client import signed_parameters
from orders.models import ItemHistory, OrderItem
from tests.omsapi.conftest import OMS_IP, last_log, shipped

pytestmark = pytest.mark.django_db


def assert_refused(answer, *, status: int, code: str, message: str, action="UpdateItemsStatus"):
    assert answer.status == status
    assert answer.json == {
        "ErrorResponse": {
            "Head": {
                "RequestId": answer.head["RequestId"],
                "RequestAction": action,
                "ErrorType": "Sender",
                "ErrorCode": code,
                "ErrorMessage": message,
            },
            "Body": "",
        }
    }


def assert_untouched(item: OrderItem) -> None:
    item.refresh_from_db()
    assert item.status == "pending"
    assert ItemHistory.objects.count() == 0


def test_the_contracts_worked_signature_example():
    # given the parameters and key of oms-api.md §3
    parameters = {
        "Action": "UpdateItemsStatus",
        "ServiceName": "OMS",
        "Timestamp": "2015-11-12T12:32:57+01:00",
        "Version": "1.0",
    }
    # then the string to sign and the signature are the published ones
    assert string_to_sign(parameters) == (
        "Action=UpdateItemsStatus&ServiceName=OMS&Timestamp=2015-11-12T12%3A32%3A57%2B01%3A00"
        "&Version=1.0"
    )
    assert sign(parameters, "secret") == (
        "b1a07197fc3f8148758a72741bc0538f6d75405a20530223657d98865feb8d81"
    )


def test_a_signed_request_from_a_whitelisted_ip_is_let_in(call, make_items, oms):
    (item,) = make_items(1, first_id=11)
    answer = call(items=[shipped(11)])
    assert answer.status == 200
    assert answer.json == {
        "SuccessResponse": {
            "Head": {
                "RequestId": answer.head["RequestId"],
                "RequestAction": "UpdateItemsStatus",
                "ResponseType": "",
                "Timestamp": answer.head["Timestamp"],
            },
            "Body": [],
        }
    }
    item.refresh_from_db()
    assert item.status == "shipped"
    log = last_log()
    assert str(log.request_id) == answer.head["RequestId"]
    assert (log.service_name, log.client_ip, log.action, log.http_status) == (
        "OMS",
        OMS_IP,
        "UpdateItemsStatus",
        200,
    )
    assert (log.outcome, log.error_code, log.items_received, log.items_refused) == (
        RequestOutcome.ACCEPTED,
        "",
        1,
        0,
    )
    assert log.api_key_prefix == oms.prefix
    assert log.reason == "1 applied, 0 late, 0 repeats, 0 refused"
    assert oms.key not in str(log.__dict__)


@pytest.mark.parametrize("missing", ["Action", "ServiceName", "Timestamp", "Version", "Signature"])
def test_each_mandatory_parameter_is_named_when_missing(call, make_items, oms, missing):
    (item,) = make_items(1, first_id=11)
    params = signed_parameters(service_name="OMS", api_key=oms.key, action="UpdateItemsStatus")
    del params[missing]
    answer = call(params=params, items=[shipped(11)])
    assert_refused(
        answer,
        status=400,
        code="1",
        message=f"E001: Parameter {missing} is mandatory",
        action="" if missing == "Action" else "UpdateItemsStatus",
    )
    assert_untouched(item)
    assert last_log().reason == f"URL parameter {missing} is missing"


def test_the_first_missing_parameter_is_named(call, oms):
    answer = call(params={"Version": "1.0"})
    assert answer.head["ErrorMessage"] == "E001: Parameter Action is mandatory"


def test_unknown_service_name_is_access_denied(call, make_items):
    (item,) = make_items(1, first_id=11)
    answer = call(items=[shipped(11)], service="XYZ")
    assert_refused(answer, status=403, code="9", message="E009: Access Denied")
    assert_untouched(item)
    log = last_log()
    assert (log.reason, log.service_name, log.outcome) == (
        "unknown service name 'XYZ'",
        "XYZ",
        RequestOutcome.REFUSED,
    )


def test_inactive_system_is_access_denied(call, make_items, oms):
    (item,) = make_items(1, first_id=11)
    oms.credential.active = False
    oms.credential.save()
    answer = call(items=[shipped(11)])
    assert_refused(answer, status=403, code="9", message="E009: Access Denied")
    assert_untouched(item)
    assert last_log().reason == "system 'OMS' is inactive"


def test_ip_not_whitelisted_is_access_denied_and_the_log_names_the_ip(call, make_items):
    (item,) = make_items(1, first_id=11)
    answer = call(items=[shipped(11)], ip="203.0.113.9")
    assert_refused(answer, status=403, code="9", message="E009: Access Denied")
    assert_untouched(item)
    log = last_log()
    assert log.reason == "IP 203.0.113.9 is not whitelisted for OMS"
    assert log.client_ip == "203.0.113.9"


@pytest.mark.parametrize("ip", ["198.51.100.77", "2001:db8:1::5", "::ffff:203.0.113.10"])
def test_networks_and_ipv6_are_whitelisted(call, make_items, ip):
    make_items(1, first_id=11)
    assert call(items=[shipped(11)], ip=ip).status == 200


def test_untrusted_x_forwarded_for_changes_nothing(call, make_items, settings):
    # given no trusted proxies and a peer that is not whitelisted, claiming a whitelisted client
    settings.TRUSTED_PROXIES = []
    (item,) = make_items(1, first_id=11)
    answer = call(items=[shipped(11)], ip="192.0.2.66", HTTP_X_FORWARDED_FOR=OMS_IP)
    # then the header is ignored: the peer's own address is checked and refused
    assert answer.status == 403
    assert_untouched(item)
    assert last_log().reason == "IP 192.0.2.66 is not whitelisted for OMS"


def test_x_forwarded_for_from_a_peer_outside_the_trusted_proxies_changes_nothing(
    call, make_items, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    (item,) = make_items(1, first_id=11)
    answer = call(items=[shipped(11)], ip="192.0.2.66", HTTP_X_FORWARDED_FOR=OMS_IP)
    assert answer.status == 403
    assert_untouched(item)
    assert last_log().client_ip == "192.0.2.66"


def test_a_trusted_proxy_reports_the_client_ip(call, make_items, settings):
    # given a load balancer network and a second proxy, both trusted
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "172.16.5.4"]
    (item,) = make_items(1, first_id=11)
    # when the chain is forged-client, real client, second proxy; the peer is the first proxy
    answer = call(
        items=[shipped(11)],
        ip="10.1.2.3",
        HTTP_X_FORWARDED_FOR=f"192.0.2.66, {OMS_IP}, 172.16.5.4",
    )
    # then the right-most address no trusted proxy vouches for is the client
    assert answer.status == 200
    assert last_log().client_ip == OMS_IP


def test_a_trusted_proxy_does_not_launder_a_forged_hop(call, make_items, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    (item,) = make_items(1, first_id=11)
    answer = call(items=[shipped(11)], ip="10.1.2.3", HTTP_X_FORWARDED_FOR=f"{OMS_IP}, 192.0.2.66")
    assert answer.status == 403
    assert last_log().reason == "IP 192.0.2.66 is not whitelisted for OMS"
    assert_untouched(item)


def test_wrong_signature_is_refused(call, make_items):
    (item,) = make_items(1, first_id=11)
    answer = call(items=[shipped(11)], key="not-the-key")
    assert_refused(
        answer, status=401, code="7", message="E007: Login failed. Signature mismatching"
    )
    assert_untouched(item)
    assert last_log().reason == "signature does not match any active key of OMS"
    assert last_log().api_key_prefix == ""


def test_a_tampered_parameter_breaks_the_signature(call, make_items, oms):
    (item,) = make_items(1, first_id=11)
    params = signed_parameters(service_name="OMS", api_key=oms.key, action="GetItemsStatus")
    params["Action"] = "UpdateItemsStatus"
    answer = call(params=params, items=[shipped(11)])
    assert answer.status == 401
    assert_untouched(item)


def test_key_rotation_two_active_keys_both_work_then_the_old_one_is_revoked(call, make_items, oms):
    make_items(2, first_id=11)
    second = issue_key(credential=oms.credential)
    # both keys sign valid requests while both are active
    assert call(items=[shipped(11)], key=oms.key).status == 200
    assert last_log().api_key_prefix == oms.prefix
    assert call(items=[shipped(12)], key=second.secret).status == 200
    assert last_log().api_key_prefix == second.api_key.prefix
    # once the old one is revoked, it no longer does
    revoke_key(api_key=ApiKey.objects.get(prefix=oms.prefix))
    answer = call(items=[shipped(11, tracking_code="X1")], key=oms.key)
    assert answer.status == 401
    assert OrderItem.objects.get(id_sales_order_item=11).tracking_code == "389292777"
    assert call(items=[shipped(11, tracking_code="X1")], key=second.secret).status == 200


def test_another_systems_key_does_not_sign_for_this_system(call, make_items, oms):
    (item,) = make_items(1, first_id=11)
    other = create_system(service_name="OMS2", networks=[OMS_IP])
    answer = call(items=[shipped(11)], key=other.secret, service="OMS")
    assert answer.status == 401
    assert_untouched(item)


def test_keys_are_encrypted_at_rest(oms):
    row = ApiKey.objects.get(prefix=oms.prefix)
    assert oms.key not in row.encrypted_key
    assert row.encrypted_key.startswith("gAAAA")  # a Fernet token


def test_wrong_version_is_refused_after_the_signature(call, make_items, oms):
    (item,) = make_items(1, first_id=11)
    params = signed_parameters(service_name="OMS", api_key=oms.key, action="UpdateItemsStatus") | {
        "Version": "2.0"
    }
    params["Signature"] = sign(params, oms.key)
    answer = call(params=params, items=[shipped(11)])
    assert_refused(answer, status=400, code="2", message="E002: Invalid Version")
    assert_untouched(item)
    assert last_log().api_key_prefix == oms.prefix


@pytest.mark.parametrize("shift", [-412, 412])
def test_a_timestamp_outside_the_skew_has_expired(call, make_items, shift):
    (item,) = make_items(1, first_id=11)
    when = (timezone.now() + timedelta(seconds=shift)).astimezone(UTC).replace(microsecond=0)
    answer = call(items=[shipped(11)], now=when)
    assert_refused(answer, status=400, code="3", message="E003: Timestamp has expired")
    assert_untouched(item)
    log = last_log()
    age = (log.created_at - when).total_seconds()
    words = f"{int(age)} s old" if age > 0 else f"{int(-age)} s in the future"
    assert log.reason == f"timestamp {when.isoformat()} is {words}; allowed skew is 300 s"


def test_the_skew_is_a_configuration_parameter(call, make_items):
    make_items(1, first_id=11)
    ConfigurationParameter.objects.create(name=TIMESTAMP_SKEW_SECONDS, value="900")
    answer = call(items=[shipped(11)], now=timezone.now() - timedelta(seconds=600))
    assert answer.status == 200


@pytest.mark.parametrize("stamp", ["yesterday", "2026-11-27T10:58:09", "2026-13-01T00:00:00+00:00"])
def test_an_unreadable_timestamp_is_refused(call, make_items, oms, stamp):
    (item,) = make_items(1, first_id=11)
    params = {"Action": "UpdateItemsStatus", "ServiceName": "OMS", "Timestamp": stamp}
    params |= {"Version": "1.0"}
    params["Signature"] = sign(params, oms.key)
    answer = call(params=params, items=[shipped(11)])
    assert_refused(answer, status=400, code="4", message="E004: Invalid Timestamp format")
    assert_untouched(item)


def test_an_unknown_action_is_refused(call, make_items):
    (item,) = make_items(1, first_id=11)
    answer = call("DeleteEverything", items=[shipped(11)])
    assert_refused(
        answer, status=400, code="8", message="E008: Invalid Action", action="DeleteEverything"
    )
    assert_untouched(item)


def test_the_singular_spelling_names_the_same_action(call, make_items):
    make_items(1, first_id=11)
    answer = call("UpdateItemStatus", items=[shipped(11)])
    assert answer.status == 200
    assert answer.head["RequestAction"] == "UpdateItemsStatus"


def _basic(user_password: str) -> str:
    return "Basic " + base64.b64encode(user_password.encode()).decode()


def test_staging_basic_auth_is_checked_first(call, make_items, settings):
    settings.STAGING_BASIC_AUTH = "staging:s3cret"
    (item,) = make_items(1, first_id=11)
    # without it, even a fully signed request is refused, with WWW-Authenticate
    for header in ({}, {"HTTP_AUTHORIZATION": _basic("staging:wrong")}):
        answer = call(items=[shipped(11)], **header)
        assert answer.status == 401
        assert answer.headers["WWW-Authenticate"].startswith("Basic realm=")
        assert answer.head["ErrorCode"] == "9"
    assert_untouched(item)
    # with it, the request goes on to the other checks
    answer = call(items=[shipped(11)], HTTP_AUTHORIZATION=_basic("staging:s3cret"))
    assert answer.status == 200


def test_staging_basic_auth_comes_before_missing_parameters(call, settings):
    settings.STAGING_BASIC_AUTH = "staging:s3cret"
    answer = call(params={})
    assert answer.status == 401
    assert last_log().reason == "staging basic auth is required and was not sent"


def test_no_basic_auth_needed_where_it_is_off(call, make_items, settings):
    settings.STAGING_BASIC_AUTH = None
    make_items(1, first_id=11)
    assert call(items=[shipped(11)]).status == 200


def test_a_parameter_given_twice_is_refused(oms, make_items, client):
    (item,) = make_items(1, first_id=11)
    params = signed_parameters(service_name="OMS", api_key=oms.key, action="UpdateItemsStatus")
    query = "&".join(f"{k}={v}" for k, v in params.items()).replace("+", "%2B")
    response = client.post(
        f"/oms-api/?{query}&Action=GetItemsStatus",
        data=b'{"Request": {"Items": []}}',
        content_type="application/json",
        REMOTE_ADDR=OMS_IP,
    )
    assert response.status_code == 400
    assert response.json()["ErrorResponse"]["Head"]["ErrorCode"] == "5"
    assert_untouched(item)


def test_now_is_a_helper_value():
    # guards the tests above against a clock in naive time
    assert datetime.now(UTC).tzinfo is UTC
