"""The service desk in a real browser: issuing a key, and reading the request log.

Chromium (Debian's, through Playwright) against a live server; screenshots go to
var/screenshots/. Without Chromium these skip locally and fail in CI.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from maintenance import credentials
from maintenance.models import ApiKey, RequestLog, RequestOutcome, SystemCredential
from maintenance.roles import set_service_desk_user

pytestmark = [pytest.mark.e2e]

PASSWORD = "desk-password-for-the-browser"


@pytest.fixture
def desk_login(transactional_db, settings) -> str:
    # Strong hashing costs a second per login; the login itself is what matters here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    set_service_desk_user(username="desk", password=PASSWORD)
    return "desk"


@pytest.fixture
def oms_system(transactional_db) -> SystemCredential:
    issued = credentials.create_system(
        service_name="OMS", networks=["198.51.100.10", "2001:db8::/48"]
    )
    return issued.api_key.credential


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_the_service_desk_issues_a_key_and_sees_it_once(
    page, live_server, screenshot, desk_login, oms_system
):
    # given a service desk user logged in, on the system's page
    log_in(page, live_server, desk_login)
    page.click("text=System credentials")
    page.click("th.field-service_name a:text('OMS')")
    screenshot(page, "admin_system_before_issue")
    assert page.get_by_text("API keys (several may be active at once").count() == 1

    # when they press "Issue new key" and confirm
    page.click("text=Issue new key")
    assert "The new key is shown once" in page.inner_text("#content-main")
    screenshot(page, "admin_issue_key_confirm")
    page.click("input[type=submit][value='Issue new key']")

    # then the key is shown on its own page, and it is the one stored (encrypted)
    shown = page.inner_text("#issued-api-key").strip()
    screenshot(page, "admin_key_issued")
    newest = ApiKey.objects.filter(credential=oms_system).order_by("-created_at", "-id").first()
    assert newest.prefix == shown[:8]
    assert newest.issued_by.username == "desk"
    assert [prefix for prefix, _ in credentials.active_keys(oms_system)][0] == newest.prefix
    assert dict(credentials.active_keys(oms_system))[newest.prefix] == shown
    assert shown not in newest.encrypted_key

    # and once they go back to the system, the key is listed by its prefix only, never again
    page.click("text=I have copied the key")
    listed = page.inner_text("#content-main")
    screenshot(page, "admin_system_after_issue")
    assert newest.prefix in listed
    assert shown not in page.content()
    page.goto(f"{live_server.url}/admin/maintenance/apikey/")
    assert shown not in page.content()


def test_the_service_desk_reads_why_a_request_was_refused(
    page, live_server, screenshot, desk_login, oms_system
):
    # given an accepted request and one refused because its IP is not whitelisted
    now = timezone.now()
    RequestLog.objects.create(
        created_at=now - timedelta(minutes=3),
        service_name="OMS",
        client_ip="198.51.100.10",
        action="UpdateItemsStatus",
        http_status=200,
        outcome=RequestOutcome.ACCEPTED,
        items_received=2,
    )
    refused = RequestLog.objects.create(
        created_at=now - timedelta(minutes=1),
        service_name="OMS",
        client_ip="203.0.113.9",
        action="UpdateItemsStatus",
        http_status=403,
        error_code="E009",
        outcome=RequestOutcome.REFUSED,
        reason="IP 203.0.113.9 is not whitelisted for OMS",
    )
    log_in(page, live_server, desk_login)

    # when they open the request log and filter the refusals
    page.click("#content-main a:text-is('Request log')")
    page.click("#changelist-filter a:text-is('Refused')")

    # then the one refusal is listed with its reason in plain words
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td.field-reason_in_words").inner_text() == (
        "IP 203.0.113.9 is not whitelisted for OMS"
    )
    screenshot(page, "admin_request_log_refused")

    # and searching by the client IP finds it, and its page tells the whole story
    page.fill("#searchbar", "203.0.113.9")
    page.press("#searchbar", "Enter")
    assert page.locator("#result_list tbody tr").count() == 1
    page.click("#result_list tbody tr th a")
    detail = page.inner_text("#content-main")
    screenshot(page, "admin_request_log_detail")
    assert str(refused.request_id) in detail
    assert "IP 203.0.113.9 is not whitelisted for OMS" in detail
