"""The view from a balcony: surface model, kernel and numbers."""
from django.apps import AppConfig


class ViewshedConfig(AppConfig):
    name = "viewshed"
    verbose_name = "Viewshed"
