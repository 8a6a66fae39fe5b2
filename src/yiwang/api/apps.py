from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "yiwang.api"
    verbose_name = "API"
