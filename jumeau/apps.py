"""The project package as a Django app: its commands (load_demo, serve_demo) and the wiring of the apps' signals."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

from twin.signals import made_stale


class JumeauConfig(AppConfig):
    name = "jumeau"
    verbose_name = "Jumeau — the project"

    def ready(self) -> None:
        from jumeau.rebuilds import on_made_stale  # the apps' models must be loaded first

        made_stale.connect(on_made_stale, dispatch_uid="jumeau.rebuilds")
        self._watch_search_sources()

    @staticmethod
    def _watch_search_sources() -> None:
        """An edit in the admin (a renamed place, a project put back to draft) reaches the search index at once;
        syncs are seen by the index's own fingerprint (jumeau/search.py)."""
        from jumeau.search import bump_generation  # the models must be loaded first, as in ready()
        from twin import models

        for model in (
            models.PointOfInterest,
            models.PlanningProject,
            models.ProjectVariant,
            models.Building,
            models.NetworkNode,
            models.StreetSegment,
        ):
            for signal in (post_save, post_delete):
                signal.connect(bump_generation, sender=model, dispatch_uid=f"jumeau.search.{model.__name__}.{signal}")
