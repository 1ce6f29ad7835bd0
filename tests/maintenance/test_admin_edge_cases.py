"""Edge cases of the Maintenance admin: ids that cannot be ids, resubmitted forms, names that
differ only in case, and how times and codes are shown."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry

from maintenance import credentials
from maintenance.config import IMPORT_STATUS_DETAILS
from maintenance.models import (
    ApiKey,
    ConfigurationParameter,
    StatusDetailRefresh,
    SystemCredential,
    WhitelistedNetwork,
)
from orders.models import ItemHistory
from tests.maintenance import test_admin_helpers as helpers

desk_user = helpers.desk_user
desk_client = helpers.desk_client
system = helpers.system


# --- An id that cannot be an id ------------------------------------------------------------------


@pytest.mark.parametrize("object_id", ["abc", "1.5", "%00", "-", "1e3"])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/maintenance/apikey/{}/revoke/",
        "/admin/maintenance/systemcredential/{}/issue-key/",
        "/admin/maintenance/systemcredential/{}/refresh-status-details/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_custom_view_answers_404_for_an_id_that_cannot_be_one(
    desk_client, system, url, object_id, method
):
    # given a system with one active key
    keys_before = list(ApiKey.objects.values_list("pk", "revoked_at"))
    log_before = LogEntry.objects.count()

    # when a custom view is asked for an id that is not a number
    response = getattr(desk_client, method)(url.format(object_id))

    # then it answers 404, as Django's own change views do, and nothing changed
    assert response.status_code == 404
    assert list(ApiKey.objects.values_list("pk", "revoked_at")) == keys_before
    assert LogEntry.objects.count() == log_before
    assert SystemCredential.objects.count() == 1


# --- The OMS URL: http or https on any host ------------------------------------------------------


@pytest.mark.parametrize(
    "oms_url",
    [
        "http://oms:8080/",
        "http://oms-internal/api",
        "http://sc_oms.local/",
        "https://oms.example.com/api/getStatusDetailOptionList?x=1",
        "http://localhost:8000/oms",
        "http://127.0.0.1:9/oms",
        "http://10.1.2.3/",
        "http://[::1]:8080/oms",
        "https://[2001:db8::7]/",
        "HTTP://OMS/",
    ],
)
def test_an_oms_url_on_any_host_is_accepted(desk_client, oms_url):
    # given a new system whose OMS URL is on an internal, single-label or loopback host
    data = helpers.credential_form(oms_url=oms_url, networks=("10.0.0.1",))

    # when saved
    response = desk_client.post("/admin/maintenance/systemcredential/add/", data)

    # then it is saved with that URL
    assert response.status_code == 302
    assert SystemCredential.objects.get(service_name="OMS").oms_url == oms_url


@pytest.mark.parametrize(
    ("oms_url", "message"),
    [
        ("ftp://oms/", "The OMS URL 'ftp://oms/' must start with http:// or https://."),
        ("oms:8080", "The OMS URL 'oms:8080' must start with http:// or https://."),
        ("http:oms", "The OMS URL 'http:oms' must start with http:// or https://."),
        ("http:///api", "The OMS URL 'http:///api' has no host, e.g. http://oms:8080/."),
        ("http://:8080/", "The OMS URL 'http://:8080/' has no host, e.g. http://oms:8080/."),
        (
            "http://oms internal/",
            "The OMS URL 'http://oms internal/' must not contain spaces or credentials: "
            "remove the spaces.",
        ),
        (
            "http://user:secret@oms/",
            "The OMS URL 'http://user:secret@oms/' must not contain spaces or credentials: "
            "remove the user:password@ part.",
        ),
        (
            "http://oms:99999/",
            "The OMS URL 'http://oms:99999/' has an invalid port: enter a number from 1 to 65535.",
        ),
        (
            "http://oms:/",
            "The OMS URL 'http://oms:/' has an invalid port: enter a number from 1 to 65535.",
        ),
        (
            "http://oms..local/",
            "The OMS URL 'http://oms..local/' has an invalid host 'oms..local': use letters, "
            "digits, '-', '_' and dots, an IPv4 address or an IPv6 address in brackets.",
        ),
        (
            "http://[::1/",
            "The OMS URL 'http://[::1/' is not a valid URL: Invalid IPv6 URL.",
        ),
        (
            "http://[oms]/",
            "The OMS URL 'http://[oms]/' is not a valid URL: 'oms' does not appear to be an "
            "IPv4 or IPv6 address.",
        ),
    ],
)
def test_a_malformed_oms_url_is_refused_saying_why(desk_client, oms_url, message):
    # given a new system with a malformed or non-http OMS URL
    data = helpers.credential_form(oms_url=oms_url, networks=("10.0.0.1",))

    # when saved
    response = desk_client.post("/admin/maintenance/systemcredential/add/", data)

    # then the desk is told why, and nothing is saved
    assert response.status_code == 200
    assert helpers.errors_of(response) == [message]
    assert SystemCredential.objects.count() == 0


# --- Issuing a key: a resubmitted form issues nothing --------------------------------------------


def issue_url(credential: SystemCredential) -> str:
    return f"/admin/maintenance/systemcredential/{credential.pk}/issue-key/"


def test_a_resubmitted_issue_key_form_issues_exactly_one_key(desk_client, system):
    # given the "Issue new key" page, opened once, and its form confirmed once
    confirmation = desk_client.get(issue_url(system))
    nonce = confirmation.context["nonce"]
    assert f'name="nonce" value="{nonce}"' in confirmation.content.decode()
    first = desk_client.post(issue_url(system), {"nonce": nonce})
    assert first.status_code == 200
    issued = first.context["issued"]
    keys_after_first = list(ApiKey.objects.order_by("pk").values_list("pk", "revoked_at"))
    log_after_first = LogEntry.objects.count()

    # when the browser resubmits the same POST (a reload of the "New API key" page)
    second = desk_client.post(issue_url(system), {"nonce": nonce})

    # then exactly one key was issued, and the page says so and offers to start again
    assert second.status_code == 409
    page = second.content.decode()
    assert "A key was already issued with this form" in page
    assert f'href="{issue_url(system)}"' in page
    assert "Start again: issue a new key" in page
    assert "no-store" in second["Cache-Control"]
    assert issued.secret not in page
    assert "issued" not in second.context
    assert ApiKey.objects.filter(credential=system).count() == 2
    assert list(ApiKey.objects.order_by("pk").values_list("pk", "revoked_at")) == (keys_after_first)
    assert LogEntry.objects.count() == log_after_first
    assert "maintenance_issue_key_nonce_" not in str(dict(desk_client.session))
    assert issued.secret not in str(dict(desk_client.session))


@pytest.mark.parametrize("data", [{}, {"nonce": ""}, {"nonce": "guessed"}])
def test_an_issue_key_post_without_the_pages_token_issues_nothing(desk_client, system, data):
    # given a system with one key, whose "Issue new key" page was opened
    desk_client.get(issue_url(system))
    keys_before = list(ApiKey.objects.values_list("pk", "revoked_at"))

    # when a POST comes without the page's token, or with another one
    response = desk_client.post(issue_url(system), data)

    # then no key is issued and nothing is logged
    assert response.status_code == 409
    assert "A key was already issued with this form" in response.content.decode()
    assert list(ApiKey.objects.values_list("pk", "revoked_at")) == keys_before
    assert LogEntry.objects.count() == 0


def test_a_new_confirmation_page_allows_one_more_key(desk_client, system):
    # given a key issued with the "Issue new key" form
    nonce = desk_client.get(issue_url(system)).context["nonce"]
    desk_client.post(issue_url(system), {"nonce": nonce})

    # when the desk starts again from the confirmation page and confirms
    again = desk_client.get(issue_url(system)).context["nonce"]
    response = desk_client.post(issue_url(system), {"nonce": again})

    # then one more key is issued
    assert again != nonce
    assert response.status_code == 200
    assert ApiKey.objects.filter(credential=system, revoked_at__isnull=True).count() == 3


# --- Times: in the configured zone, to the second ------------------------------------------------

# 10:20:30.123456 UTC is 11:20:30 in Berlin in January.
MOMENT = datetime(2026, 1, 15, 10, 20, 30, 123456, tzinfo=UTC)
SHOWN = "2026-01-15 11:20:30"


@pytest.fixture
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def cells(page: str) -> list[str]:
    """The text of the result table's cells, tags stripped."""
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", page, re.S)
    ]


