"""Websocket routes of the realtime app."""

from django.urls import path

from realtime.consumers import LayersConsumer, RoutesConsumer, TransitConsumer

websocket_urlpatterns: list = [
    path("ws/transit/", TransitConsumer.as_asgi()),
    path("ws/routes/", RoutesConsumer.as_asgi()),
    path("ws/layers/", LayersConsumer.as_asgi()),
]
