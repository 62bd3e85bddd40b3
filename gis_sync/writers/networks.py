"""Network records → twin NetworkOperator, Network, NetworkSegment (+ DepthObservation, 3D axis), NetworkNode."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import LineString, Point

from gis_sync.records import NetworkNodeRecord, NetworkSegmentRecord
from gis_sync.writers.base import Row, WriteContext, WriteResult, box_of, sync_rows
from twin.models import DepthObservation, Network, NetworkNode, NetworkOperator, NetworkSegment, NetworkType

LAYER = "networks"
UNKNOWN_OPERATOR = "Exploitant non renseigné"
# What a node's z measures decides which altitude field it fills.
COVER_KINDS = {"altitude", "ground", "cover_level"}
INVERT_KINDS = {"invert"}


class NetworkResolver:
    """Finds or creates the operator and network of each record: the file wins where it says, options fill in."""

    def __init__(self, ctx: WriteContext, records: list[Any]) -> None:
        self.ctx = ctx
        self.cache: dict[tuple[str, str, str], int] = {}
        self.soft: Counter = Counter()
        # Members that do not reference their network (survey points, say) join the one network the file
        # names for their type, rather than a second network named from the options.
        named: dict[str | None, set[str]] = {}
        for rec in records:
            if rec.attributes.get("network"):
                named.setdefault(rec.network_type, set()).add(rec.attributes["network"])
        self.file_network = {t: next(iter(names)) for t, names in named.items() if len(names) == 1}

    def network_id(self, operator: str | None, network_type: str | None, file_network: str | None) -> int:
        opts = self.ctx.options
        op_name = (operator or opts.get("operator") or "").strip()
        if not op_name:
            op_name = UNKNOWN_OPERATOR
            self.soft[
                "no operator in the file nor in the options: filed under "
                f"{UNKNOWN_OPERATOR!r} (pass --option operator=...)"
            ] += 1
        ntype = network_type or opts.get("network_type")
        if ntype not in NetworkType.values:
            self.soft[f"network type {ntype!r} unknown: filed as 'other' (pass --option network_type=...)"] += 1
            ntype = NetworkType.OTHER
        name = (
            file_network
            or self.file_network.get(network_type)
            or (opts.get("network") if opts.get("network_type") in (None, ntype) else None)
        )
        name = (name or f"{NetworkType(ntype).label} — {op_name}")[:200]
        key = (op_name[:200], ntype, name)
        if key not in self.cache:
            op, _ = NetworkOperator.objects.get_or_create(name=key[0])
            net, _ = Network.objects.get_or_create(operator=op, network_type=ntype, name=name)
            self.cache[key] = net.pk
        return self.cache[key]


def write(records: list[Any], ctx: WriteContext) -> WriteResult:
    resolver = NetworkResolver(ctx, records)
    soft: Counter = Counter()
    segments = [_segment_row(r, ctx, resolver, soft) for r in records if isinstance(r, NetworkSegmentRecord)]
    nodes = [_node_row(r, ctx, resolver, soft) for r in records if isinstance(r, NetworkNodeRecord)]
    for message, count in (resolver.soft + soft).items():
        ctx.warn(f"{message} ({count} features)")

    def observations(saved, replaced_pks: list[int]) -> None:
        for start in range(0, len(replaced_pks), 1000):
            DepthObservation.objects.filter(segment_id__in=replaced_pks[start : start + 1000]).delete()
        objs = [
            DepthObservation(
                segment_id=seg.pk,
                **{**values, "point": Point(*values["point"], srid=ctx.srid) if values["point"] else None},
            )
            for seg, row in saved
            for values in row.children
        ]
        DepthObservation.objects.bulk_create(objs, batch_size=1000)

    extent = settings.JUMEAU_EXTENT
    result = sync_rows(
        NetworkSegment,
        segments,
        ctx,
        geom_field="geom",
        layer=LAYER,
        what="network segments",
        extent=extent,
        after_save=observations,
    )
    return result.add(
        sync_rows(NetworkNode, nodes, ctx, geom_field="geom", layer=LAYER, what="network nodes", extent=extent)
    )


def _segment_row(rec: NetworkSegmentRecord, ctx: WriteContext, resolver: NetworkResolver, soft: Counter) -> Row:
    xy = [(float(c[0]), float(c[1])) for c in rec.coords]
    length = sum(math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(xy, xy[1:]))
    observations = [
        {
            "kind": o.kind,
            "value": float(o.value),
            "fraction": None if o.position is None or length == 0 else max(0.0, min(1.0, o.position / length)),
            "point": tuple(o.point) if o.point else None,
            "precision_z": o.precision_z or "",
            "note": (o.source or "")[:200],
        }
        for o in rec.depth_observations
    ]
    axis = rec.axis
    if axis is None:
        soft["no 3D axis: no depth the terrain can turn into an altitude (import the terrain first)"] += 1
    elif axis.estimated:
        soft["3D axis estimated from the network's standard depth"] += 1
    network_id = resolver.network_id(rec.operator, rec.network_type, rec.attributes.get("network"))
    values = {
        "network_id": network_id,
        "feature_type": rec.feature_type[:80],
        "axis_method": axis.method if axis else "",
        "axis_is_estimate": bool(axis and axis.estimated),
        "axis_uncertainty_m": axis.uncertainty_m if axis else None,
        "material": (rec.material or "")[:80],
        "diameter_nominal_mm": rec.nominal_diameter_mm,
        "diameter_outer_mm": rec.outer_diameter_mm,
        "diameter_inner_mm": rec.inner_diameter_mm,
        "precision_xy": rec.precision_xy or "C",
        "precision_z": rec.precision_z or "C",
        "status": (rec.status or "")[:40],
        "install_year": rec.install_year,
        "attributes": rec.attributes,
    }
    digest = NetworkSegment.hash_content(
        network_id,
        rec.feature_type,
        xy,
        [(o.kind, o.value, o.position, o.point, o.source, o.precision_z) for o in rec.depth_observations],
        [tuple(round(v, 4) for v in c) for c in axis.coords] if axis else None,
        values["axis_method"],
        values["material"],
        rec.nominal_diameter_mm,
        rec.outer_diameter_mm,
        rec.inner_diameter_mm,
        values["precision_xy"],
        values["precision_z"],
        values["status"],
        rec.install_year,
        rec.attributes,
    )

    def with_geometries() -> dict:
        # Built only for rows that get written: GEOS objects are the dearest part of an unchanged row.
        return {
            **values,
            "geom": LineString(xy, srid=rec.srid),
            "axis": LineString(axis.coords, srid=rec.srid) if axis else None,
        }

    return Row(rec.source_id, digest, with_geometries, box_of(xy), children=observations)


def _node_row(rec: NetworkNodeRecord, ctx: WriteContext, resolver: NetworkResolver, soft: Counter) -> Row:
    x, y, *rest = _point_coords(rec.geometry_wkt)
    z = rec.z if rec.z is not None else (rest[0] if rest else None)
    if rec.z_kind in ("cover", "top") or z is None:
        # A depth, or nothing: the node is drawn on the ground.
        ground = _ground(ctx, x, y)
        if z is None:
            z = ground
    if z is None:
        soft["node height unknown (no z, no terrain under it): 0 m used"] += 1
        z = 0.0
    network_id = resolver.network_id(rec.operator, rec.network_type, rec.attributes.get("network"))
    values = {
        "network_id": network_id,
        "node_type": rec.node_type[:80],
        "geom": Point(x, y, float(z), srid=rec.srid),
        "cover_z": rec.z if rec.z_kind in COVER_KINDS else None,
        "invert_z": rec.invert_z if rec.invert_z is not None else (rec.z if rec.z_kind in INVERT_KINDS else None),
        "precision_xy": rec.precision_xy or "C",
        "precision_z": rec.precision_z or "C",
        "attributes": rec.attributes,
    }
    digest = NetworkNode.hash_content(
        network_id, rec.node_type, x, y, z, rec.z_kind, values["precision_xy"], values["precision_z"], rec.attributes
    )
    return Row(rec.source_id, digest, values, (x, y, x, y))


def _ground(ctx: WriteContext, x: float, y: float) -> float | None:
    if ctx.terrain_z is None:
        return None
    z = float(ctx.terrain_z([x], [y])[0])
    return z if math.isfinite(z) else None


def _point_coords(wkt: str) -> list[float]:
    return [float(v) for v in wkt.split("(", 1)[1].rstrip(") ").split()]
