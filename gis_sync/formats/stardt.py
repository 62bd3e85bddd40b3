"""StaR-DT GML reader (operators' network deliveries): XSD validation, streaming parse, code lists, survey points,
depth."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

from lxml import etree

from gis_sync import crs as crs_mod
from gis_sync import validation, xml_safe, xml_schema
from gis_sync.errors import (
    CodeListError,
    CRSError,
    EmptySourceError,
    FieldValueError,
    FormatError,
    GeometryError,
    SchemaLoadError,
    SyncError,
)
from gis_sync.formats import register
from gis_sync.formats.base import Format, ReadOptions
from gis_sync.records import NetworkNodeRecord, NetworkSegmentRecord, ReadReport
from twin.depth import DepthObservation, compute_axis, project_point

STAR = "http://cnig.gouv.fr/star-dt/core"
GML = "http://www.opengis.net/gml/3.2"
XLINK = "http://www.w3.org/1999/xlink"
XS = "http://www.w3.org/2001/XMLSchema"

# Used when no StaRDT.xsd can be read: concrete feature type -> abstract family.
BUILTIN_FAMILIES: dict[str, str] = {
    **dict.fromkeys(
        [
            "AutreCable",
            "CableElectrique",
            "CableTelecommunication",
            "AutreCanalisation",
            "CanalisationAssainissementPluviale",
            "CanalisationEau",
            "CanalisationHydrocarbureChimique",
            "CanalisationThermique",
            "Fourreau",
            "Galerie",
            "NappeCable",
            "ProtectionMecanique",
            "OuvrageEnTechniqueAlternative",
        ],
        "Troncon",
    ),
    **dict.fromkeys(["Accessoire"], "NoeudReseau"),
    **dict.fromkeys(
        ["BatimentTechnique", "Coffret", "Poteau", "Pylone", "RegardNonVisitable", "RegardVisitable"], "Conteneur"
    ),
    "PointLeveOuvrageReseau": "PointLevePCRS",
    "ProtectionInondationSubmersion": "Ouvrage",
    "Cote": "Etiquette",
    "PerimetreParticulier": "Etiquette",
    "ReseauUtilite": "ReseauUtilite",
}
NODE_TYPES = {
    "Accessoire": "fitting",
    "BatimentTechnique": "technical_building",
    "Coffret": "cabinet",
    "Poteau": "pole",
    "Pylone": "pylon",
    "RegardNonVisitable": "manhole",
    "RegardVisitable": "manhole",
    "PointLeveOuvrageReseau": "survey_point",
}
FEATURE_NETWORK = {
    "CanalisationEau": "water",
    "CanalisationThermique": "heating",
    "CableTelecommunication": "telecom",
    "CableElectrique": "electricity",
    "CanalisationHydrocarbureChimique": "gas",
}
# Operators put their network code in star-dt:code (dlva: AEP, ASS, ASSPL, ECL...).
CODE_NETWORK = [
    (re.compile(r"^ASS\s*PL|^EP\b|^PLUV", re.I), "stormwater"),
    (re.compile(r"^AEP|^EAU|^AE\b", re.I), "water"),
    (re.compile(r"^ASS|^EU\b|^UNIT", re.I), "sewer"),
    (re.compile(r"^ECL|^EP_ECL|^SLT", re.I), "lighting"),
    (re.compile(r"^ELEC|^HTA|^BT\b|^HTB", re.I), "electricity"),
    (re.compile(r"^GAZ|^GAS", re.I), "gas"),
    (re.compile(r"^TEL|^FO\b|^FIBRE", re.I), "telecom"),
    (re.compile(r"^CHAUF|^CPCU|^RCU", re.I), "heating"),
]
THEME_NETWORK = {
    "GAZ": "gas",
    "ELEC": "electricity",
    "AEP": "water",
    "EAU": "water",
    "ASS": "sewer",
    "TELECOM": "telecom",
    "TEL": "telecom",
    "CHAUF": "heating",
    "CHAUFFAGE": "heating",
    "ECL": "lighting",
    "HYDROCARBURE": "gas",
}
SEWER_TYPES = {"storm": "stormwater", "combined": "sewer", "sanitary": "sewer", "reclaimed": "sewer"}

# Code lists whose values are checked (the others are kept as delivered): INSPIRE and CNIG registers.
CODE_LISTS: dict[str, set[str]] = {
    "ConditionOfFacilityValue": {"functional", "projected", "disused", "decommissioned", "underConstruction"},
    "LeveTypeValue": {"ChargeGeneratrice", "AltitudeGeneratrice", "AltitudeFluide"},
    "PipeMaterialTypeValue": {
        "ABS",
        "asbestos",
        "blackIron",
        "blackSteel",
        "castIron",
        "clay",
        "compositeConcrete",
        "concrete",
        "CPVC",
        "FRP",
        "galvanizedSteel",
        "masonry",
        "other",
        "PB",
        "PE",
        "PEX",
        "PP",
        "prestressedReinforcedConcrete",
        "PVC",
        "reinforcedConcrete",
        "RPMP",
        "steel",
        "terracota",
        "wood",
    },
}
# French words that operators put in place of the PipeMaterialTypeValue codes (seen in the CNIG samples).
MATERIAL_ALIASES = {
    "fonte": "castIron",
    "fonteductile": "castIron",
    "fontegrise": "castIron",
    "ac": "steel",
    "acier": "steel",
    "ciment": "concrete",
    "beton": "concrete",
    "béton": "concrete",
    "pehd": "PE",
    "ephd": "PE",
    "pebd": "PE",
    "polyethylene": "PE",
    "polyéthylène": "PE",
    "pvc": "PVC",
    "gres": "clay",
    "grès": "clay",
    "amiante": "asbestos",
    "amianteciment": "asbestos",
    "fibrociment": "asbestos",
    "cuivre": "other",
    "plomb": "other",
}
LEVE_KIND = {"AltitudeGeneratrice": "top", "ChargeGeneratrice": "cover", "AltitudeFluide": "invert"}
UOM_TO_M = {
    "m": 1.0,
    "metre": 1.0,
    "meter": 1.0,
    "cm": 0.01,
    "centimetre": 0.01,
    "mm": 0.001,
    "millimetre": 0.001,
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def load_xsd_families(xsd: Path) -> dict[str, str]:
    """Concrete StaR-DT element name -> its abstract family (Troncon, Conteneur, NoeudReseau, Etiquette...),
    read from the substitution groups of StaRDT.xsd."""
    parents: dict[str, str] = {}
    abstract: set[str] = set()
    for el in xml_safe.parse(xsd).getroot().iter(f"{{{XS}}}element"):
        name, group = el.get("name"), el.get("substitutionGroup")
        if name and group:
            parents[name] = group.split(":")[-1]
            if el.get("abstract") == "true":
                abstract.add(name)
    families: dict[str, str] = {}
    tops = {"Troncon", "NoeudReseau", "Conteneur", "PointLevePCRS", "Etiquette", "Ouvrage"}
    for name in parents:
        if name in abstract or name == "member":
            continue
        cur, seen = name, set()
        while cur in parents and cur not in seen:
            seen.add(cur)
            if cur != name and cur in tops:
                break
            cur = parents[cur]
        families[name] = cur if cur in tops else parents[name]
    families["ReseauUtilite"] = "ReseauUtilite"
    return families


@register
class StarDTFormat(Format):
    """StaR-DT 1.0 GML 3.2 (CNIG): pipes, cables, sleeves, galleries, manholes, fittings and survey points."""

    name = "stardt"
    kind = "network"
    extensions = (".gml", ".xml")
    provides_depth = True
    has_crs = True
    streaming = True

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> int:
        if STAR.encode() in head and b"StaR-DT" in head:
            return 95
        return 10 if path.suffix.lower() == ".gml" else 0

    def _scan(self, path: Path, opts: ReadOptions, report: ReadReport) -> list[Any]:
        xsd = Path(opts.xsd) if opts.xsd else xml_schema.STARDT_XSD
        self._check_schema(path, xsd, report)
        families = self._families(xsd, report)
        state = _State(path, opts, report, families)
        depth = 0
        root_seen = False
        if path.stat().st_size == 0:
            raise FormatError("the file is empty", advice="ask the operator for a complete export")
        root = None
        for event, elem in xml_safe.iterparse(path):  # FormatError if broken or if it declares entities
            if event == "start":
                depth += 1
                if depth == 1:
                    root = elem
                    root_seen = True
                    if _ns(elem.tag) != STAR or _local(elem.tag) != "StaR-DT":
                        raise FormatError(
                            f"root element is {_local(elem.tag)!r}, not star-dt:StaR-DT",
                            advice="this reader takes StaR-DT deliveries; read other GML as a GIS layer",
                        )
                continue
            depth -= 1
            if depth == 1 and _local(elem.tag) == "member":
                for feature in elem:
                    state.member(feature)
                # Streaming: drop the members already read, and only those. lxml parses ahead by chunks, so the
                # next member may already hang half-built from the root: clearing the whole root would cut it.
                elem.clear(keep_tail=True)
                while elem.getprevious() is not None:
                    del root[0]
            elif depth == 1 and _local(elem.tag) == "boundedBy":
                env = next(iter(elem), None)
                if env is not None and env.get("srsName"):
                    state.default_srs = env.get("srsName")
        if not root_seen:
            raise FormatError("the file is empty", advice="ask the operator for a complete export")
        return state.finish()

    def _check_schema(self, path: Path, xsd: Path, report: ReadReport) -> None:
        """Schema violations become warnings, not errors: real deliveries are often slightly off the schema,
        and what cannot be stored is rejected feature by feature anyway. Broken XML raises FormatError."""
        try:
            check = xml_schema.validate(path, xsd, root=f"{{{STAR}}}StaR-DT")
        except SchemaLoadError as exc:
            report.warn(f"{exc.message}: the file is imported without schema validation")
            return
        if check.skipped:
            if not check.foreign_root:  # a foreign root is refused by the scan, with advice
                report.warn(check.skipped)
            return
        for v in check.violations:
            report.warn(f"{v.message} (schema {check.schema})", feature_id=v.feature_id, field=v.field, line=v.line)
        if check.total > len(check.violations):
            report.warn(
                f"{check.total - len(check.violations)} more violations of {check.schema} not listed "
                f"({check.total} in all)"
            )
        report.notes.append(
            f"validated against {check.schema} in {check.seconds * 1000:.0f} ms: "
            f"{check.total or 'no'} violation{'s' if check.total != 1 else ''}"
        )

    def _families(self, xsd: Path, report: ReadReport) -> dict[str, str]:
        try:
            families = load_xsd_families(xsd)
        except (OSError, FormatError):
            report.warn(f"{xsd.name} is not readable; built-in StaR-DT feature list used")
            return dict(BUILTIN_FAMILIES)
        report.notes.append(f"feature types checked against {xsd.name}")
        return families


class _State:
    """Everything collected while streaming one StaR-DT file."""

    def __init__(self, path: Path, opts: ReadOptions, report: ReadReport, families: dict[str, str]) -> None:
        self.path, self.opts, self.report, self.families = path, opts, report, families
        self.default_srs: str | None = None
        self.networks: dict[str, dict[str, str]] = {}
        self.segments: list[tuple[NetworkSegmentRecord, int, list[str]]] = []
        self.nodes: list[tuple[NetworkNodeRecord, int, list[str]]] = []
        self.extent: dict[int, list[float]] = {}
        self.undefined_srs: set[str] = set()
        self.grouped: Counter = Counter()
        self.first_of: dict[tuple[str, str, str], str] = {}

    # -- helpers -------------------------------------------------------------------------------------
    def soft(self, feature_type: str, fid: str, field: str, message: str) -> None:
        """A warning repeated by many features is reported once with a count."""
        key = (feature_type, field, message)
        self.grouped[key] += 1
        self.first_of.setdefault(key, fid)

    def srid_for(self, srs_name: str | None, fid: str) -> tuple[int, bool]:
        """(srid, swap_axes) for a geometry's srsName; undefined names fall back to the configured SRID."""
        name = srs_name or self.default_srs
        declared = crs_mod.srid_from_name(name)
        if name and declared is None and name not in self.undefined_srs:
            self.undefined_srs.add(name)
            if self.opts.srid:
                self.report.warn(
                    f"srsName {name!r} is not defined anywhere; coordinates read in the configured "
                    f"EPSG:{self.opts.srid}",
                    feature_id=fid,
                    field="srsName",
                )
        try:
            srid = crs_mod.resolve_srid(
                declared, self.opts.srid, file=str(self.path), what=f"srsName {name!r}" if name else "the geometry"
            )
        except CRSError as exc:
            exc.feature_id = fid
            raise
        # GML URNs/URLs follow the EPSG axis order (lat, lon for 4326); a bare 'EPSG:n' is read x-first.
        swap = bool(declared and name and not name.upper().startswith("EPSG:") and crs_mod.axis_is_northing_first(srid))
        return srid, swap

    # -- one member ----------------------------------------------------------------------------------
    def member(self, feature: etree._Element) -> None:
        report = self.report
        report.members += 1
        ftype = _local(feature.tag)
        gml_id = feature.get(f"{{{GML}}}id") or f"#{report.members}"
        ident = _text(feature, "identifiant")
        fid = feature.get(f"{{{GML}}}id") or f"{ftype}.{ident or gml_id}"  # what a technician finds in the file
        family = self.families.get(ftype)
        if ftype == "ReseauUtilite":
            self.networks[gml_id] = {k: _text(feature, k) or "" for k in ("nom", "theme", "responsable", "mention")}
            report.metadata[ftype] += 1
            return
        if family is None:
            report.reject(fid, ftype, f"{ftype} is not a feature type of StaRDT.xsd")
            return
        if family == "Etiquette":
            report.reject(fid, ftype, "annotation (dimension line or label) for drawings, not a network object")
            return
        try:
            self._feature(feature, ftype, family, gml_id, fid)
        except SyncError as exc:
            exc.feature_id = exc.feature_id or fid
            if isinstance(exc, CRSError) and not exc.field:
                raise  # no CRS at all is a file-level problem
            Format._feature_error(report, exc, ftype, self.path)

    def _feature(self, feature: etree._Element, ftype: str, family: str, gml_id: str, fid: str) -> None:
        geom_el = _child(feature, "geometrie")
        geometry = next(iter(geom_el), None) if geom_el is not None else None
        if geometry is None:
            raise GeometryError(
                f"{ftype} has no geometry",
                feature_id=fid,
                field="geometrie",
                advice="deliver the feature with its geometrie or leave it out",
            )
        kind, coords, srs_name = _parse_geometry(geometry, fid)
        srid, swap = self.srid_for(srs_name, fid)
        if swap:
            coords = [(c[1], c[0], *c[2:]) for c in coords]
        ext = self.extent.setdefault(srid, [math.inf, math.inf, -math.inf, -math.inf])
        for c in coords:
            ext[0], ext[1] = min(ext[0], c[0]), min(ext[1], c[1])
            ext[2], ext[3] = max(ext[2], c[0]), max(ext[3], c[1])
        coords = crs_mod.transform_coords(coords, srid, self.opts.storage_srid)

        attrs: dict[str, Any] = {"gml_id": gml_id}
        codes: dict[str, str | None] = {}
        for child in feature:
            name = _local(child.tag)
            if name in ("geometrie", "reseau", "geometrieSupplementaire", "pointLeve", "informationSupplementaire"):
                continue
            href = child.get(f"{{{XLINK}}}href")
            if href is not None:
                codes[name] = self._code(href, ftype, fid, name)
                attrs[name] = codes[name]
            elif len(child) == 0:
                text = (child.text or "").strip()
                if not text:
                    self.soft(ftype, fid, name, "empty optional field left empty")
                    continue
                attrs[name] = self._maybe_hex(text, ftype, fid, name)
                if child.get("uom"):
                    attrs[f"{name}_uom"] = child.get("uom")
        networks = [r.get(f"{{{XLINK}}}href", "").lstrip("#") for r in feature if _local(r.tag) == "reseau"]

        if family == "Troncon" or kind == "line":
            if kind != "line":
                raise GeometryError(f"{ftype} needs a line geometry, got a {kind}", feature_id=fid, field="geometrie")
            self.segments.append(
                (self._segment(feature, ftype, gml_id, fid, coords, attrs, codes), len(self.segments), networks)
            )
            self.report.imported[ftype] += 1
        elif kind == "point":
            self.nodes.append(
                (self._node(feature, ftype, gml_id, fid, coords, attrs, codes), len(self.nodes), networks)
            )
            self.report.imported[ftype] += 1
        else:
            self.report.reject(fid, ftype, f"surface geometry of {ftype} is not modelled in the twin yet")

    def _segment(self, feature, ftype, gml_id, fid, coords, attrs, codes) -> NetworkSegmentRecord:
        has_z = all(len(c) > 2 for c in coords)
        wkt = (
            ("LINESTRING Z (" if has_z else "LINESTRING (")
            + ", ".join(" ".join(repr(float(v)) for v in c) for c in coords)
            + ")"
        )
        seg = NetworkSegmentRecord(
            source_id=gml_id,
            feature_type=ftype,
            network_type=None,
            geometry_wkt=wkt,
            srid=self.opts.storage_srid,
            coords=[tuple(c) for c in coords],
            material=codes.get("materiau"),
            status=codes.get("statut"),
            precision_xy=self._precision(feature, "precisionXY", ftype, fid),
            precision_z=self._precision(feature, "precisionZ", ftype, fid),
            attributes=attrs,
        )
        dim = self._measure(feature, "dimension", ftype, fid)
        if dim is not None:
            seg.outer_diameter_mm = seg.nominal_diameter_mm = dim * 1000.0
        prof = self._measure(feature, "profondeurMinReg", ftype, fid)
        if prof is not None and prof > 0:
            if prof > 10:
                # The CNIG samples write 60 "metre" for a 60 cm regulatory depth.
                self.soft(
                    ftype, fid, "profondeurMinReg", "regulatory depth over 10 m is implausible: read as centimetres"
                )
                prof /= 100.0
            seg.standard_depth_m = prof
        if seg.attributes.get("valideDe", "")[:4].isdigit():
            seg.install_year = int(seg.attributes["valideDe"][:4])
        return seg

    def _node(self, feature, ftype, gml_id, fid, coords, attrs, codes) -> NetworkNodeRecord:
        c = coords[0]
        node_type = NODE_TYPES.get(ftype, "structure")
        acc = (codes.get("typeAccessoire") or "").lower()
        if "valve" in acc or "vanne" in acc or "vanne" in str(attrs.get("fonction", "")).lower():
            node_type = "valve"
        node = NetworkNodeRecord(
            source_id=gml_id,
            feature_type=ftype,
            node_type=node_type,
            network_type=None,
            geometry_wkt=f"POINT Z ({c[0]!r} {c[1]!r} {c[2]!r})" if len(c) > 2 else f"POINT ({c[0]!r} {c[1]!r})",
            srid=self.opts.storage_srid,
            status=codes.get("statut"),
            z=float(c[2]) if len(c) > 2 else None,
            z_kind="unknown" if len(c) > 2 else None,
            attributes=attrs,
        )
        if ftype == "PointLeveOuvrageReseau":
            node.precision_xy = self._cm_class(feature, "precisionXY", ftype, fid, attrs)
            node.precision_z = self._cm_class(feature, "precisionZ", ftype, fid, attrs)
            leve = self._measure(feature, "leve", ftype, fid)
            kind = LEVE_KIND.get(codes.get("typeLeve") or "")
            if leve is None:
                raise FieldValueError("survey point without its measure", feature_id=fid, field="leve")
            if kind is None:
                raise CodeListError(
                    "survey point without a typeLeve",
                    feature_id=fid,
                    field="typeLeve",
                    advice="set typeLeve to AltitudeGeneratrice, ChargeGeneratrice or AltitudeFluide",
                )
            node.z, node.z_kind = (leve, kind) if kind != "cover" else (None, "cover")
            node.attributes["leve_m"] = leve
            node.attributes["leve_kind"] = kind
        else:
            node.precision_xy = self._precision(feature, "precisionXY", ftype, fid)
            node.precision_z = self._precision(feature, "precisionZ", ftype, fid)
        return node

    # -- values --------------------------------------------------------------------------------------
    def _code(self, href: str, ftype: str, fid: str, field: str) -> str | None:
        if href.startswith("#"):
            return href
        parts = href.rstrip().split("/")
        code, codelist = parts[-1], (parts[-2] if len(parts) > 1 else "")
        if not code:
            self.soft(ftype, fid, field, f"empty {codelist or 'code list'} value left empty")
            return None
        if codelist == "PipeMaterialTypeValue":
            return self._material(code, ftype, fid, field)
        allowed = CODE_LISTS.get(codelist)
        if allowed is not None and code not in allowed:
            raise CodeListError(
                f"{code!r} is not a value of {codelist}",
                feature_id=fid,
                field=field,
                advice=f"use one of: {', '.join(sorted(allowed))}",
            )
        return code

    def _material(self, code: str, ftype: str, fid: str, field: str) -> str:
        allowed = CODE_LISTS["PipeMaterialTypeValue"]
        if code in allowed:
            return code
        by_lower = {v.lower(): v for v in allowed}
        key = code.lower().replace(" ", "").replace("-", "")
        value = by_lower.get(key) or MATERIAL_ALIASES.get(key)
        if value is None:
            raise CodeListError(
                f"{code!r} is not a value of PipeMaterialTypeValue",
                feature_id=fid,
                field=field,
                advice="use an INSPIRE PipeMaterialTypeValue code (castIron, steel, PE, PVC...)",
            )
        self.soft(ftype, fid, field, f"non-standard material {code!r} read as {value!r}")
        return value

    def _precision(self, feature, name: str, ftype: str, fid: str) -> str | None:
        text = _text(feature, name)
        if not text:
            return None
        if text in ("A", "B", "C"):
            return text
        if text.startswith("other:"):
            self.soft(ftype, fid, name, f"precision class {text!r} is outside A/B/C: left unknown")
            return None
        raise CodeListError(
            f"precision class {text!r} is not A, B or C",
            feature_id=fid,
            field=name,
            advice="use the DT-DICT classes A, B or C",
        )

    def _cm_class(self, feature, name: str, ftype: str, fid: str, attrs: dict) -> str | None:
        """PCRS survey points give precision in centimetres; map it to the DT-DICT class."""
        text = _text(feature, name)
        if not text:
            return None
        try:
            cm = float(text)
        except ValueError:
            raise FieldValueError(f"{text!r} is not a number of centimetres", feature_id=fid, field=name) from None
        validation.check_number(
            cm, feature_id=fid, field=name, line=_child(feature, name).sourceline, low=0.0, high=100_000.0, unit=" cm"
        )
        attrs[f"{name}_cm"] = cm
        return "A" if cm <= 40 else "B" if cm <= 150 else "C"

    def _measure(self, feature, name: str, ftype: str, fid: str) -> float | None:
        el = _child(feature, name)
        if el is None or not (el.text or "").strip():
            return None
        text = el.text.strip()
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise FieldValueError(f"{text!r} is not a number", feature_id=fid, field=name) from None
        uom = (el.get("uom") or "m").rsplit(":", 1)[-1].lower()
        low, high = validation.Z_RANGE
        return validation.check_number(
            value * UOM_TO_M.get(uom, 1.0),
            feature_id=fid,
            field=name,
            line=el.sourceline,
            low=low,
            high=high,
            unit=" m",
        )

    def _maybe_hex(self, text: str, ftype: str, fid: str, field: str) -> str:
        # Some exports write Latin-1 text as hexadecimal bytes (dlva: 426F7563686520E020636CE9).
        if len(text) >= 8 and len(text) % 2 == 0 and re.fullmatch(r"[0-9A-Fa-f]+", text) and not text.isdigit():
            try:
                decoded = bytes.fromhex(text).decode("cp1252")
            except UnicodeDecodeError:
                return text
            if decoded.isprintable():
                self.soft(ftype, fid, field, "hexadecimal text decoded as Windows-1252")
                return decoded
        return text

    # -- end -----------------------------------------------------------------------------------------
    def finish(self) -> list[Any]:
        report = self.report
        if report.members == 0:
            raise EmptySourceError("the StaR-DT file has no member", file=str(self.path))
        for srid, ext in self.extent.items():
            crs_mod.check_area_of_use(srid, ext, file=str(self.path))
        if self.extent:
            report.source_srid = next(iter(self.extent))
        for (ftype, field, message), count in sorted(self.grouped.items()):
            report.warn(
                f"{message} ({count} × {ftype})", feature_id=self.first_of[(ftype, field, message)], field=field
            )
        self._resolve_references()
        for rec, _, nets in self.segments + self.nodes:
            rec.network_type = self._network_type(rec.feature_type, rec.attributes, nets)
            net = self.networks.get(nets[0]) if nets else None
            if net:
                rec.operator = net.get("responsable") or None
                rec.attributes["network"] = net.get("nom")
        self._attach_survey_points()
        for seg, _, _ in self.segments:
            seg.axis = compute_axis(
                seg.coords,
                seg.depth_observations,
                outer_diameter_mm=seg.outer_diameter_mm,
                network_type=seg.network_type,
                standard_cover_m=seg.standard_depth_m,
                precision_z=seg.precision_z,
                terrain_z=self.opts.terrain_z,
            )
        return [s for s, _, _ in self.segments] + [n for n, _, _ in self.nodes]

    def _resolve_references(self) -> None:
        """star-dt:reseau links that point nowhere in the file (FME writes xlink:href="#Reseau" whatever the
        network's gml:id) are warned about and read as the file's one network description, when it has one;
        otherwise the operator and network type come from the sync options."""
        described = {(n.get("responsable"), n.get("theme")) for n in self.networks.values()}
        fallback = next(iter(self.networks)) if len(described) == 1 else None
        dangling: Counter = Counter()
        for _, _, nets in self.segments + self.nodes:
            missing = [ref for ref in nets if ref and ref not in self.networks]
            dangling.update(missing)
            if missing and fallback and not any(ref in self.networks for ref in nets):
                nets[:] = [fallback]
        for ref, count in sorted(dangling.items()):
            if fallback:
                net = self.networks[fallback]
                then = (
                    f"read as the file's only network {fallback!r} (responsable {net.get('responsable')!r}, "
                    f"theme {net.get('theme')!r})"
                )
            else:
                then = (
                    "the operator and network type come from --option operator=... network_type=... "
                    f"({len(self.networks)} network descriptions in the file, none to choose)"
                )
            self.report.warn(
                f"xlink:href '#{ref}' of star-dt:reseau points to no element of the file ({count} features): {then}",
                field="reseau",
            )

    def _network_type(self, ftype: str, attrs: dict, nets: list[str]) -> str | None:
        if ftype == "CanalisationAssainissementPluviale":
            kind = SEWER_TYPES.get(attrs.get("typeAssainissement") or "")
            if kind:
                return kind
        code = str(attrs.get("code") or "")
        for pattern, net in CODE_NETWORK:
            if code and pattern.search(code):
                if ftype in FEATURE_NETWORK and FEATURE_NETWORK[ftype] != "electricity":
                    break
                return net
        if ftype in FEATURE_NETWORK:
            return FEATURE_NETWORK[ftype]
        if ftype == "CanalisationAssainissementPluviale":
            return "sewer"
        for ref in nets:
            theme = (self.networks.get(ref) or {}).get("theme", "").upper()
            if theme in THEME_NETWORK:
                return THEME_NETWORK[theme]
        return None

    def _attach_survey_points(self) -> None:
        """Give each survey point's measure to the segments it lies on (within its planimetric precision)."""
        survey = [n for n, _, _ in self.nodes if n.feature_type == "PointLeveOuvrageReseau"]
        for node in survey:
            x, y = _point_xy(node.geometry_wkt)
            tol = max(0.10, float(node.attributes.get("precisionXY_cm", 0)) / 100.0)
            matched = []
            for seg, _, _ in self.segments:
                pos, off = project_point(seg.coords, x, y)
                if off <= tol:
                    seg.depth_observations.append(
                        DepthObservation(
                            kind=node.attributes["leve_kind"],
                            value=node.attributes["leve_m"],
                            position=pos,
                            point=(x, y),
                            source="survey",
                            precision_z=node.precision_z,
                        )
                    )
                    matched.append(seg.source_id)
            node.attributes["segments"] = matched
            if matched:
                first = next(s for s, _, _ in self.segments if s.source_id == matched[0])
                node.network_type = node.network_type or first.network_type
            if not matched:
                self.report.warn(
                    "survey point lies on no segment: its measure is not used",
                    feature_id=f"PointLeveOuvrageReseau.{node.attributes.get('numeroPoint', node.source_id)}",
                )


