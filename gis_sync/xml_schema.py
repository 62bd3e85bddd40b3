"""XML Schema validation of GML deliveries, offline, against the schemas shipped in gis_sync/schemas."""

from __future__ import annotations

import bisect
import functools
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from gis_sync import xml_safe
from gis_sync.errors import FormatError, SchemaLoadError

SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
STARDT_XSD = SCHEMAS_DIR / "stardt" / "StaRDT.xsd"
# Remote schemas imported by StaRDT.xsd (scheme left out) -> the local copies that stand for them.
LOCAL_COPIES: dict[str, Path] = {
    "schemas.opengis.net/gml/3.2.1/gml.xsd": SCHEMAS_DIR / "stardt" / "gml.xsd",
    "schemas.opengis.net/gml/3.3/extdEncRule.xsd": SCHEMAS_DIR / "stardt" / "gmlexr.xsd",
    "www.w3.org/1999/xlink.xsd": SCHEMAS_DIR / "stardt" / "xlink.xsd",
}
# A parsed tree takes several times the file's size in memory: bigger files are imported unchecked.
MAX_VALIDATED_BYTES = 200_000_000
MAX_LISTED = 50
GML_ID = "{http://www.opengis.net/gml/3.2}id"
KNOWN_PREFIXES = {
    "http://cnig.gouv.fr/star-dt/core": "star-dt",
    "http://www.opengis.net/gml/3.2": "gml",
    "http://www.w3.org/1999/xlink": "xlink",
}


@dataclass(frozen=True)
class Violation:
    """One schema violation: 1-based line, enclosing feature's gml:id and property (when inside one)."""

    line: int
    feature_id: str | None
    field: str | None
    message: str


@dataclass
class SchemaCheck:
    """The outcome of validating one file: the first violations, their total, or why it was not checked."""

    schema: str
    violations: list[Violation] = field(default_factory=list)
    total: int = 0
    skipped: str | None = None
    foreign_root: bool = False  # skipped because the root element is not the expected one
    seconds: float = 0.0

    @property
    def valid(self) -> bool:
        return self.skipped is None and self.total == 0


class _LocalCopies(etree.Resolver):
    """Answers the schema imports that point at schemas.opengis.net with the shipped copies."""

    def resolve(self, url: str | None, pubid: str | None, context: object):
        key = re.sub(r"^[a-z]+://", "", url or "")
        local = LOCAL_COPIES.get(key)
        return self.resolve_filename(str(local), context) if local is not None else None


def _schema_parser() -> etree.XMLParser:
    # The hardened parser, plus the local copies of the schemas that StaRDT.xsd imports from the web.
    parser = xml_safe.parser()
    parser.resolvers.add(_LocalCopies())
    return parser


@functools.lru_cache(maxsize=8)
def _compiled(path: str, mtime_ns: int) -> tuple[etree.XMLSchema, threading.Lock]:
    try:
        schema = etree.XMLSchema(etree.parse(path, _schema_parser()))
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaLoadError(f"the schema {os.path.basename(path)} cannot be compiled ({exc})", file=path) from None
    # An XMLSchema keeps its error log on itself: one validation at a time per schema.
    return schema, threading.Lock()


def load_schema(xsd: Path) -> tuple[etree.XMLSchema, threading.Lock]:
    """The compiled schema at `xsd` (compiled once per process and per file version) and its lock."""
    try:
        mtime = xsd.stat().st_mtime_ns
    except OSError:
        raise SchemaLoadError(f"the schema {xsd} does not exist", file=str(xsd)) from None
    return _compiled(str(xsd.resolve()), mtime)


def validate(
    path: Path,
    xsd: Path = STARDT_XSD,
    *,
    root: str | None = None,
    limit: int | None = None,
    max_bytes: int | None = None,
) -> SchemaCheck:
    """Validate the XML file `path` against `xsd`. Raise FormatError if it is not well-formed XML, and
    SchemaLoadError if the schema cannot be compiled. Files over `max_bytes`, or whose root element is not
    `root` (Clark notation), are not checked and `skipped` says why. Violations beyond `limit` are only counted."""
    check = SchemaCheck(schema=xsd.name)
    max_bytes = MAX_VALIDATED_BYTES if max_bytes is None else max_bytes
    limit = MAX_LISTED if limit is None else limit
    size = path.stat().st_size
    if size == 0:
        raise FormatError("the file is empty", file=str(path), advice="ask the operator for a complete export")
    if size > max_bytes:
        check.skipped = (
            f"the file is {size / 1e6:.3g} MB, over the {max_bytes / 1e6:.3g} MB validated in memory:"
            f" it is imported without validation against {xsd.name}"
        )
        return check
    start = time.perf_counter()
    doc = xml_safe.parse(path)  # FormatError if broken or if it declares entities
    top = doc.getroot()
    if root is not None and top.tag != root:
        check.skipped = f"the root element is {top.tag}, not {root}: not validated against {xsd.name}"
        check.foreign_root = True
        return check
    schema, lock = load_schema(xsd)
    with lock:
        schema.validate(doc)
        entries = [e for e in schema.error_log if e.level >= etree.ErrorLevels.ERROR]
    check.total = len(entries)
    if entries:
        features = _FeatureIndex(top)
        prefixes = {**{ns: p for p, ns in top.nsmap.items() if p}, **KNOWN_PREFIXES}
        for entry in entries[:limit]:
            check.violations.append(
                Violation(
                    line=entry.line,
                    feature_id=features.at(entry.line),
                    field=_property(entry.path),
                    message=_short_names(entry.message, prefixes),
                )
            )
    check.seconds = time.perf_counter() - start
    return check


class _FeatureIndex:
    """Maps a line to the gml:id of the feature whose member element encloses it."""

    def __init__(self, root: etree._Element) -> None:
        self.starts: list[int] = []
        self.ids: list[str | None] = []
        for member in root.iterchildren(tag=etree.Element):
            features = [f for f in member.iterchildren(tag=etree.Element) if f.get(GML_ID)]
            if len(features) == 1:  # one feature per member: errors on the member's own line are its too
                self._add(member.sourceline, features[0].get(GML_ID))
            elif features:  # a featureMembers-like property holding several features
                self._add(member.sourceline, None)
                for f in features:
                    self._add(f.sourceline, f.get(GML_ID))
            else:  # boundedBy and the like: errors there belong to no feature
                self._add(member.sourceline, None)

    def _add(self, line: int | None, gml_id: str | None) -> None:
        if line is not None and (not self.starts or line >= self.starts[-1]):
            self.starts.append(line)
            self.ids.append(gml_id)

    def at(self, line: int) -> str | None:
        i = bisect.bisect_right(self.starts, line) - 1
        return self.ids[i] if i >= 0 else None


def _property(path: str | None) -> str | None:
    """The feature property named in a libxml2 node path (/root/member[3]/Feature/property/...)."""
    steps = [s for s in (path or "").split("/") if s]
    if len(steps) < 4:
        return None
    return re.sub(r"\[\d+\]$", "", steps[3]).split(":")[-1]


def _short_names(message: str, prefixes: dict[str, str]) -> str:
    """'{http://www.opengis.net/gml/3.2}pos' -> 'gml:pos' in libxml2's messages."""

    def short(m: re.Match[str]) -> str:
        prefix = prefixes.get(m.group(1))
        return f"{prefix}:" if prefix else m.group(0)

    return re.sub(r"\{([^{}\s]+)\}", short, message).strip()
