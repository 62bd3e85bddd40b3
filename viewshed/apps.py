"""The view from a balcony: surface model, kernel and numbers."""

from django.apps import AppConfig
from django.core.signals import request_started


def _warm_on_first_request(sender, **kwargs) -> None:
    # The first HTTP request of a server process starts loading the numba
    # kernels in the background, so that a balcony clicked a few seconds
    # later answers fast; manage.py commands never pay for it.
    request_started.disconnect(_warm_on_first_request, dispatch_uid="viewshed-warm-up")
    from viewshed.views import start_warm_up  # the views need the app registry ready, which apps.py precedes

    start_warm_up()


class ViewshedConfig(AppConfig):
    name = "viewshed"
    verbose_name = "Viewshed"

    def ready(self) -> None:
        request_started.connect(_warm_on_first_request, dispatch_uid="viewshed-warm-up")
