"""Push circuits to /ws/routes/ clients when the city publishes, edits or withdraws them."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from realtime.worker import dumps
from twin.models import WalkingCircuit

log = logging.getLogger(__name__)


def push_circuit(circuit_id: int) -> None:
    """Send the circuit (or its withdrawal) to the "circuits" group; serialised once here."""
    # Here, not at the top: apps.ready() loads this module in every process, and these two bring numba and
    # scipy (realtime.route_search), 0.7 s more at the start of each Celery worker and manage.py command (measured).
    from realtime.consumers import CIRCUITS_GROUP
    from realtime.pedestrian import circuit_feature

    circuit = WalkingCircuit.objects.filter(pk=circuit_id).first()
    if circuit is None:
        return
    if circuit.published:
        frame = dumps({"type": "circuit", "feature": circuit_feature(circuit)})
    else:
        frame = dumps({"type": "circuit_removed", "slug": circuit.slug})
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(CIRCUITS_GROUP, {"type": "circuit.published", "frame": frame})
    except Exception:  # a dead Redis must not fail the editor's save
        log.exception("could not push circuit %s", circuit.slug)


def circuit_saved(sender, instance, created: bool = False, **kwargs) -> None:
    transaction.on_commit(lambda: push_circuit(instance.pk))


def stop_changed(sender, instance, **kwargs) -> None:
    circuit_id = instance.circuit_id
    transaction.on_commit(lambda: push_circuit(circuit_id))
