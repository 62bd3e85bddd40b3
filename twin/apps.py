"""The city's core model."""

from django.apps import AppConfig


class TwinConfig(AppConfig):
    name = "twin"
    verbose_name = "Jumeau — the city"
