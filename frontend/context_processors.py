"""Template context of the web app's pages: where each third-party package is served (a versioned folder)."""

from django.conf import settings
from django.templatetags.static import static


def vendor(request) -> dict:
    """`vendor.cesium`, `vendor.three`, `vendor.tiles_renderer`, `vendor.i18next`: URLs of the package folders,
    ending with a slash."""
    return {
        "vendor": {
            name.replace("3d-tiles-renderer", "tiles_renderer"): static(prefix + "/")
            for name, (prefix, _) in settings.VENDOR_STATIC.items()
        }
    }
