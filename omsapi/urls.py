"""URLs of the OMS push API: /oms-api/ (with or without the slash), its schema, and the removed
legacy /oms."""

from django.urls import path

from . import schema, views

app_name = "omsapi"

urlpatterns = [
    # POST requests cannot be redirected to add a slash, so both spellings are served.
    path("oms-api/", views.oms_api, name="api"),
    path("oms-api", views.oms_api, name="api-no-slash"),
    path("oms-api/schema/", schema.schema_view, name="schema"),
    path("oms-api/schema", schema.schema_view, name="schema-no-slash"),
    path("oms/", views.legacy_oms, name="legacy"),
    path("oms", views.legacy_oms, name="legacy-no-slash"),
]
