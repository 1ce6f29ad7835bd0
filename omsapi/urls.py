"""URLs of the OMS push API: /oms-api/, its schema, and the removed legacy /oms."""

urlpatterns: list = []
