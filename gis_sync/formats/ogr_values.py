"""A GDAL feature's attribute values read once, by index, through GDAL's C API (the hot loop of big layers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.gdal.field import ROGRFieldTypes
from django.contrib.gis.gdal.prototypes import ds as capi

from gis_sync.errors import FormatError

# OGR field types read here directly; the others (dates, lists, binary) go through Django's Field classes.
OFT_INTEGER, OFT_REAL, OFT_STRING, OFT_INTEGER64 = 0, 2, 4, 12


class FeatureValues:
    """Looks like Django's Feature for what the readers use (get, fields, geom, fid), at a fraction of the cost:
    Django looks each field up by name and builds a Field object per value, about 25 µs each."""

    __slots__ = ("feature", "values")

    def __init__(self, feature: Any, values: dict[str, Any]) -> None:
        self.feature = feature
        self.values = values

    def get(self, name: str) -> Any:
        return self.values[name]

    @property
    def fields(self) -> list[str]:
        return list(self.values)

    @property
    def geom(self) -> Any:
        return self.feature.geom

    @property
    def fid(self) -> int:
        return self.feature.fid


def iter_values(layer: Any, encoding: str) -> Iterator[FeatureValues]:
    """Every feature of a Django Layer with its values; text decoded with `encoding` (UnicodeDecodeError if it
    does not fit, as Django's own reading would)."""
    names = list(layer.fields)
    kinds = [ROGRFieldTypes[t] for t in layer.field_types]
    plan = list(enumerate(zip(names, kinds)))
    is_set, as_int, as_int64 = capi.is_field_set, capi.get_field_as_integer, capi.get_field_as_integer64
    as_double, as_string = capi.get_field_as_double, capi.get_field_as_string
    for feature in _features(layer):
        ptr = feature.ptr
        values: dict[str, Any] = {}
        for i, (name, kind) in plan:
            if not is_set(ptr, i):
                values[name] = None
            elif kind == OFT_STRING:
                raw = as_string(ptr, i)
                values[name] = raw.decode(encoding) if isinstance(raw, bytes) else raw
            elif kind == OFT_REAL:
                values[name] = as_double(ptr, i)
            elif kind == OFT_INTEGER:
                values[name] = as_int(ptr, i)
            elif kind == OFT_INTEGER64:
                values[name] = as_int64(ptr, i)
            else:
                values[name] = feature[i].value  # by index: a name GDAL decoded oddly would not be found
        yield FeatureValues(feature, values)


def _features(layer: Any) -> Iterator[Any]:
    """The layer's features; a feature GDAL cannot decode (a corrupt page of a GeoPackage) is a FormatError."""
    features = iter(layer)
    read = 0
    while True:
        try:
            feature = next(features)
        except StopIteration:
            return
        except GDALException as exc:
            raise FormatError(
                f"layer {layer.name}: GDAL cannot read the feature after the first {read} ({exc})",
                advice="the file looks corrupted: export it again",
            ) from None
        read += 1
        yield feature
