"""URLs of the seller's order management screen, and the login and logout it uses.

``account_urlpatterns`` sit outside the ``orders`` namespace (the root URL map includes them)
because the settings' ``LOGIN_URL`` and ``LOGOUT_REDIRECT_URL`` name them ``login``.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("export.csv", views.export_csv, name="export"),
    # Order numbers are the Venture's: one may hold a "/", so the path converter (the export
    # comes first, since the detail's pattern would not end in "export.csv").
    path("orders/<path:order_number>/export.csv", views.export_order_csv, name="order_export"),
    path("orders/<path:order_number>/", views.order_detail, name="detail"),
    path("items/<int:id_sales_order_item>/", views.item_timeline, name="item"),
]

account_urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
