"""Edge cases of the Maintenance admin: ids that cannot be ids, resubmitted forms, names that
differ only in case, and how times and codes are shown."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from maintenance.models import ApiKey, SystemCredential
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