def _child(el: etree._Element, name: str) -> etree._Element | None:
    return el.find(f"{{{STAR}}}{name}")


def _text(el: etree._Element, name: str) -> str | None:
    c = _child(el, name)
    return c.text.strip() if c is not None and c.text and c.text.strip() else None


def _point_xy(wkt: str) -> tuple[float, float]:
    nums = re.findall(r"[-+0-9.eE]+", wkt.split("(", 1)[1])
    return float(nums[0]), float(nums[1])


def _numbers(text: str, fid: str, field: str) -> list[float]:
    try:
        return [float(v) for v in text.split()]
    except ValueError:
        bad = next(v for v in text.split() if not _is_float(v))
        raise GeometryError(f"{bad!r} in the coordinates is not a number", feature_id=fid, field=field) from None


def _is_float(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


def _dimension(el: etree._Element, default: int, fid: str) -> int:
    text = el.get("srsDimension")
    if not text:
        return default
    if not text.strip().isdigit():
        raise GeometryError(
            f"line {el.sourceline}: srsDimension {text!r} is not a whole number", feature_id=fid, field="srsDimension"
        )
    return int(text)


def _parse_geometry(geom: etree._Element, fid: str) -> tuple[str, list[tuple[float, ...]], str | None]:
    """('point' | 'line' | 'surface', coordinates, srsName) of a GML 3.2 geometry."""
    local = _local(geom.tag)
    srs = geom.get("srsName")
    dim = _dimension(geom, 0, fid)
    field = "geometrie"
    if local == "Point":
        pos = geom.find(f"{{{GML}}}pos")
        if pos is None or not (pos.text or "").strip():
            raise GeometryError("gml:Point without gml:pos", feature_id=fid, field=field)
        vals = _numbers(pos.text, fid, field)
        dim = _dimension(pos, dim or len(vals), fid)
        if len(vals) != dim or dim not in (2, 3):
            raise GeometryError(f"gml:pos has {len(vals)} values for {dim} dimensions", feature_id=fid, field=field)
        validation.check_coords([vals], feature_id=fid, field=field, line=pos.sourceline)
        return "point", [tuple(vals)], srs
    if local in ("LineString", "Curve", "MultiCurve", "CompositeCurve"):
        coords: list[tuple[float, ...]] = []
        pos_lists = list(geom.iter(f"{{{GML}}}posList"))
        if pos_lists:
            for pl in pos_lists:
                vals = _numbers(pl.text or "", fid, field)
                d = _dimension(pl, dim or 2, fid)
                if d not in (2, 3) or len(vals) % d:
                    raise GeometryError(
                        f"gml:posList has {len(vals)} values, not a multiple of srsDimension {d}",
                        feature_id=fid,
                        field=field,
                    )
                pts = [tuple(vals[i : i + d]) for i in range(0, len(vals), d)]
                validation.check_coords(pts, feature_id=fid, field=field, line=pl.sourceline)
                if coords and pts and coords[-1][:2] == pts[0][:2]:
                    pts = pts[1:]
                coords.extend(pts)
        else:
            for pos in geom.iter(f"{{{GML}}}pos"):
                coords.append(tuple(_numbers(pos.text or "", fid, field)))
                validation.check_coords(coords[-1:], feature_id=fid, field=field, line=pos.sourceline)
        if len(coords) < 2:
            raise GeometryError("a line needs at least two positions", feature_id=fid, field=field)
        if all(a[:2] == coords[0][:2] for a in coords):
            raise GeometryError("the line has zero length", feature_id=fid, field=field)
        if len({len(c) for c in coords}) > 1:
            raise GeometryError("the line mixes 2D and 3D positions", feature_id=fid, field=field)
        return "line", coords, srs
    if local in ("Polygon", "Surface", "MultiSurface"):
        first = [tuple(_numbers(p.text or "", fid, field)[:2]) for p in geom.iter(f"{{{GML}}}posList")][:1]
        validation.check_coords(first, feature_id=fid, field=field, line=geom.sourceline)
        return "surface", first or [(0.0, 0.0)], srs
    raise GeometryError(f"unsupported geometry gml:{local}", feature_id=fid, field=field)
