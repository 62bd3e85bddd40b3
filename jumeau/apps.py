"""The project package as a Django app: its commands (load_demo, serve_demo) and the wiring of the apps' signals."""

from django.apps import AppConfig


class JumeauConfig(AppConfig):
    name = "jumeau"
    verbose_name = "Jumeau — the project"

    def ready(self) -> None:
        from jumeau.rebuilds import on_layers_changed  # the apps' models must be loaded first
        from twin.signals import layers_changed

        layers_changed.connect(on_layers_changed, dispatch_uid="jumeau.rebuilds")
