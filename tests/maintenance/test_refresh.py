"""The status detail refresh against a real HTTP server playing the OMS (the demo OMS's server
with programmable answers): the apply rules, and every kind of failure changing nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from demo_oms.options import DEMO_OPTIONS, option_list
from demo_oms.server import Answer, OmsServer, error, success
from maintenance.credentials import create_system, issue_key, revoke_key
from maintenance.models import RefreshOutcome, StatusDetailRefresh, SystemCredential
from maintenance.refresh import (
    MAX_RESPONSE_BYTES,
    RefreshFailed,
    refresh_status_details,
    signed_parameters,
)
from maintenance.signing import sign
from orders.models import StatusDetailOption
from tests.conftest import at


def options_table() -> list[tuple[str, str, str, bool, str]]:
    return list(
        StatusDetailOption.objects.order_by("status", "key").values_list(
            "status", "key", "label", "active", "published_by"
        )
    )


def publish(oms: OmsServer, entries: list[dict]) -> None:
    oms.responder = lambda parameters: oms.check(parameters) or success(entries)


def option(status: str, key: str, label: str) -> dict[str, str]:
    return {"status": status, "key": key, "label": label}


# --- the happy path and the apply rules ---------------------------------------------------------


def test_first_refresh_takes_every_published_option(system, oms):
    # given the demo OMS publishing the options of the feature description
    # when Seller Center refreshes
    refresh = refresh_status_details(credential=system, trigger="command")

    # then every option is stored, active, published by the system, and the refresh recorded
    assert sorted(options_table()) == sorted(
        (status, key, label, True, "OMS") for status, key, label in DEMO_OPTIONS
    )
    assert (refresh.outcome, refresh.added, refresh.changed, refresh.deactivated) == (
        RefreshOutcome.SUCCEEDED,
        12,
        0,
        0,
    )
    assert (refresh.trigger, refresh.error) == ("command", "")
    assert refresh.finished_at >= refresh.started_at


def test_request_is_the_signed_get_of_the_contract(system, oms):
    # when
    refresh_status_details(credential=system)

    # then the one request carries the contract's parameters, signed with the system's key
    [parameters] = oms.requests
    assert sorted(parameters) == ["Action", "ServiceName", "Signature", "Timestamp", "Version"]
    assert parameters["Action"] == "getStatusDetailOptionList"
    assert parameters["ServiceName"] == "SellerCenter"
    assert parameters["Version"] == "1.0"
    sent = datetime.fromisoformat(parameters["Timestamp"])
    assert sent.utcoffset() == timedelta(0)
    assert abs((datetime.now(UTC) - sent).total_seconds()) < 60
    assert parameters["Signature"] == sign(parameters, oms.keys["key"])


def test_signed_parameters_follow_the_worked_example_of_the_contract():
    # given the worked example's key and time (oms-api.md §3 signs the same way both ways)
    parameters = signed_parameters(key="secret", now=at("2015-11-12 11:32:57"))

    # then the timestamp is ISO 8601 with offset and the signature is the HMAC of the rest
    assert parameters["Timestamp"] == "2015-11-12T11:32:57+00:00"
    assert parameters["Signature"] == sign(
        {k: v for k, v in parameters.items() if k != "Signature"}, "secret"
    )


def test_newest_active_key_signs(system, oms):
    # given a rotated key: the OMS knows only the newest one
    newer = issue_key(credential=system)
    oms.keys["key"] = newer.secret

    # when
    refresh = refresh_status_details(credential=system)

    # then
    assert refresh.outcome == RefreshOutcome.SUCCEEDED


def test_label_change_is_taken_over_and_unlisted_option_deactivated_never_deleted(system, oms):
    # given a first refresh
    publish(
        oms,
        [
            option("returned", "initiated", "Initiated"),
            option("returned", "return_refused", "Return Refused"),
        ],
    )
    refresh_status_details(credential=system)
    first_seen = StatusDetailOption.objects.get(key="initiated").first_seen_at

    # when the OMS renames one option and drops the other
    publish(oms, [option("returned", "initiated", "Return initiated")])
    refresh = refresh_status_details(credential=system)

    # then the label is taken over, the dropped option stays stored but inactive
    assert options_table() == [
        ("returned", "initiated", "Return initiated", True, "OMS"),
        ("returned", "return_refused", "Return Refused", False, "OMS"),
    ]
    assert (refresh.added, refresh.changed, refresh.deactivated) == (0, 1, 1)
    kept = StatusDetailOption.objects.get(key="initiated")
    assert kept.first_seen_at == first_seen
    assert kept.last_seen_at > first_seen


def test_relisted_option_is_reactivated(system, oms):
    # given an option the OMS dropped
    publish(oms, [option("returned", "initiated", "Initiated"), option("shipped", "at_hub", "At")])
    refresh_status_details(credential=system)
    publish(oms, [option("returned", "initiated", "Initiated")])
    refresh_status_details(credential=system)
    old_pk = StatusDetailOption.objects.get(key="at_hub").pk

    # when it lists it again
    publish(oms, [option("returned", "initiated", "Initiated"), option("shipped", "at_hub", "At")])
    refresh = refresh_status_details(credential=system)

    # then the same row is active again
    assert StatusDetailOption.objects.get(key="at_hub").pk == old_pk
    assert ("shipped", "at_hub", "At", True, "OMS") in options_table()
    assert (refresh.added, refresh.changed, refresh.deactivated) == (0, 1, 0)


def test_unchanged_list_changes_nothing_but_last_seen(system, oms):
    # given
    refresh_status_details(credential=system)

    # when the same list comes again
    refresh = refresh_status_details(credential=system)

    # then: idempotent
    assert (refresh.added, refresh.changed, refresh.deactivated) == (0, 0, 0)
    assert StatusDetailOption.objects.count() == 12


def test_options_of_other_systems_are_left_alone(system, oms, detail_options):
    # given options another system ("OMS" in the fixture) published; this one is "OMS2"
    other = create_system(service_name="OMS2", networks=["10.0.0.1"], oms_url=oms.url)
    oms.keys["key"] = other.secret
    publish(oms, [option("delivered", "left_at_door", "Left at the door")])

    # when OMS2 refreshes with a list that does not name them
    refresh = refresh_status_details(credential=other.api_key.credential)

    # then OMS's options stay active, OMS2's own option is added
    assert (refresh.added, refresh.changed, refresh.deactivated) == (1, 0, 0)
    assert StatusDetailOption.objects.filter(active=True, published_by="OMS").count() == 12
    assert StatusDetailOption.objects.get(key="left_at_door").published_by == "OMS2"


def test_option_listed_by_a_second_system_moves_to_it(system, oms, detail_options):
    # given "at_hub" published by OMS; OMS2 lists it too
    other = create_system(service_name="OMS2", networks=["10.0.0.1"], oms_url=oms.url)
    oms.keys["key"] = other.secret
    publish(oms, [option("shipped", "at_hub", "At hub")])

    # when
    refresh_status_details(credential=other.api_key.credential)

    # then the option remembers the system that last published it
    assert StatusDetailOption.objects.get(key="at_hub").published_by == "OMS2"


def test_apply_takes_a_constant_number_of_queries(system, oms, django_assert_num_queries):
    # given a big list
    entries = [option("returned", f"step_{n}", f"Step {n}") for n in range(100)]
    publish(oms, entries)

    # then: load the key, lock the options, insert them, record the refresh: no query per option
    # (savepoint and release count on top)
    with django_assert_num_queries(6):
        refresh_status_details(credential=system)
    assert StatusDetailOption.objects.count() == 100


# --- failures: nothing changes, the reason is recorded ------------------------------------------


def bad_answers(oms_url: str) -> list[tuple[str, Answer, str]]:
    return [
        ("http 500", Answer(500, b"oops"), "the OMS answered HTTP 500"),
        (
            "error response",
            error(401, 7, "E007: Login failed. Signature mismatching"),
            "the OMS answered HTTP 401: E007: Login failed. Signature mismatching",
        ),
        ("not json", Answer(200, b"<html>hello</html>"), "the OMS's answer is not JSON"),
        ("json list", Answer(200, []), "the OMS's answer has no SuccessResponse object"),
        (
            "no body",
            Answer(200, {"SuccessResponse": {"Head": {}}}),
            "the OMS's answer has no SuccessResponse.Body object",
        ),
        (
            "no options",
            Answer(200, {"SuccessResponse": {"Head": {}, "Body": {"Options": []}}}),
            "the OMS's answer has no SuccessResponse.Body.StatusDetailOptions list",
        ),
        (
            "empty list",
            success([]),
            "the OMS published an empty list of status details; the last good list is kept",
        ),
        ("not an object", success(["returned"]), "StatusDetailOptions[0] is not an object"),
        (
            "missing label",
            success([{"status": "returned", "key": "initiated"}]),
            "StatusDetailOptions[0] has no label",
        ),
        (
            "number key",
            success([{"status": "returned", "key": 7, "label": "Seven"}]),
            "StatusDetailOptions[0].key is not a string",
        ),
        (
            "unknown field",
            success([{"status": "returned", "key": "a", "label": "A", "colour": "red"}]),
            "StatusDetailOptions[0] has a field that is not in the contract: colour",
        ),
        (
            "unknown status",
            success([option("lost", "a", "A")]),
            'StatusDetailOptions[0].status "lost" is not a status; expected one of: pending',
        ),
        (
            "empty key",
            success([option("returned", " ", "A")]),
            "StatusDetailOptions[0].key is empty",
        ),
        (
            "blank label",
            success([option("returned", "a", "  ")]),
            "StatusDetailOptions[0].label is empty",
        ),
        (
            "key too long",
            success([option("returned", "k" * 101, "A")]),
            "StatusDetailOptions[0].key is 101 characters long; at most 100 are allowed",
        ),
        (
            "label too long",
            success([option("returned", "a", "L" * 201)]),
            "StatusDetailOptions[0].label is 201 characters long; at most 200 are allowed",
        ),
        (
            "duplicate key",
            success([option("returned", "a", "A"), option("returned", "a", "Again")]),
            'StatusDetailOptions[1] repeats the key "a" of status "returned"',
        ),
        (
            "redirect",
            Answer(302, b"", {"Location": oms_url + "elsewhere"}),
            f"the OMS answered with a redirect (HTTP 302 to {oms_url}elsewhere); "
            "redirects are not followed",
        ),
        (
            "too big",
            success(option_list() + [option("returned", f"k{n}", "x" * 190) for n in range(6000)]),
            "the OMS's answer is larger than 1024 KiB",
        ),
    ]


@pytest.mark.parametrize("case", range(19))
def test_bad_answer_changes_nothing_and_is_recorded(system, oms, case):
    # given a good mapping from an earlier refresh
    refresh_status_details(credential=system)
    before = options_table()
    name, answer, reason = bad_answers(oms.url)[case]
    oms.responder = lambda parameters: answer

    # when the OMS answers badly
    with pytest.raises(RefreshFailed) as failure:
        refresh_status_details(credential=system, trigger="schedule")

    # then the last good mapping stays, and the failure is recorded with its reason
    assert options_table() == before, name
    assert failure.value.reason.startswith(reason), failure.value.reason
    assert failure.value.retry is True
    recorded = StatusDetailRefresh.objects.order_by("-id").first()
    assert failure.value.refresh == recorded
    assert (recorded.outcome, recorded.error, recorded.trigger) == (
        RefreshOutcome.FAILED,
        failure.value.reason,
        "schedule",
    )
    assert (recorded.added, recorded.changed, recorded.deactivated) == (0, 0, 0)
    assert StatusDetailRefresh.objects.filter(outcome=RefreshOutcome.SUCCEEDED).count() == 1


def test_bad_answer_cases_are_all_tested():
    assert len(bad_answers("http://x/")) == 19


def test_size_limit_holds_for_an_answer_without_declared_length(system, oms):
    # given an answer over the limit that declares no length (read until the connection ends)
    body = b'{"SuccessResponse": {"Head": {}, "Body": {"StatusDetailOptions": ['
    body += b" " * MAX_RESPONSE_BYTES + b"]}}}"
    oms.responder = lambda parameters: Answer(200, body, declare_length=False)

    # when / then: reading stops at the limit
    with pytest.raises(RefreshFailed) as failure:
        refresh_status_details(credential=system)
    assert failure.value.reason == "the OMS's answer is larger than 1024 KiB"
    assert StatusDetailOption.objects.count() == 0


@override_settings(STATUS_DETAIL_REFRESH_SECONDS=3)
def test_slow_oms_times_out_and_changes_nothing(system, oms):
    # given a good mapping; an OMS that answers after the read timeout (1 s at this interval)
    refresh_status_details(credential=system)
    before = options_table()
    oms.responder = lambda parameters: Answer(200, success([]).body, delay=2.5)

    # when / then
    with pytest.raises(RefreshFailed) as failure:
        refresh_status_details(credential=system)
    assert failure.value.reason == "the OMS did not answer within 1 s"
    assert options_table() == before
    assert StatusDetailRefresh.objects.filter(outcome=RefreshOutcome.FAILED).count() == 1


def test_oms_down_changes_nothing(system, oms):
    # given a good mapping, then the OMS goes away
    refresh_status_details(credential=system)
    before = options_table()
    oms.stop()

    # when / then
    with pytest.raises(RefreshFailed) as failure:
        refresh_status_details(credential=system)
    assert failure.value.reason.startswith("the OMS cannot be reached (")
    assert options_table() == before


def test_system_without_active_key_fails_without_retry(system, oms):
    # given every key revoked
    for api_key in system.api_keys.all():
        revoke_key(api_key=api_key)

    # when / then: nothing was sent, and retrying would not help
    with pytest.raises(RefreshFailed) as failure:
        refresh_status_details(credential=system)
    assert failure.value.reason == ("the system OMS has no active API key to sign the request with")
    assert failure.value.retry is False
    assert oms.requests == []
    assert StatusDetailOption.objects.count() == 0


def test_system_without_oms_url_fails_without_retry(system, oms):
    # given
    SystemCredential.objects.filter(pk=system.pk).update(oms_url="")
    system.refresh_from_db()

    # when / then
    with pytest.raises(RefreshFailed) as failure:
        refresh_status_details(credential=system)
    assert failure.value.reason == ("the system OMS has no OMS URL to fetch status details from")
    assert failure.value.retry is False
    assert oms.requests == []


def test_wrong_key_is_refused_by_the_oms_and_changes_nothing(system, oms):
    # given the OMS holding another key than Seller Center
    oms.keys["key"] = "not-the-shared-key"

    # when / then
    with pytest.raises(RefreshFailed) as failure:
        refresh_status_details(credential=system)
    assert failure.value.reason == (
        "the OMS answered HTTP 401: E007: Login failed. Signature mismatching"
    )
    assert StatusDetailOption.objects.count() == 0


# --- the command ---------------------------------------------------------------------------------


def test_command_prints_the_outcome(system, oms):
    # given
    out = io.StringIO()

    # when
    call_command("refresh_status_details", stdout=out)

    # then
    assert out.getvalue() == "OMS: 12 added, 0 changed, 0 deactivated\n"
    assert StatusDetailRefresh.objects.get().trigger == "command"


def test_command_reports_why_it_failed_and_exits_non_zero(system, oms):
    # given
    oms.responder = lambda parameters: Answer(503, b"maintenance")
    out = io.StringIO()

    # when / then
    with pytest.raises(CommandError, match="^1 of 1 refreshes failed$"):
        call_command("refresh_status_details", "--service", "OMS", stdout=out)
    assert out.getvalue() == "OMS: failed: the OMS answered HTTP 503\n"
    assert StatusDetailOption.objects.count() == 0


def test_command_refuses_an_unknown_service(system, oms):
    with pytest.raises(CommandError, match="^no system named 'NOPE'$"):
        call_command("refresh_status_details", "--service", "NOPE", stdout=io.StringIO())
    assert StatusDetailRefresh.objects.count() == 0
    assert oms.requests == []


def test_command_skips_systems_without_oms_url(db, oms):
    # given a system with no OMS URL only
    create_system(service_name="PLAIN", networks=["127.0.0.1"])
    out = io.StringIO()

    # when
    call_command("refresh_status_details", stdout=out)

    # then
    assert out.getvalue() == "no active system has an OMS URL: nothing to refresh\n"
    assert StatusDetailRefresh.objects.count() == 0