def test_last_used_of_a_key_is_a_local_time_to_the_second(berlin, desk_client, system):
    # given a key last used at a moment with microseconds
    api_key = system.api_keys.get()
    helpers.log_request(created_at=MOMENT, api_key_prefix=api_key.prefix)

    # when the system's page and the key list are opened
    pages = [
        desk_client.get(f"/admin/maintenance/systemcredential/{system.pk}/change/"),
        desk_client.get("/admin/maintenance/apikey/"),
    ]

    # then last used is shown in Berlin time, to the second, without microseconds
    for response in pages:
        page = response.content.decode()
        assert response.status_code == 200
        assert SHOWN in cells(page)
        assert "123456" not in page
        assert "10:20:30" not in page


def test_the_request_log_shows_times_to_the_second(berlin, desk_client, system):
    # given a request at a moment with seconds
    log = helpers.log_request(created_at=MOMENT)

    # when the log and the request's page are opened
    listing = desk_client.get("/admin/maintenance/requestlog/").content.decode()
    detail = desk_client.get(f"/admin/maintenance/requestlog/{log.pk}/change/").content.decode()

    # then both show the local time to the second
    assert SHOWN in cells(listing)
    assert f'<div class="readonly">{SHOWN}</div>' in detail


def test_the_refresh_history_shows_times_to_the_second(berlin, desk_client, system):
    # given a refresh started and finished at moments with seconds
    StatusDetailRefresh.objects.create(
        credential=system,
        started_at=MOMENT,
        finished_at=MOMENT + timedelta(seconds=2),
        outcome="succeeded",
        trigger="schedule",
    )

    # when the history is opened
    page = desk_client.get("/admin/maintenance/statusdetailrefresh/").content.decode()

    # then start and end are local times to the second
    shown = cells(page)
    assert SHOWN in shown
    assert "2026-01-15 11:20:32" in shown


