"""Curated walking circuits (circuits.json): ordered landmark names with the text read at each stop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gis_sync.errors import EmptySourceError, FieldValueError, FormatError
from gis_sync.formats import register
from gis_sync.formats.base import Format, ReadOptions
from gis_sync.records import CircuitRecord, ReadReport


@register
class CircuitsFormat(Format):
    """{"circuits": [{"id", "name", "description", "stops": [{"landmark", "text"}, ...]}, ...]}.

    Stops name their landmark by its exact name: the points of interest must be imported first."""

    name = "circuits"
    kind = "circuits"
    extensions = (".json",)
    has_crs = False

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> int:
        text = head[:4096].replace(b" ", b"").replace(b"\n", b"")
        return 90 if text.startswith(b'{"circuits":[') else 0

    def _scan(self, path: Path, opts: ReadOptions, report: ReadReport) -> list[Any]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FormatError(f"not valid JSON ({exc})", advice="the file looks truncated or corrupted") from None
        circuits = doc.get("circuits") if isinstance(doc, dict) else None
        if not isinstance(circuits, list):
            raise FormatError('no "circuits" list at the top level', field="circuits")
        if not circuits:
            raise EmptySourceError("the file holds no circuit")
        records = []
        for i, raw in enumerate(circuits):
            report.members += 1
            cid = str(raw.get("id") or raw.get("name") or f"#{i + 1}")
            name = (raw.get("name") or "").strip()
            stops = raw.get("stops") or []
            if not name:
                self._feature_error(
                    report, FieldValueError("a circuit needs a name", feature_id=cid, field="name"), "circuit", path
                )
                continue
            if not stops:
                self._feature_error(
                    report,
                    FieldValueError("a circuit needs at least one stop", feature_id=cid, field="stops"),
                    "circuit",
                    path,
                )
                continue
            bad = [k for k, s in enumerate(stops) if not (s.get("landmark") or "").strip()]
            if bad:
                self._feature_error(
                    report,
                    FieldValueError(f"stop {bad[0] + 1} names no landmark", feature_id=cid, field="stops.landmark"),
                    "circuit",
                    path,
                )
                continue
            records.append(
                CircuitRecord(
                    source_id=cid,
                    name=name,
                    description=(raw.get("description") or "").strip(),
                    stops=[(s["landmark"].strip(), (s.get("text") or "").strip()) for s in stops],
                    attributes={k: v for k, v in raw.items() if k not in ("stops",)},
                )
            )
            report.imported["circuit"] += 1
        return records
