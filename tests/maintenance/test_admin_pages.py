"""The request log, configuration parameters and the status detail mapping through the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from maintenance.config import (
    IMPORT_STATUS_DETAILS,
    PARAMETERS,
    TIMESTAMP_SKEW_SECONDS,
    get_parameter,
)
from maintenance.models import (
    ConfigurationParameter,
    RefreshOutcome,
    RequestLog,
    RequestOutcome,
    StatusDetailRefresh,
)
from maintenance.refresh import queued_mark
from tests.maintenance import test_admin_helpers as helpers
from tests.maintenance.test_admin_helpers import log_request

desk_user = helpers.desk_user
desk_client = helpers.desk_client
system = helpers.system

LOG_URL = reverse("admin:maintenance_requestlog_changelist")
CONFIG_URL = reverse("admin:maintenance_configurationparameter_changelist")
MAPPING_URL = reverse("admin:maintenance_statusdetailmapping_changelist")
REFRESHES_URL = reverse("admin:maintenance_statusdetailrefresh_changelist")
REFRESH_NOW_URL = reverse("admin:maintenance_statusdetailrefresh_refresh_now")


def shown(response) -> list:
    return list(response.context["cl"].result_list)


# --- Request log ---------------------------------------------------------------------------------


@pytest.fixture
def three_requests(db) -> dict[str, RequestLog]:
    now = timezone.now()
    return {
        "accepted": log_request(created_at=now - timedelta(minutes=1), items_received=2),
        "refused": log_request(
            created_at=now - timedelta(minutes=2),
            client_ip="203.0.113.9",
            http_status=403,
            error_code="E009",
            outcome=RequestOutcome.REFUSED,
            reason="IP 203.0.113.9 is not whitelisted for OMS",
        ),
        "partial": log_request(
            created_at=now - timedelta(days=3),
            service_name="OMS-2",
            client_ip="2001:db8::7",
            action="UpdateItemsInformation",
            http_status=400,
            outcome=RequestOutcome.PARTIAL,
            items_received=3,
            items_refused=2,
            item_errors=[
                {
                    "ErrorCode": 20,
                    "ErrorMessage": 'E020: "999" Invalid Order Item ID',
                    "Position": 0,
                },
                {
                    "ErrorCode": 28,
                    "ErrorMessage": "E028: It is not possible to set the order item to the "
                    'status "returned" (it is "pending") for Order Item with id: 100411',
                    "Position": 2,
                },
            ],
        ),
    }


def test_a_refused_requests_reason_is_a_column_of_the_log(desk_client, three_requests):
    # given an accepted, a refused and a partly refused request
    # when the desk opens the request log
    response = desk_client.get(LOG_URL)

    # then all are listed newest first, the refusal with its reason in plain words
    assert response.status_code == 200
    assert [row.pk for row in shown(response)] == [
        three_requests["accepted"].pk,
        three_requests["refused"].pk,
        three_requests["partial"].pk,
    ]
    page = response.content.decode()
    assert '<td class="field-reason_in_words">IP 203.0.113.9 is not whitelisted for OMS</td>' in (
        page
    )
    assert "answers “why do I receive access denied”" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"outcome": "refused"}, ["refused"]),
        ({"outcome": "partial"}, ["partial"]),
        ({"service_name": "OMS-2"}, ["partial"]),
        ({"action": "UpdateItemsInformation"}, ["partial"]),
        ({"q": "203.0.113.9"}, ["refused"]),
        ({"q": "2001:db8::7"}, ["partial"]),
        ({"q": "203.0.113."}, ["accepted", "refused"]),
        ({"q": "not an ip"}, []),
        ({"q": "300.1.1.1"}, []),
    ],
)
def test_the_log_filters_by_outcome_service_action_and_searches_by_ip(
    desk_client, three_requests, query, expected
):
    # given three requests
    # when the desk filters or searches
    response = desk_client.get(LOG_URL, query)

    # then exactly the matching ones are shown
    assert response.status_code == 200
    names = {row.pk: name for name, row in three_requests.items()}
    assert [names[row.pk] for row in shown(response)] == expected


def test_the_log_searches_by_request_id_and_filters_by_date(desk_client, three_requests):
    # given three requests, one three days old
    partial = three_requests["partial"]
    day = timezone.localtime(three_requests["accepted"].created_at).date()

    # when searched by the partial request's id, and narrowed to the newest one's day
    by_id = desk_client.get(LOG_URL, {"q": str(partial.request_id)})
    on_day = desk_client.get(
        LOG_URL,
        {"created_at__year": day.year, "created_at__month": day.month, "created_at__day": day.day},
    )

    # then the search finds that one, the day the requests of that day
    assert [row.pk for row in shown(by_id)] == [partial.pk]
    expected = [
        row.pk
        for row in three_requests.values()
        if timezone.localtime(row.created_at).date() == day
    ]
    assert sorted(row.pk for row in shown(on_day)) == sorted(expected)
    assert partial.pk not in expected


def test_the_detail_of_a_refused_request_lists_its_item_errors(desk_client, three_requests):
    # given a request with two refused items
    partial = three_requests["partial"]

    # when the desk opens it
    response = desk_client.get(reverse("admin:maintenance_requestlog_change", args=[partial.pk]))

    # then each refused item is a row of a table: position, code, message; nothing is editable
    assert response.status_code == 200
    page = response.content.decode()
    assert "<tr><td>0</td><td>20</td><td>E020: &quot;999&quot; Invalid Order Item ID</td></tr>" in (
        page
    )
    assert "<tr><td>2</td><td>28</td><td>E028: It is not possible" in page
    assert 'name="_save"' not in page


def test_the_log_cannot_be_changed_or_deleted(desk_client, three_requests):
    # given a refused request
    refused = three_requests["refused"]

    # when the desk tries to change or delete it
    change = desk_client.post(
        reverse("admin:maintenance_requestlog_change", args=[refused.pk]), {"reason": "x"}
    )
    delete = desk_client.post(
        reverse("admin:maintenance_requestlog_delete", args=[refused.pk]), {"post": "yes"}
    )

    # then both are refused and the row is as it was
    assert (change.status_code, delete.status_code) == (403, 403)
    refused.refresh_from_db()
    assert refused.reason == "IP 203.0.113.9 is not whitelisted for OMS"


def test_the_log_list_makes_as_many_queries_for_many_rows_as_for_one(
    desk_client, django_assert_num_queries
):
    # given one request, and the queries its list takes
    log_request(created_at=timezone.now())
    with CaptureQueriesContext(connection) as one:
        desk_client.get(LOG_URL)

    # when there are thirty
    for _ in range(29):
        log_request(created_at=timezone.now(), outcome=RequestOutcome.REFUSED, reason="r")

    # then the list takes as many
    with django_assert_num_queries(len(one.captured_queries)):
        response = desk_client.get(LOG_URL)
    assert len(shown(response)) == 30


# --- Configuration parameters --------------------------------------------------------------------


def config_url(name: str) -> str:
    row = ConfigurationParameter.objects.get(name=name)
    return reverse("admin:maintenance_configurationparameter_change", args=[row.pk])


def test_every_parameter_is_listed_with_its_meaning_and_default(desk_client):
    # given no parameter rows
    assert ConfigurationParameter.objects.count() == 0

    # when the desk opens the list
    response = desk_client.get(CONFIG_URL)

    # then every parameter is there, at its default, with its meaning
    assert response.status_code == 200
    page = response.content.decode()
    values = {row.name: row.value for row in shown(response)}
    assert values == {
        name: parameter.render(parameter.default) for name, parameter in PARAMETERS.items()
    }
    for parameter in PARAMETERS.values():
        assert escape(parameter.label) in page
        assert escape(parameter.meaning) in page
    assert set(PARAMETERS) >= {
        IMPORT_STATUS_DETAILS,
        TIMESTAMP_SKEW_SECONDS,
        "request_log_retention_days",
    }


def test_a_changed_parameter_takes_effect_at_once_and_is_logged(desk_client):
    # given the parameters listed, status details imported (the default)
    desk_client.get(CONFIG_URL)
    assert get_parameter(IMPORT_STATUS_DETAILS) is True

    # when the desk turns the import off and sets the skew to 120 seconds
    off = desk_client.post(config_url(IMPORT_STATUS_DETAILS), {"value": "off"})
    skew = desk_client.post(config_url(TIMESTAMP_SKEW_SECONDS), {"value": " 120 "})

    # then both take effect for the next read, without a restart, and are in the admin log
    assert (off.status_code, skew.status_code) == (302, 302)
    assert get_parameter(IMPORT_STATUS_DETAILS) is False
    assert get_parameter(TIMESTAMP_SKEW_SECONDS) == 120
    assert ConfigurationParameter.objects.get(name=TIMESTAMP_SKEW_SECONDS).value == "120"
    assert LogEntry.objects.filter(action_flag=2).count() == 2


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            TIMESTAMP_SKEW_SECONDS,
            "five",
            "Allowed timestamp skew (seconds): enter a whole number, not 'five'.",
        ),
        (TIMESTAMP_SKEW_SECONDS, "0", "Allowed timestamp skew (seconds): must be at least 1."),
        (
            TIMESTAMP_SKEW_SECONDS,
            "86401",
            "Allowed timestamp skew (seconds): must be at most 86400.",
        ),
        (
            IMPORT_STATUS_DETAILS,
            "maybe",
            "Import detailed order statuses from OMS: enter on or off, not 'maybe'.",
        ),
    ],
)
def test_a_bad_parameter_value_is_refused_and_nothing_changes(desk_client, name, value, message):
    # given the parameters at their defaults
    desk_client.get(CONFIG_URL)
    before = get_parameter(name)

    # when the desk enters a bad value
    response = desk_client.post(config_url(name), {"value": value})

    # then the message names what is wrong and the value is unchanged
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["value"] == [message]
    assert get_parameter(name) == before
    assert LogEntry.objects.count() == 0


def test_parameters_cannot_be_added_or_deleted(desk_client):
    # given the parameters
    desk_client.get(CONFIG_URL)
    row = ConfigurationParameter.objects.get(name=TIMESTAMP_SKEW_SECONDS)

    # when the desk tries to add or delete one
    add = desk_client.get(reverse("admin:maintenance_configurationparameter_add"))
    delete = desk_client.post(
        reverse("admin:maintenance_configurationparameter_delete", args=[row.pk]),
        {"post": "yes"},
    )

    # then both are refused
    assert (add.status_code, delete.status_code) == (403, 403)
    assert ConfigurationParameter.objects.count() == len(PARAMETERS)


# --- Status detail mapping and refreshes ---------------------------------------------------------


def test_the_mapping_lists_active_and_inactive_options_by_status(desk_client, detail_options):
    # given the options of the feature description, one of them no longer published
    dropped = detail_options[("returned", "return_refused")]
    dropped.active = False
    dropped.save(update_fields=["active"])

    # when the desk filters the mapping by status "returned"
    response = desk_client.get(MAPPING_URL, {"status__exact": "returned"})

    # then the seven options are listed, active ones first, the dropped one inactive
    assert response.status_code == 200
    rows = shown(response)
    assert len(rows) == 7
    assert [row.key for row in rows][-1] == "return_refused"
    assert all(row.active for row in rows[:-1]) and rows[-1].active is False
    page = response.content.decode()
    assert "The OMS owns this mapping" in page
    assert "With 3PL on way to Venture" in page


def test_the_mapping_cannot_be_changed(desk_client, detail_options):
    # given an option
    option = detail_options[("shipped", "at_hub")]

    # when the desk tries to change it
    response = desk_client.post(
        reverse("admin:maintenance_statusdetailmapping_change", args=[option.pk]),
        {"label": "Lost"},
    )

    # then it is refused and the label stays
    assert response.status_code == 403
    option.refresh_from_db()
    assert option.label == "At hub"


def test_the_refresh_history_shows_outcomes_and_errors(desk_client, system):
    # given a successful and a failed refresh
    now = timezone.now()
    StatusDetailRefresh.objects.create(
        credential=system,
        started_at=now - timedelta(minutes=10),
        finished_at=now - timedelta(minutes=10),
        outcome=RefreshOutcome.SUCCEEDED,
        added=11,
        changed=1,
        deactivated=2,
        trigger="schedule",
    )
    StatusDetailRefresh.objects.create(
        credential=system,
        started_at=now,
        finished_at=now,
        outcome=RefreshOutcome.FAILED,
        error="the OMS answered HTTP 502",
        trigger="schedule",
    )

    # when the desk opens the history
    response = desk_client.get(REFRESHES_URL)

    # then both are listed, newest first, with their counts and error
    assert response.status_code == 200
    assert [(r.outcome, r.added, r.changed, r.deactivated) for r in shown(response)] == [
        ("failed", 0, 0, 0),
        ("succeeded", 11, 1, 2),
    ]
    assert "the OMS answered HTTP 502" in response.content.decode()


@pytest.fixture
def no_queued_mark(system):
    cache.delete(queued_mark(system.pk))
    yield
    cache.delete(queued_mark(system.pk))


def test_refresh_now_queues_a_refresh_and_says_so(
    desk_client, system, no_queued_mark, django_capture_on_commit_callbacks
):
    # given an active system with an OMS URL
    # when the desk presses "Refresh now" twice
    with django_capture_on_commit_callbacks() as callbacks:
        first = desk_client.post(REFRESH_NOW_URL, {"next": MAPPING_URL}, follow=True)
        second = desk_client.post(REFRESH_NOW_URL, {"next": MAPPING_URL}, follow=True)

    # then one refresh is queued (sent once the transaction commits), and each answer says so
    assert len(callbacks) == 1
    assert first.redirect_chain == [(MAPPING_URL, 302)]
    assert [str(m) for m in first.context["messages"]] == [
        "Refresh of the status details from OMS queued; its outcome will appear in the status "
        "detail refresh history."
    ]
    assert [str(m) for m in second.context["messages"]] == [
        "A refresh from OMS is already queued or running; its outcome will appear in the "
        "status detail refresh history."
    ]


def test_refresh_now_from_a_system_without_oms_url_says_what_to_fix(
    desk_client, system, no_queued_mark, django_capture_on_commit_callbacks
):
    # given a system with no OMS URL
    system.oms_url = ""
    system.save(update_fields=["oms_url"])
    url = reverse("admin:maintenance_systemcredential_refresh", args=[system.pk])

    # when the desk asks for a refresh from its page
    with django_capture_on_commit_callbacks() as callbacks:
        response = desk_client.post(url, follow=True)

    # then nothing is queued and the message says why
    assert callbacks == []
    assert [str(m) for m in response.context["messages"]] == [
        "OMS has no OMS URL, so there is nothing to refresh from: set its OMS URL."
    ]


def test_the_refresh_action_on_the_system_list_queues_the_selected(
    desk_client, system, no_queued_mark, django_capture_on_commit_callbacks
):
    # given the system list
    url = reverse("admin:maintenance_systemcredential_changelist")

    # when the desk runs the refresh action on the system
    with django_capture_on_commit_callbacks() as callbacks:
        response = desk_client.post(
            url,
            {"action": "refresh_status_details", "_selected_action": [system.pk]},
            follow=True,
        )

    # then it is queued and said
    assert len(callbacks) == 1
    assert [str(m) for m in response.context["messages"]] == [
        "Refresh of the status details from OMS queued; its outcome will appear in the status "
        "detail refresh history."
    ]
