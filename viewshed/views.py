"""POST /api/viewshed/: the view from a balcony, before and after a project.

Observer positions are never logged nor kept."""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np
from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from twin.geoid import city_frame
from twin.models import Building, PlanningProject, PointOfInterest, ProjectVariant
from viewshed import observer as obs
from viewshed import serializers
from viewshed.errors import ComputationTimeout, ObserverError, SurfaceModelError, SurfaceModelMissing
from viewshed.eye import Eye
from viewshed.slots import Slots

# Names and types only: an exception message could carry a position.
logger = logging.getLogger(__name__)

# A view takes well under the timeout: a client turned away for busy workers may try again soon.
BUSY_RETRY_AFTER_S = 2
# The job that rebuilds the tiles builds the surface model in about a minute on a city.
NO_SURFACE_RETRY_AFTER_S = 60

# JUMEAU_VIEWSHED_WORKERS computations at once (default: one per core), each on a thread of its own;
# a request finding every slot taken is refused at once. A slot is given back when its computation
# ends, not when its request gives up waiting: work that timed out still holds its core.
_pool_lock = threading.Lock()
_pool: dict = {"size": None, "slots": None, "executor": None}
_warm = threading.Event()
_warm_started = threading.Lock()
_warming = False


def _computations() -> tuple[Slots, ThreadPoolExecutor]:
    size = int(settings.JUMEAU_VIEWSHED_WORKERS)
    with _pool_lock:
        if _pool["size"] != size:
            # One thread more than the slots: the warm-up runs outside them.
            _pool.update(
                size=size,
                slots=Slots(size),
                executor=ThreadPoolExecutor(max_workers=size + 1, thread_name_prefix="viewshed"),
            )
        return _pool["slots"], _pool["executor"]


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel on a tiny synthetic city, once per process."""
    # On call, here and in _pick_threads and _prepare: the URLconf loads this module in every process, and the
    # modules that draw a view bring numba (0.2-0.4 s to import here); a process that never draws one never pays.
    from viewshed.service import Landmark, compute_view
    from viewshed.surface import Grid, SurfaceModel, footprint_patch

    try:
        grid = Grid(1000.0, 2000.0, 1.0, 64, 64)
        dsm = np.zeros((64, 64), dtype=np.float32)
        dsm[10:20, 10:20] = 12.0
        sea = np.zeros((64, 64), dtype=bool)
        sea[40:] = True
        surface = SurfaceModel(grid, dsm, sea, "warm-up")
        patch = footprint_patch((((1040.0, 1980.0), (1050.0, 1980.0), (1050.0, 1990.0), (1040.0, 1990.0)),), 30.0, grid)

        def ident(x, y):
            return np.asarray(x, float) / 1e5, np.asarray(y, float) / 1e5

        def back(lon, lat):
            return np.asarray(lon, float) * 1e5, np.asarray(lat, float) * 1e5

        for facing in (None, 135.0):
            compute_view(
                surface,
                Eye(1030.5, 1970.5, 1.7, facing),
                30.0,
                ident,
                back,
                patch=patch,
                landmarks=[Landmark(0, "", "", "", 1010.0, 1990.0, 5.0)],
            )
        compute_view(surface, Eye(1030.5, 1970.5, 1.7, None), 30.0, ident, back, patch=patch, resolution_m=2.0)
    except Exception as exc:  # noqa: BLE001 - a failed warm-up only makes the first request slow
        logger.warning("viewshed warm-up failed: %s", type(exc).__name__)
    finally:
        _warm.set()


def start_warm_up() -> None:
    """Start `warm_up` on a computation thread, once; requests wait for it before computing."""
    global _warming
    with _warm_started:
        if _warming:
            return
        _warming = True
    _computations()[1].submit(warm_up)


class ViewshedThrottle(ScopedRateThrottle):
    """Per-client rate for the 'viewshed' scope, read when asked so settings overrides apply."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


def _bad(message: str, code: int = status.HTTP_400_BAD_REQUEST, retry_after_s: int | None = None) -> Response:
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
    return Response({"detail": message}, status=code, headers=headers)