def test_an_items_history_shows_times_to_the_second(berlin, desk_client, make_items):
    # given an item with one event at a moment with seconds
    item = make_items(1, status="returned")[0]
    ItemHistory.objects.create(
        item=item,
        kind="status",
        status=item.status,
        reason="",
        status_event_time=MOMENT,
        received_at=MOMENT + timedelta(seconds=5),
        applied=True,
        system="OMS",
        request_id="req-1",
        fingerprint="f-1",
    )

    # when the item is opened
    page = desk_client.get(f"/admin/orders/orderitem/{item.pk}/change/").content.decode()

    # then the event time and the time it was received are local times to the second
    shown = cells(page)
    assert SHOWN in shown
    assert "2026-01-15 11:20:35" in shown


# --- Whitelist: one mistake, one message; no whole-internet entries ------------------------------


def test_a_single_mistyped_network_is_refused_with_its_own_message_only(desk_client):
    # given an active new system whose only network is mistyped (host bits set)
    data = helpers.credential_form(networks=("10.0.0.1/24",))

    # when saved
    response = desk_client.post("/admin/maintenance/systemcredential/add/", data)

    # then only the row's own mistake is named, and nothing is saved
    assert response.status_code == 200
    assert helpers.errors_of(response) == [
        "10.0.0.1/24 has host bits set: the network is 10.0.0.0/24. "
        "Enter 10.0.0.0/24, or the single address without a prefix length."
    ]
    assert SystemCredential.objects.count() == 0
    assert WhitelistedNetwork.objects.count() == 0


@pytest.mark.parametrize(
    ("network", "shown"),
    [("0.0.0.0/0", "0.0.0.0/0"), ("::/0", "::/0"), ("::ffff:0.0.0.0/96", "0.0.0.0/0")],
)
def test_a_whole_internet_whitelist_entry_is_refused(desk_client, system, network, shown):
    # given an existing system, to which the desk adds a network covering every address
    existing = system.networks.get()
    data = helpers.credential_form(
        oms_url=system.oms_url,
        existing=((existing.pk, existing.network),),
        networks=(network,),
        api_keys=1,
    )

    # when saved
    response = desk_client.post(f"/admin/maintenance/systemcredential/{system.pk}/change/", data)

    # then it is refused, saying why, and the whitelist is unchanged
    assert response.status_code == 200
    assert helpers.errors_of(response) == [
        f"{shown} would let the whole internet in; enter the OMS's own addresses."
    ]
    assert list(WhitelistedNetwork.objects.values_list("network", flat=True)) == ["203.0.113.10/32"]
    assert LogEntry.objects.count() == 0


# --- Service names that differ only in case ------------------------------------------------------


