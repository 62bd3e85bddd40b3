"""Gas distribution as a StaR-DT GML 3.2 delivery, modelled on GRDF's sample in the CNIG repository."""

from __future__ import annotations

import uuid
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from .extent import to_l93
from .networks_raepa import _edge_line, _street_tree
from .streets import StreetNetwork
from .terrain import Terrain

GAS_SHIFT = (0.8, -1.6)
REGULATOR_LONLAT = (7.1150, 43.5885)  # poste de détente on the Route de Grasse
_NS = (
    'xmlns:gss="http://www.isotc211.org/2005/gss" xmlns:star-dt-ii="http://cnig.gouv.fr/star-dt/inspireimports" '
    'xmlns:gsr="http://www.isotc211.org/2005/gsr" xmlns:gco="http://www.isotc211.org/2005/gco" '
    'xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gmlexr="http://www.opengis.net/gml/3.3/exr" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:gts="http://www.isotc211.org/2005/gts"'
)
_INSPIRE = "http://inspire.ec.europa.eu/codelist"
_REGISTRE = "http://registre.geocatalogue.fr/codelist"


def _pos(xy: np.ndarray) -> str:
    return " ".join(f"{x:.3f} {y:.3f}" for x, y in xy)


def write_gas(streets: StreetNetwork, terrain: Terrain, path: Path, seed: int) -> Path:
    """gas.gml: StaR-DT CanalisationHydrocarbureChimique + PointLeveOuvrageReseau, EPSG:2154.

    Surveyed points carry the altitude of the pipe's generatrix (NGF-IGN69, m) in `leve`.
    """
    rng = np.random.default_rng(seed + 30)

    def new_id() -> str:
        return "id" + str(uuid.UUID(bytes=rng.bytes(16), version=4))

    tree = _street_tree(streets, to_l93(*REGULATOR_LONLAT), max_edges=300)
    by_id = {s.id: s for s in streets.streets}
    members: list[str] = []
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<star-dt:StaR-DT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:star-dt="http://cnig.gouv.fr/star-dt/core" '
        'xsi:schemaLocation="http://cnig.gouv.fr/star-dt/core StaRDT.xsd" gml:id="uuid_1">\n'
    )
    members.append(
        f'\t<star-dt:member>\n\t\t<star-dt:ReseauUtilite gml:id="Reseau" {_NS}>\n'
        "\t\t\t<star-dt:nom>Réseau de distribution de gaz d'Antibes (démo)</star-dt:nom>\n"
        "\t\t\t<star-dt:theme>GAZ</star-dt:theme>\n"
        "\t\t\t<star-dt:mention>Jeu de démonstration Jumeau, réseau fictif</star-dt:mention>\n"
        "\t\t\t<star-dt:responsable>GRDF</star-dt:responsable>\n"
        "\t\t</star-dt:ReseauUtilite>\n\t</star-dt:member>\n"
    )
    point_no = 0
    for k, (child, par) in enumerate(sorted(tree.parent.items())):
        line = _edge_line(by_id, tree.edge[child], par)
        xy = np.asarray(line.coords) + np.array(GAS_SHIFT)
        pid = new_id()
        year = int(rng.integers(1965, 2023))
        material = "PE" if year > 1985 else "steel" if rng.random() < 0.5 else "fonte"
        surveyed = rng.random() < 0.35
        cls_xy = "A" if surveyed else str(rng.choice(["B", "C"]))
        depth = float(rng.uniform(0.6, 1.1))
        level_refs: list[str] = []
        if surveyed:
            # levé points at both ends and every ~25 m, as a surveyor does along an open trench
            n = max(2, int(line.length // 25.0) + 1)
            for f in np.linspace(0.0, 1.0, n):
                p = line.interpolate(float(f), normalized=True)
                x, y = p.x + GAS_SHIFT[0], p.y + GAS_SHIFT[1]
                point_no += 1
                lid = new_id()
                level_refs.append(lid)
                alt = terrain.height_at(x, y) - depth
                members.append(
                    f'\t<star-dt:member>\n\t\t<star-dt:PointLeveOuvrageReseau gml:id="{lid}" {_NS}>\n'
                    "\t\t\t<star-dt:geometrie>\n"
                    f'\t\t\t\t<gml:Point gml:id="{lid}-0" srsName="EPSG:2154" srsDimension="2">\n'
                    f"\t\t\t\t\t<gml:pos>{x:.3f} {y:.3f}</gml:pos>\n\t\t\t\t</gml:Point>\n\t\t\t</star-dt:geometrie>\n"
                    "\t\t\t<star-dt:horodatage>"
                    f"{2015 + point_no % 9}-0{1 + point_no % 9}-1{point_no % 9}"
                    "</star-dt:horodatage>\n"
                    f"\t\t\t<star-dt:numeroPoint>M{point_no:04d}</star-dt:numeroPoint>\n"
                    f"\t\t\t<star-dt:precisionXY>{int(rng.integers(2, 10))}</star-dt:precisionXY>\n"
                    f"\t\t\t<star-dt:precisionZ>{int(rng.integers(2, 10))}</star-dt:precisionZ>\n"
                    "\t\t\t<star-dt:producteur>GRDF</star-dt:producteur>\n"
                    f'\t\t\t<star-dt:typeLeve xlink:href="{_REGISTRE}/LeveTypeValue/AltitudeGeneratrice"/>\n'
                    f'\t\t\t<star-dt:leve uom="urn:ogc:def:uom:OGC:1.0:metre">{alt:.2f}</star-dt:leve>\n'
                    "\t\t</star-dt:PointLeveOuvrageReseau>\n\t</star-dt:member>\n"
                )
        pressure = 4.0 if material != "PE" or k % 5 == 0 else 0.021
        refs = "".join(f'\t\t\t<star-dt:pointLeve xlink:href="#{r}"/>\n' for r in level_refs)
        members.append(
            f'\t<star-dt:member>\n\t\t<star-dt:CanalisationHydrocarbureChimique gml:id="{pid}" {_NS}>\n'
            f"{refs}"
            '\t\t\t<star-dt:reseau xlink:href="#Reseau"/>\n'
            f"\t\t\t<star-dt:identifiant>{k + 1}</star-dt:identifiant>\n"
            f"\t\t\t<star-dt:code>ANT-{k + 1:05d}</star-dt:code>\n"
            f"\t\t\t<star-dt:precisionXY>{cls_xy}</star-dt:precisionXY>\n"
            f"\t\t\t<star-dt:precisionZ>{'A' if surveyed else 'C'}</star-dt:precisionZ>\n"
            "\t\t\t<star-dt:visibleSurface>false</star-dt:visibleSurface>\n"
            "\t\t\t<star-dt:sensible>true</star-dt:sensible>\n"
            f'\t\t\t<star-dt:statut xlink:href="{_INSPIRE}/ConditionOfFacilityValue/functional"/>\n'
            f"\t\t\t<star-dt:valideDe>{year}-01-01</star-dt:valideDe>\n"
            "\t\t\t<star-dt:positionVerticale>underground</star-dt:positionVerticale>\n"
            "\t\t\t<star-dt:miseAJour>2024-09-30</star-dt:miseAJour>\n"
            "\t\t\t<star-dt:geometrie>\n"
            f'\t\t\t\t<gml:LineString gml:id="{pid}-0" srsName="EPSG:2154" srsDimension="2">\n'
            f"\t\t\t\t\t<gml:posList>{_pos(xy)}</gml:posList>\n\t\t\t\t</gml:LineString>\n\t\t\t</star-dt:geometrie>\n"
            f'\t\t\t<star-dt:typeElement xlink:href="{_INSPIRE}/UtilityDeliveryTypeValue/distribution"/>\n'
            '\t\t\t<star-dt:profondeurMinReg uom="urn:ogc:def:uom:OGC:1.0:metre">'
            f"{depth:.2f}</star-dt:profondeurMinReg>\n"
            f'\t\t\t<star-dt:materiau xlink:href="{_INSPIRE}/PipeMaterialTypeValue/{material}"/>\n'
            "\t\t\t<star-dt:hierarchie>reseau</star-dt:hierarchie>\n"
            f"\t\t\t<star-dt:commentaire>{escape(by_id[tree.edge[child]['id']].name)}</star-dt:commentaire>\n"
            "\t\t\t<star-dt:exemptionIC>false</star-dt:exemptionIC>\n"
            f'\t\t\t<star-dt:typeFluide xlink:href="{_INSPIRE}/OilGasChemicalsProductTypeValue/naturalGas"/>\n'
            f'\t\t\t<star-dt:classeTemperature xlink:href="{_REGISTRE}/ClasseTemperatureValue/inf110"/>\n'
            f'\t\t\t<star-dt:pression uom="urn:ogc:def:uom:OGC::bar">{pressure}</star-dt:pression>\n'
            "\t\t</star-dt:CanalisationHydrocarbureChimique>\n\t</star-dt:member>\n"
        )
    path.write_text(head + "".join(members) + "</star-dt:StaR-DT>\n", encoding="utf-8")
    return path
