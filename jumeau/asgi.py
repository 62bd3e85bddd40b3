"""ASGI entry point: HTTP through Django, websockets through Channels, one process."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumeau.settings")

from django.core.asgi import get_asgi_application

django_http = get_asgi_application()

# Channels' auth stack and the consumers import Django's models: they may load only once
# get_asgi_application() has set Django up, hence imports below code (E402).
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from realtime import gc_pacing  # noqa: E402
from realtime.pedestrian import warm_up_in_background  # noqa: E402
from realtime.ws_routes import websocket_urlpatterns  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": django_http,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


def on_server_start() -> None:
    """What a server process does once, before it serves: a websocket worker paces its full collections where
    that helps (gc_pacing.suited), and builds its walk graph in the background (pedestrian.warm_up_in_background)."""
    if gc_pacing.suited():
        gc_pacing.install()
    warm_up_in_background()


async def _lifespan(receive, send) -> None:
    """Server start and stop (uvicorn --lifespan on): on_server_start."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            on_server_start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    return await router(scope, receive, send)
