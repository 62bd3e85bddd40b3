"""What the apps tell each other through the city model, so that none of them imports another."""

from django.dispatch import Signal

# Sent by a sync that landed, with `layers`: the names of the layers it made stale. The project package answers
# by queueing the rebuilds (tiles, surface model, shade, impact reports) and returns {job: task id}.
layers_changed = Signal()
