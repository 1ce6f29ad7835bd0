"""URL map: the seller screens, the admin (Maintenance section) and the OMS API."""

from django.contrib import admin
from django.urls import include, path

from orders.urls import account_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("omsapi.urls")),
    path("", include("orders.urls")),
    path("", include(account_urlpatterns)),
]
