from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ketnoi.api"
    label = "api"
    verbose_name = "API"
