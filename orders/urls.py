"""URLs of the seller's order management screen."""

app_name = "orders"
urlpatterns: list = []
