from django.apps import AppConfig


class OmsApiConfig(AppConfig):
    name = "omsapi"
    verbose_name = "OMS API"
