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
