"""Live transit and walking routes pushed to the 3D scene."""
from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime transit and routes"