def test_a_new_system_named_like_another_but_for_case_is_refused(desk_client, system):
    # given a system named OMS
    # when the desk adds a system named oms
    data = helpers.credential_form(service_name="oms", networks=("10.0.0.1",))
    response = desk_client.post("/admin/maintenance/systemcredential/add/", data)

    # then it is refused naming the existing one, and nothing is saved
    assert response.status_code == 200
    assert helpers.errors_of(response) == [
        "A system named OMS exists already; service names that differ only in case are not "
        "allowed. Open that system, or choose another name."
    ]
    assert list(SystemCredential.objects.values_list("service_name", flat=True)) == ["OMS"]
    assert WhitelistedNetwork.objects.count() == 1


def test_renaming_a_system_like_another_but_for_case_is_refused(desk_client, system):
    # given two systems, OMS and DEMO-OMS
    other = credentials.create_system(service_name="DEMO-OMS", networks=["10.0.0.1"])
    other = other.api_key.credential
    data = helpers.credential_form(
        service_name="oms",
        existing=((other.networks.get().pk, "10.0.0.1"),),
        api_keys=1,
    )

    # when DEMO-OMS is renamed to oms
    response = desk_client.post(f"/admin/maintenance/systemcredential/{other.pk}/change/", data)

    # then it is refused and both keep their names
    assert response.status_code == 200
    assert helpers.errors_of(response) == [
        "A system named OMS exists already; service names that differ only in case are not "
        "allowed. Open that system, or choose another name."
    ]
    assert sorted(SystemCredential.objects.values_list("service_name", flat=True)) == [
        "DEMO-OMS",
        "OMS",
    ]


def test_a_system_may_change_the_case_of_its_own_name(desk_client, system):
    # given a system named OMS
    data = helpers.credential_form(
        service_name="Oms",
        oms_url=system.oms_url,
        existing=((system.networks.get().pk, "203.0.113.10"),),
        api_keys=1,
    )

    # when it is renamed to Oms
    response = desk_client.post(f"/admin/maintenance/systemcredential/{system.pk}/change/", data)

    # then that is saved
    assert response.status_code == 302
    assert list(SystemCredential.objects.values_list("service_name", flat=True)) == ["Oms"]


def test_create_system_refuses_a_name_like_another_but_for_case(system):
    # given a system named OMS
    # when a system named oms is created through the service
    with pytest.raises(credentials.CredentialError) as refused:
        credentials.create_system(service_name="oms", networks=["10.0.0.1"])

    # then it is refused naming the existing one, and nothing is saved
    assert str(refused.value) == (
        "a system named 'OMS' exists already; 'oms' differs from it only in case"
    )
    assert list(SystemCredential.objects.values_list("service_name", flat=True)) == ["OMS"]
    assert ApiKey.objects.count() == 1
    assert WhitelistedNetwork.objects.count() == 1


# --- Words, not codes ----------------------------------------------------------------------------


def test_a_parameter_change_message_names_the_parameter_by_its_label(desk_client):
    # given the parameters listed
    desk_client.get("/admin/maintenance/configurationparameter/")
    parameter = ConfigurationParameter.objects.get(name=IMPORT_STATUS_DETAILS)

    # when the desk turns the import of status details off
    response = desk_client.post(
        f"/admin/maintenance/configurationparameter/{parameter.pk}/change/",
        {"value": "off"},
        follow=True,
    )

    # then the message and the admin log name the parameter by its label
    assert [str(message) for message in response.context["messages"]] == [
        "The configuration parameter “<a href="
        f'"/admin/maintenance/configurationparameter/{parameter.pk}/change/">'
        "Import detailed order statuses from OMS</a>” was changed successfully."
    ]
    entry = LogEntry.objects.get()
    assert entry.object_repr == "Import detailed order statuses from OMS"
    assert str(ConfigurationParameter(name="retired_parameter")) == "retired_parameter"


def test_the_refresh_history_names_its_triggers_in_words(desk_client, system):
    # given one refresh per trigger, and one with a code the page does not know
    triggers = ["unknown_status_detail", "admin", "command", "schedule", "startup", "other"]
    for minute, trigger in enumerate(triggers):
        StatusDetailRefresh.objects.create(
            credential=system,
            started_at=MOMENT + timedelta(minutes=minute),
            outcome="succeeded",
            trigger=trigger,
        )

    # when the history is opened
    response = desk_client.get("/admin/maintenance/statusdetailrefresh/")

    # then each trigger is in words, newest first
    shown = re.findall(r'<td class="field-trigger_in_words">(.*?)</td>', response.content.decode())
    assert shown == [
        "other",
        "Celery beat start",
        "schedule",
        "refresh_status_details command",
        "Refresh now (admin)",
        "push named an unknown status detail",
    ]
