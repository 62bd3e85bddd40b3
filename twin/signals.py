"""What the apps tell each other through the city model, so that none of them imports another."""

from django.dispatch import Signal

# Sent by a sync that landed, with what it made stale, as two lists: `tile_layers`, the tile layers it changed (one
# change-log entry each), and `derived`, the derived products whose inputs it changed (twin.derived names them).
# The project package answers by queueing the tile builds and the derived jobs, and returns {job: task id}.
made_stale = Signal()
