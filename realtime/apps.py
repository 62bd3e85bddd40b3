"""Live transit and walking routes pushed to the 3D scene."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime transit and routes"

    def ready(self) -> None:
        # Here, not at the top: Django imports apps.py before the app registry is ready, and twin.models needs it
        # (realtime.signals imports twin.models).
        from realtime import signals
        from twin.models import CircuitStop, WalkingCircuit

        post_save.connect(signals.circuit_saved, sender=WalkingCircuit, dispatch_uid="realtime-circuit-saved")
        post_save.connect(signals.stop_changed, sender=CircuitStop, dispatch_uid="realtime-stop-saved")
        post_delete.connect(signals.stop_changed, sender=CircuitStop, dispatch_uid="realtime-stop-deleted")
