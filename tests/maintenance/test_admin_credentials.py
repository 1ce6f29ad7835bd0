"""System credentials and API keys through the admin, as a service desk user works with them."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maintenance import credentials, crypto
from maintenance.models import ApiKey, RequestOutcome, SystemCredential, WhitelistedNetwork
from tests.maintenance import test_admin_helpers as helpers
from tests.maintenance.test_admin_helpers import (
    credential_form,
    database_dump,
    errors_of,
    log_request,
)

desk_user = helpers.desk_user
desk_client = helpers.desk_client
system = helpers.system

ADD_URL = reverse("admin:maintenance_systemcredential_add")
LIST_URL = reverse("admin:maintenance_systemcredential_changelist")


def change_url(credential: SystemCredential) -> str:
    return reverse("admin:maintenance_systemcredential_change", args=[credential.pk])


def issue_url(credential: SystemCredential) -> str:
    return reverse("admin:maintenance_systemcredential_issue_key", args=[credential.pk])


def revoke_url(api_key: ApiKey) -> str:
    return reverse("admin:maintenance_apikey_revoke", args=[api_key.pk])


# --- Adding and editing a system, whitelisted networks -------------------------------------------


def test_adding_a_system_with_ipv4_and_ipv6_networks_saves_them_normalized(desk_client):
    # given a new system with an IPv4 address, an IPv6 network and an IPv4-mapped IPv6 address
    data = credential_form(
        service_name="OMS",
        oms_url="https://oms.example.com/api",
        networks=("203.0.113.9", "2001:db8::/32", "::ffff:198.51.100.7"),
    )

    # when the service desk saves it
    response = desk_client.post(ADD_URL, data)

    # then it is saved, the networks as the API compares them, and the desk is told what's next
    assert response.status_code == 302
    credential = SystemCredential.objects.get(service_name="OMS")
    assert credential.active is True
    assert credential.oms_url == "https://oms.example.com/api"
    assert sorted(credential.networks.values_list("network", flat=True)) == [
        "198.51.100.7/32",
        "2001:db8::/32",
        "203.0.113.9/32",
    ]
    page = desk_client.get(response["Location"]).content.decode()
    assert "Issue new key" in page
    assert LogEntry.objects.filter(object_id=str(credential.pk), action_flag=1).count() == 1


@pytest.mark.parametrize(
    ("network", "message"),
    [
        (
            "10.0.0.300/24",
            "'10.0.0.300/24' is not an IPv4 or IPv6 address or network "
            "(e.g. 203.0.113.9, 10.0.0.0/24, 2001:db8::/32).",
        ),
        (
            "10.0.0.5/24",
            "10.0.0.5/24 has host bits set: the network is 10.0.0.0/24. "
            "Enter 10.0.0.0/24, or the single address without a prefix length.",
        ),
        (
            "2001:db8::1/32",
            "2001:db8::1/32 has host bits set: the network is 2001:db8::/32. "
            "Enter 2001:db8::/32, or the single address without a prefix length.",
        ),
        (
            "10.0.0.0/33",
            "'10.0.0.0/33' is not an IPv4 or IPv6 address or network "
            "(e.g. 203.0.113.9, 10.0.0.0/24, 2001:db8::/32).",
        ),
    ],
)
def test_an_invalid_network_is_refused_with_its_message_and_nothing_is_saved(
    desk_client, network, message
):
    # given a new system with one good and one bad network
    data = credential_form(service_name="OMS", networks=("203.0.113.9", network))

    # when it is saved
    response = desk_client.post(ADD_URL, data)

    # then the form comes back with the message and nothing at all is saved
    assert response.status_code == 200
    assert errors_of(response) == [message]
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert SystemCredential.objects.count() == 0
    assert WhitelistedNetwork.objects.count() == 0
    assert LogEntry.objects.count() == 0


def test_an_invalid_network_added_to_an_existing_system_changes_nothing(desk_client, system):
    # given an existing system with one network
    existing = system.networks.get()
    data = credential_form(
        service_name="OMS-renamed",
        oms_url=system.oms_url,
        existing=((existing.pk, "198.51.100.0/24"),),
        networks=("192.0.2.1/24",),
        api_keys=1,
    )

    # when the desk renames it, changes its network and adds a network with host bits
    response = desk_client.post(change_url(system), data)

    # then it is refused and neither the name nor any network changed
    assert response.status_code == 200
    assert errors_of(response) == [
        "192.0.2.1/24 has host bits set: the network is 192.0.2.0/24. "
        "Enter 192.0.2.0/24, or the single address without a prefix length."
    ]
    system.refresh_from_db()
    assert system.service_name == "OMS"
    assert list(system.networks.values_list("network", flat=True)) == ["203.0.113.10/32"]


def test_the_same_network_twice_is_refused(desk_client):
    # given the same address twice, once spelled as IPv4-mapped IPv6
    data = credential_form(networks=("203.0.113.9", "::ffff:203.0.113.9"))

    # when saved
    response = desk_client.post(ADD_URL, data)

    # then it is refused naming the duplicate, and nothing is saved
    assert response.status_code == 200
    assert errors_of(response) == [
        "203.0.113.9/32 is listed twice (also as 203.0.113.9); keep one of them."
    ]
    assert SystemCredential.objects.count() == 0


def test_an_active_system_without_networks_is_refused(desk_client):
    # given an active system with no whitelisted address
    data = credential_form(networks=())

    # when saved
    response = desk_client.post(ADD_URL, data)

    # then the desk is told why, and nothing is saved
    assert response.status_code == 200
    assert errors_of(response) == [
        "An active system needs at least one whitelisted IP or network: add the address its "
        "OMS calls from, or untick Active."
    ]
    assert SystemCredential.objects.count() == 0


def test_a_bad_service_name_and_oms_url_are_refused(desk_client):
    # given a name with a space and an ftp URL
    data = credential_form(service_name="my oms", oms_url="ftp://oms", networks=("10.0.0.1",))

    # when saved
    response = desk_client.post(ADD_URL, data)

    # then both are named, nothing is saved
    assert response.status_code == 200
    assert sorted(errors_of(response)) == [
        "A service name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter "
        "or digit.",
        "The OMS URL 'ftp://oms' must start with http:// or https://.",
    ]
    assert SystemCredential.objects.count() == 0


def test_deactivating_a_system_is_logged(desk_client, system):
    # given an active system
    existing = system.networks.get()

    # when the desk unticks active
    data = credential_form(
        active=False,
        oms_url=system.oms_url,
        existing=((existing.pk, existing.network),),
        api_keys=1,
    )
    response = desk_client.post(change_url(system), data)

    # then it is inactive and the admin log says so
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.active is False
    entry = LogEntry.objects.get(object_id=str(system.pk), action_flag=2)
    assert entry.get_change_message() == "Changed Active."


# --- The list: derived columns, constant query count ---------------------------------------------


def test_the_list_shows_networks_active_keys_last_request_and_last_refusal(desk_client, system):
    # given a second key, a revoked one, an accepted request and a refusal with its reason
    credentials.issue_key(credential=system)
    revoked = credentials.issue_key(credential=system).api_key
    credentials.revoke_key(api_key=revoked)
    log_request(created_at=timezone.now() - timezone.timedelta(minutes=5))
    log_request(
        created_at=timezone.now() - timezone.timedelta(minutes=10),
        client_ip="198.51.100.99",
        http_status=403,
        error_code="E009",
        outcome=RequestOutcome.REFUSED,
        reason="IP 198.51.100.99 is not whitelisted for OMS",
    )

    # when the desk opens the list
    response = desk_client.get(LIST_URL)

    # then each derived column is right
    assert response.status_code == 200
    row = response.context["cl"].result_list.get()
    assert row.active_keys == 2
    assert row.last_request is not None and row.last_refusal_at < row.last_request
    page = response.content.decode()
    assert "203.0.113.10/32" in page
    assert "IP 198.51.100.99 is not whitelisted for OMS" in page
    # nothing is written on the credential row per request
    assert SystemCredential.objects.get().updated_at == system.updated_at


def make_busy_system(number: int) -> None:
    issued = credentials.create_system(
        service_name=f"OMS-{number}", networks=[f"10.0.{number}.0/24", f"10.1.{number}.1"]
    )
    credentials.issue_key(credential=issued.api_key.credential)
    log_request(created_at=timezone.now(), service_name=f"OMS-{number}")


def test_the_list_makes_as_many_queries_for_twenty_systems_as_for_one(
    desk_client, django_assert_num_queries
):
    # given one system, and the queries its list takes
    make_busy_system(0)
    with CaptureQueriesContext(connection) as one:
        assert desk_client.get(LIST_URL).status_code == 200

    # when there are twenty
    for number in range(1, 20):
        make_busy_system(number)

    # then the list takes exactly as many queries
    with django_assert_num_queries(len(one.captured_queries)):
        response = desk_client.get(LIST_URL)
    assert len(response.context["cl"].result_list) == 20


# --- Issuing a key -------------------------------------------------------------------------------


def test_issue_key_asks_first_and_issues_nothing_on_get(desk_client, system):
    # given a system with one key
    # when the desk opens "Issue new key"
    response = desk_client.get(issue_url(system))

    # then a confirmation page explains, and no key is issued yet
    assert response.status_code == 200
    assert "The new key is shown once, on the next page" in response.content.decode()
    assert ApiKey.objects.filter(credential=system).count() == 1


def test_a_key_is_shown_exactly_once_and_never_stored_or_logged_in_clear(desk_client, system):
    # given a system whose "Issue new key" page is open
    nonce = desk_client.get(issue_url(system)).context["nonce"]

    # when the desk confirms
    response = desk_client.post(issue_url(system), {"nonce": nonce})

    # then the answer shows the key, uncached, and it opens the new key's active row
    assert response.status_code == 200
    issued = response.context["issued"]
    secret = issued.secret
    assert len(secret) >= 40
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    api_key = ApiKey.objects.get(pk=issued.api_key.pk)
    assert api_key.credential == system and api_key.revoked_at is None
    assert crypto.decrypt(api_key.encrypted_key) == secret
    assert api_key.issued_by.username == "desk"
    # never in a message cookie or in the session
    assert "messages" not in response.cookies
    assert secret not in str(dict(desk_client.session))
    # never again: not on the issue page, the system's page or the key list
    for url in (
        issue_url(system),
        change_url(system),
        reverse("admin:maintenance_apikey_changelist"),
        reverse("admin:maintenance_apikey_change", args=[api_key.pk]),
        reverse("admin:index"),
    ):
        page = desk_client.get(url).content.decode()
        assert secret not in page
        assert api_key.encrypted_key not in page
    # never in clear anywhere in the database, admin log and sessions included
    assert secret not in database_dump()
    # the admin log records the issue by prefix only
    entries = LogEntry.objects.filter(user__username="desk").order_by("id")
    assert [entry.get_change_message() for entry in entries] == [
        f"Added API key “{api_key.prefix}”.",
        f"Issued API key {api_key.prefix}.",
    ]
    assert all(secret not in f"{entry.object_repr} {entry.change_message}" for entry in entries)


def test_the_system_page_lists_keys_with_prefix_issuer_last_use_and_no_secret(
    desk_client, desk_user, system
):
    # given a key issued by the desk and used by a request
    issued = credentials.issue_key(credential=system, issued_by=desk_user)
    log_request(created_at=timezone.now(), api_key_prefix=issued.api_key.prefix)

    # when the system's page is opened
    response = desk_client.get(change_url(system))

    # then the keys are listed, the used one with its last use, none in clear
    page = response.content.decode()
    assert response.status_code == 200
    keys = {
        key.prefix: key for key in response.context["inline_admin_formsets"][1].formset.queryset
    }
    assert keys[issued.api_key.prefix].last_used is not None
    assert len(keys) == 2
    assert issued.secret not in page
    assert "encrypted_key" not in page
    assert issued.api_key.encrypted_key not in page
    assert page.count("Revoke…") == 2


# --- Revoking a key ------------------------------------------------------------------------------


def test_revoke_asks_for_confirmation_and_names_the_consequence(desk_client, system):
    # given the only key of a system
    api_key = system.api_keys.get()

    # when the desk clicks revoke
    response = desk_client.get(revoke_url(api_key))

    # then it is asked to confirm, told that OMS will be locked out, and nothing changed yet
    assert response.status_code == 200
    page = response.content.decode()
    assert "This is the last active key of OMS" in page
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_revoking_a_key_on_confirmation_keeps_the_others_active(desk_client, system):
    # given two active keys (a rotation under way)
    old_key = system.api_keys.get()
    new_key = credentials.issue_key(credential=system).api_key

    # when the desk confirms revoking the old one
    response = desk_client.post(revoke_url(old_key))

    # then only it is revoked, by the desk, logged without any secret
    assert response.status_code == 302
    old_key.refresh_from_db()
    new_key.refresh_from_db()
    assert old_key.revoked_at is not None and old_key.revoked_by.username == "desk"
    assert new_key.revoked_at is None
    assert [key for key, _ in credentials.active_keys(system)] == [new_key.prefix]
    messages = [str(m) for m in desk_client.get(response["Location"]).context["messages"]]
    assert messages == [
        f"Key {old_key.prefix}… of OMS is revoked: requests signed with it are refused from now on."
    ]
    changes = sorted(entry.get_change_message() for entry in LogEntry.objects.filter(action_flag=2))
    assert changes == ["Revoked API key " + old_key.prefix + ".", "Revoked."]


def test_revoking_a_revoked_key_changes_nothing(desk_client, system):
    # given a revoked key
    api_key = system.api_keys.get()
    credentials.revoke_key(api_key=api_key)
    api_key.refresh_from_db()
    revoked_at = api_key.revoked_at

    # when it is revoked again
    response = desk_client.post(revoke_url(api_key))

    # then the desk is told, and nothing changes
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at == revoked_at
    assert LogEntry.objects.count() == 0


def test_keys_cannot_be_added_edited_or_deleted_through_the_key_admin(desk_client, system):
    # given a key
    api_key = system.api_keys.get()

    # when the desk tries the generic add, change and delete pages
    add = desk_client.get(reverse("admin:maintenance_apikey_add"))
    delete = desk_client.post(
        reverse("admin:maintenance_apikey_delete", args=[api_key.pk]), {"post": "yes"}
    )
    change = desk_client.post(reverse("admin:maintenance_apikey_change", args=[api_key.pk]), {})

    # then all are refused and the key is unchanged
    assert (add.status_code, delete.status_code, change.status_code) == (403, 403, 403)
    assert ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).count() == 1


def test_the_key_list_filters_active_and_revoked(desk_client, system):
    # given an active and a revoked key
    active = system.api_keys.get()
    revoked = credentials.issue_key(credential=system).api_key
    credentials.revoke_key(api_key=revoked)

    # when filtered by state
    url = reverse("admin:maintenance_apikey_changelist")
    shown_active = desk_client.get(url, {"state": "active"}).context["cl"].result_list
    shown_revoked = desk_client.get(url, {"state": "revoked"}).context["cl"].result_list

    # then each filter shows its key
    assert [key.prefix for key in shown_active] == [active.prefix]
    assert [key.prefix for key in shown_revoked] == [revoked.prefix]