class ViewshedView(APIView):
    """The view from a balcony: what is seen, with numbers, and what a project would take away."""

    # Public: the balcony view is a citizen's tool; draft variants are refused in _prepare (visible_to).
    permission_classes = [AllowAny]
    throttle_classes = [ViewshedThrottle]
    throttle_scope = "viewshed"

    @extend_schema(
        summary="The view from a balcony, before and after a project",
        description=(
            "Computes, on the server's surface model (terrain + buildings, 1 m), what an eye sees within a radius: "
            "the visible area (GeoJSON and a PNG overlay to drape), the visible area in m², the sea as a share of "
            "azimuths and as a solid angle, the sky view factor, the horizon profile and the visible landmarks. "
            "With a project variant, the same numbers after it is built and the areas lost and gained. "
            "The observer is never logged nor stored. Rate-limited per client (scope 'viewshed')."
        ),
        request=serializers.ViewshedRequestSerializer,
        responses={
            200: serializers.ViewshedResponseSerializer,
            400: OpenApiResponse(
                serializers.BAD_REQUEST_SCHEMA,
                description=(
                    'Invalid observer, radius or resolution: {"detail": why}, or the invalid fields, each with its '
                    'messages ({"radius": ["The radius is limited to 2000 m."]}).'
                ),
            ),
            429: OpenApiResponse(serializers.ErrorSerializer, description="Too many views asked: wait a little."),
            503: OpenApiResponse(
                serializers.ErrorSerializer,
                description=(
                    "Timed out, every computation slot busy, or no surface model built yet; "
                    "the Retry-After header says when to ask again."
                ),
            ),
        },
        examples=[
            OpenApiExample(
                "A balcony, 3rd floor, south facade, with a project",
                request_only=True,
                value={
                    "observer": {"building": 42, "floor": 3, "facade_azimuth": 180},
                    "eye_height": 1.6,
                    "radius": 2000,
                    "variant": 1,
                },
            ),
            OpenApiExample(
                "A point picked on a facade in CesiumJS",
                request_only=True,
                value={"observer": {"lon": 7.1265, "lat": 43.5805, "height": 68.2, "building": 42}, "radius": 1500},
            ),
            OpenApiExample(
                "Standing in a square",
                request_only=True,
                value={"observer": {"lon": 7.1265, "lat": 43.5805}, "radius": 800},
            ),
        ],
        tags=["viewshed"],
    )
    def post(self, request):
        t0 = time.perf_counter()
        form = serializers.ViewshedRequestSerializer(data=request.data)
        if not form.is_valid():
            return Response(form.errors, status=status.HTTP_400_BAD_REQUEST)
        args = form.validated_data
        start_warm_up()
        slots, executor = _computations()
        if not slots.try_take():
            return _bad(
                "Every worker is computing a view: ask again in a moment.",
                status.HTTP_503_SERVICE_UNAVAILABLE,
                BUSY_RETRY_AFTER_S,
            )
        future = None
        try:
            job = _prepare(request, args)
            # The first request of a process waits for the kernels to load; the deadline is for the view itself.
            _warm.wait(timeout=300)
            future = executor.submit(job)
            future.add_done_callback(lambda _done: slots.give_back())
        except ObserverError as exc:
            return _bad(str(exc))
        except SurfaceModelMissing as exc:
            return _bad(str(exc), status.HTTP_503_SERVICE_UNAVAILABLE, NO_SURFACE_RETRY_AFTER_S)
        except SurfaceModelError as exc:
            return _bad(str(exc), status.HTTP_503_SERVICE_UNAVAILABLE)
        finally:
            if future is None:
                slots.give_back()
        timeout = float(settings.JUMEAU_VIEWSHED_TIMEOUT_S)
        try:
            result = future.result(timeout=timeout)
        except FutureTimeout:
            future.cancel()
            return _bad(
                f"The view took longer than {timeout:g} s: try a smaller radius or a coarser resolution.",
                status.HTTP_503_SERVICE_UNAVAILABLE,
                BUSY_RETRY_AFTER_S,
            )
        except ObserverError as exc:
            return _bad(str(exc))
        except ComputationTimeout as exc:
            return _bad(str(exc), status.HTTP_503_SERVICE_UNAVAILABLE, BUSY_RETRY_AFTER_S)
        except Exception as exc:  # noqa: BLE001 - any failure is told to the user without their position
            logger.error("viewshed computation failed: %s", type(exc).__name__)
            return _bad(
                "The view could not be computed: the error was reported without your position.",
                status.HTTP_500_INTERNAL_SERVER_ERROR,
            )
        result["elapsed_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        return Response(result)


def _pick_threads() -> None:
    # numba splits the wedges statically between its threads: when other processes already
    # keep every core busy, the thread that gets descheduled makes two threads slower than one.
    from viewshed.kernel import set_threads  # numba: on call, see warm_up

    cores = os.cpu_count() or 1
    set_threads(1 if os.getloadavg()[0] >= cores else cores)


def _prepare(request, args: dict):
    """Everything that needs the database, done in the request's thread; returns the pure computation."""
    # numba (the surface model's fills, the kernels): on call, see warm_up.
    from viewshed.dsm import published_surface, variant_patch
    from viewshed.service import Landmark, compute_view

    surface = published_surface()
    o = args["observer"]
    eye_height = args["eye_height"]
    if o["kind"] == "ground":
        eye = obs.from_lonlat(o["lon"], o["lat"], eye_height, o.get("height_above_ground", 0.0))
    else:
        building_id = o.get("building")
        if building_id is None and o.get("building_source_id"):
            building_id = (
                Building.objects.filter(source_id=o["building_source_id"])
                .values_list("pk", flat=True)
                .order_by("pk")
                .first()
            )
            if building_id is None:
                raise ObserverError("This building is not in the city model.")
        if o["kind"] == "pick":
            eye = obs.from_pick(o["lon"], o["lat"], o["height"], eye_height, surface.grid, building_id)
        else:
            building = Building.objects.filter(pk=building_id).first()
            if building is None:
                raise ObserverError("This building is not in the city model.")
            eye = obs.from_facade(
                building, o["floor"], eye_height, surface.grid, o.get("facade"), o.get("facade_azimuth")
            )
    patch = None
    variant_id = args.get("variant")
    if variant_id is not None:
        projects = PlanningProject.objects.visible_to(request.user)
        variant = ProjectVariant.objects.filter(pk=variant_id, project__in=projects).first()
        if variant is None:
            raise ObserverError("This project variant does not exist or is not public.")
        patch = variant_patch(variant, surface.grid)
        if patch is None:
            raise ObserverError("This project variant has no geometry to build the view after it.")
    landmarks = []
    if args["landmarks"]:
        for poi in PointOfInterest.objects.all():
            landmarks.append(
                Landmark(
                    poi.pk,
                    poi.name,
                    poi.slug,
                    poi.category,
                    poi.geom.x,
                    poi.geom.y,
                    poi.geom.z if poi.geom.hasz else 0.0,
                )
            )
    frame = city_frame()
    radius, shapes, resolution = args["radius"], args["shapes"], args.get("resolution")

    def job() -> dict:
        _pick_threads()
        result = compute_view(
            surface,
            eye,
            radius,
            frame.to_lonlat,
            frame.from_lonlat,
            patch=patch,
            landmarks=landmarks,
            shapes=shapes,
            resolution_m=resolution,
        )
        lon, lat, h = frame.to_geographic([eye.x], [eye.y], [eye.z])
        result["observer"] = {
            "lon": float(lon[0]),
            "lat": float(lat[0]),
            "height": float(h[0]),
            "z": eye.z,
            "facing_deg": eye.facing_deg,
            "building": eye.building_id,
            "floor": eye.floor,
            "facade": eye.facade,
        }
        result["variant"] = variant_id
        return result

    return job
