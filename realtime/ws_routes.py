"""Websocket routes of the realtime app."""
websocket_urlpatterns: list = []
