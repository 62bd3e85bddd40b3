"""Rebuild the small gis_sync test files: `.venv/bin/python tests/data/gis_sync/make_fixtures.py`."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
STAR = Path("/work/shared/data/star-dt")
# Strasbourg, Lambert-93 (where the CNIG StaR-DT samples lie).
X0, Y0 = 1050900.0, 6840600.0


def square(x: float, y: float, s: float = 10.0, z: float | None = None) -> list:
    ring = [[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]
    return [[[*p, z] for p in ring]] if z is not None else [ring]


def fc(features: list, srid: int | None = 2154) -> dict:
    out: dict = {"type": "FeatureCollection", "features": features}
    if srid:
        out["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{srid}"}}
    return out


def feat(geom_type: str, coords, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": geom_type, "coordinates": coords}}


def ogr2ogr(*args: str) -> None:
    subprocess.run(["ogr2ogr", *args], check=True, capture_output=True)


def write(name: str, data: dict) -> Path:
    path = HERE / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    batiments = fc(
        [
            feat(
                "Polygon",
                square(X0, Y0),
                ID="BATIMENT0000000001",
                HAUTEUR=12.5,
                NB_ETAGES=4,
                USAGE1="Résidentiel",
                Z_MIN_SOL=140.2,
                Z_MAX_TOIT=153.1,
                DATE_APP="1962-01-01",
            ),
            feat(
                "Polygon",
                square(X0 + 20, Y0),
                ID="BATIMENT0000000002",
                HAUTEUR=None,
                NB_ETAGES=3,
                USAGE1="Commercial et services",
                Z_MIN_SOL=None,
                Z_MAX_TOIT=None,
                DATE_APP=None,
            ),
            feat(
                "Polygon",
                square(X0 + 40, Y0),
                ID="BATIMENT0000000003",
                HAUTEUR=7.0,
                NB_ETAGES=2,
                USAGE1="Église Saint-Étienne",
                Z_MIN_SOL=141.0,
                Z_MAX_TOIT=148.0,
                DATE_APP="1890-01-01",
            ),
        ]
    )
    src = write("batiment.geojson", batiments)
    # Shapefile with cp1252 text and its .cpg, as IGN delivers BD TOPO.
    out = HERE / "batiment_cpg"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    ogr2ogr("-f", "ESRI Shapefile", "-lco", "ENCODING=CP1252", str(out / "batiment.shp"), str(src))
    # Same bytes without .cpg nor DBF language id: GDAL cannot know the encoding.
    out2 = HERE / "batiment_nocpg"
    shutil.rmtree(out2, ignore_errors=True)
    shutil.copytree(out, out2)
    (out2 / "batiment.cpg").unlink()
    dbf = bytearray((out2 / "batiment.dbf").read_bytes())
    dbf[29] = 0
    (out2 / "batiment.dbf").write_bytes(bytes(dbf))
    # A shapefile delivered without its .dbf.
    out3 = HERE / "batiment_nodbf"
    shutil.rmtree(out3, ignore_errors=True)
    shutil.copytree(out, out3)
    (out3 / "batiment.dbf").unlink()
    (out3 / "batiment.cpg").unlink()

    # Longitude/latitude written in a file that declares Lambert-93.
    write(
        "lonlat_declared_2154.geojson",
        fc(
            [
                feat("Point", [7.7521, 48.5734], id=1, name="Cathédrale", category="worship"),
                feat("Point", [7.7485, 48.5800], id=2, name="Gare", category="station"),
            ]
        ),
    )
    # POIs without any CRS (GeoJSON without 'crs' means CRS84 per RFC 7946; used with an explicit layer CRS).
    write(
        "poi_lonlat.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feat("Point", [7.7521, 48.5734], id=1, name="Cathédrale", category="worship"),
                feat("Point", [7.7485, 48.5800], id=2, name="Gare", category="station"),
            ],
        },
    )
    write(
        "batiment_bad_values.geojson",
        fc(
            [
                feat("Polygon", square(X0, Y0), ID="B1", HAUTEUR="12x", NB_ETAGES=4),
                feat(
                    "Polygon",
                    [[[X0, Y0], [X0 + 10, Y0 + 10], [X0 + 10, Y0], [X0, Y0 + 10], [X0, Y0]]],
                    ID="B2",
                    HAUTEUR=6.0,
                    NB_ETAGES=2,
                ),
                feat("Polygon", square(X0 + 40, Y0), ID="B3", HAUTEUR=9.0, NB_ETAGES=3),
            ]
        ),
    )
    write("empty.geojson", fc([]))
    write(
        "troncon_de_route.geojson",
        fc(
            [
                feat(
                    "LineString",
                    [[X0, Y0 - 10], [X0 + 100, Y0 - 10]],
                    ID="TRONROUT0000000001",
                    NATURE="Route à 1 chaussée",
                    NOM_1_G="Rue du Dôme",
                    IMPORTANCE="4",
                    LARGEUR=6.5,
                    NB_VOIES=2,
                    SENS="Double sens",
                    POS_SOL=0,
                ),
                feat(
                    "LineString",
                    [[X0 + 100, Y0 - 10], [X0 + 150, Y0 + 40]],
                    ID="TRONROUT0000000002",
                    NATURE="Route à 1 chaussée",
                    NOM_1_G="Quai",
                    IMPORTANCE="3",
                    LARGEUR=None,
                    NB_VOIES=1,
                    SENS="Sens direct",
                    POS_SOL=1,
                ),
            ]
        ),
    )
    # 3D footprints in a layer that declares 2D polygons.
    gpkg = HERE / "batiment_3d_in_2d.gpkg"
    gpkg.unlink(missing_ok=True)
    src3d = write_tmp(
        tmp,
        "b3d.geojson",
        fc(
            [
                feat("Polygon", square(X0, Y0, z=140.0), ID="B3D1", HAUTEUR=10.0, NB_ETAGES=3),
                feat("Polygon", square(X0 + 20, Y0, z=141.0), ID="B3D2", HAUTEUR=6.0, NB_ETAGES=2),
            ]
        ),
    )
    ogr2ogr("-f", "GPKG", "-nln", "batiment", str(gpkg), str(src3d))
    with sqlite3.connect(gpkg) as db:
        db.execute("UPDATE gpkg_geometry_columns SET z = 0, geometry_type_name = 'POLYGON'")

    make_raepa(tmp)
    make_stareau(tmp)
    make_gml()
    make_dem()
    make_glb()
    make_cityjson()
    make_trees()
    shutil.rmtree(tmp)


def make_trees() -> None:
    """A street-tree inventory as cities publish it (French field names), and one with broken crowns."""
    write(
        "arbres.geojson",
        fc(
            [
                feat(
                    "Point",
                    [X0 + 5, Y0 + 5],
                    idbase=101,
                    libellefrancais="Platane",
                    hauteur=14.0,
                    diametre_couronne=10.0,
                    hauteur_fut=4.0,
                ),
                feat(
                    "Point",
                    [X0 + 25, Y0 + 5],
                    idbase=102,
                    libellefrancais="Micocoulier",
                    hauteur=9.0,
                    diametre_couronne=6.0,
                ),
                feat(
                    "Point",
                    [X0 + 45, Y0 + 5],
                    idbase=103,
                    libellefrancais="Pin parasol",
                    hauteur="12,5",
                    diametre_couronne=12.0,
                    hauteur_fut=7.0,
                ),
            ]
        ),
    )
    write(
        "arbres_bad.geojson",
        fc(
            [
                feat(
                    "Point",
                    [X0 + 5, Y0 + 5],
                    idbase=201,
                    libellefrancais="Platane",
                    hauteur=14.0,
                    diametre_couronne=10.0,
                ),
                feat("Point", [X0 + 25, Y0 + 5], idbase=202, libellefrancais="Olivier", hauteur=6.0),
                feat(
                    "Point",
                    [X0 + 45, Y0 + 5],
                    idbase=203,
                    libellefrancais="Palmier",
                    hauteur=8.0,
                    diametre_couronne=4.0,
                    hauteur_fut=9.5,
                ),
            ]
        ),
    )


def write_tmp(tmp: Path, name: str, data: dict) -> Path:
    path = tmp / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def make_raepa(tmp: Path) -> None:
    canalass = fc(
        [
            feat(
                "LineString",
                [[X0, Y0], [X0 + 50, Y0]],
                idcana="ASS-1",
                mouvrage="EMS",
                gexploit="EMS",
                enservice="O",
                branchemnt="N",
                typreseau="02",
                materiau="06",
                diametre=300,
                anfinpose="1975",
                modecirc="01",
                contcanass="02",
                fonccanass="02",
                idnini="R1",
                idnterm="R2",
                zamont=137.50,
                zaval=137.20,
                sensecoul="D",
                qualglocxy="01",
                qualglocz="01",
                profgen=None,
                datemaj="2023-05-01",
                sourmaj="EMS",
            ),
            feat(
                "LineString",
                [[X0 + 50, Y0], [X0 + 90, Y0 + 30]],
                idcana="ASS-2",
                mouvrage="EMS",
                gexploit="EMS",
                enservice="O",
                branchemnt="N",
                typreseau="01",
                materiau="27",
                diametre=400,
                anfinpose="2004",
                modecirc="01",
                contcanass="01",
                fonccanass="02",
                idnini="R2",
                idnterm="R3",
                zamont=None,
                zaval=None,
                sensecoul=None,
                qualglocxy="02",
                qualglocz="03",
                profgen=1.8,
                datemaj="2023-05-01",
                sourmaj="EMS",
            ),
        ]
    )
    canalaep = fc(
        [
            feat(
                "LineString",
                [[X0, Y0 + 5], [X0 + 80, Y0 + 5]],
                idcana="AEP-1",
                mouvrage="EMS",
                gexploit="EMS",
                enservice="O",
                branchemnt="N",
                materiau="11",
                diametre=150,
                anfinpose="1988",
                modecirc="02",
                contcanaep="02",
                fonccanaep="02",
                idnini="N1",
                idnterm="N2",
                profgen=1.2,
                qualglocxy="01",
                qualglocz="02",
                datemaj="2023-05-01",
                sourmaj="EMS",
            ),
        ]
    )
    ouvrass = fc(
        [
            feat(
                "Point",
                [X0, Y0],
                idouvrage="R1",
                x=X0,
                y=Y0,
                mouvrage="EMS",
                gexploit="EMS",
                typreseau="02",
                fnouvass="06",
                anfinpose="1975",
                idcanamont="",
                idcanaval="ASS-1",
                z=137.5,
                qualglocxy="01",
                qualglocz="01",
                datemaj="2023-05-01",
                sourmaj="EMS",
            ),
        ]
    )
    apparaep = fc(
        [
            feat(
                "Point",
                [X0 + 40, Y0 + 5],
                idappareil="V1",
                x=X0 + 40,
                y=Y0 + 5,
                mouvrage="EMS",
                gexploit="EMS",
                fnappaep="03",
                anfinpose="1988",
                diametre=150,
                idcanamont="AEP-1",
                idcanaval="AEP-1",
                z=None,
                qualglocxy="01",
                qualglocz="02",
                datemaj="2023-05-01",
                sourmaj="EMS",
            ),
        ]
    )
    good = HERE / "raepa.gpkg"
    good.unlink(missing_ok=True)
    for name, data in (
        ("raepa_canalass_l", canalass),
        ("raepa_canalaep_l", canalaep),
        ("raepa_ouvrass_p", ouvrass),
        ("raepa_apparaep_p", apparaep),
    ):
        src = write_tmp(tmp, f"{name}.geojson", data)
        ogr2ogr("-f", "GPKG", "-append", "-nln", name, str(good), str(src))
    bad = HERE / "raepa_unknown_materiau.gpkg"
    bad.unlink(missing_ok=True)
    canalass["features"][1]["properties"]["materiau"] = "42"
    src = write_tmp(tmp, "bad.geojson", canalass)
    ogr2ogr("-f", "GPKG", "-nln", "raepa_canalass_l", str(bad), str(src))


def stareau_common(**kw) -> dict:
    """The fields every StaR-Eau object carries (champ_commun), in the order of the official templates."""
    base = dict(
        type_reseau=None,
        fictif=False,
        etat_service="en_service",
        insee_commune="67482",
        localisation=None,
        maitre_ouvrage="EMS",
        exploitant="EMS",
        entreprise_pose=None,
        precision_xy="A",
        precision_z="A",
        an_pose_sup="1988",
        an_pose_inf=None,
        an_service_sup=None,
        an_service_inf=None,
        an_abandon_sup=None,
        an_abandon_inf=None,
        an_rehab_sup=None,
        an_rehab_inf=None,
        date_creation="2024-03-01T00:00:00",
        origine_creation="topo",
        date_maj="2024-03-01T00:00:00",
        origine_maj=None,
        lien_doc1=None,
        lien_doc2=None,
        commentaire=None,
    )
    base.update(kw)
    return base


def stareau_pipe(**kw) -> dict:
    """Fields of the `canalisation` mother table after the common ones, as in the templates."""
    base = dict(
        id_canalisation=None,
        mode_circulation="gravitaire",
        type_pose="tranchee",
        raison_pose="neuf",
        materiau="fd",
        revetement_interieur="ciment",
        diametre_equivalent=150,
        longueur_terrain=None,
        sensible=False,
        noeudterminal="",
        noeudinitial="",
        forme="circulaire",
    )
    base.update(kw)
    return base


def make_stareau(tmp: Path) -> None:
    """StaR-Eau layers as the official GeoPackage templates name them (cnigfr/StaR-Eau, `Fichiers techniques/
    gabarits gpkg`), a GeoPackage and the same layers as a folder of shapefiles (GDAL's 10-character names)."""
    layers = {
        "aep_canalisation": fc(
            [
                feat(
                    "LineString",
                    [[X0, Y0 + 5], [X0 + 80, Y0 + 5]],
                    **stareau_common(type_reseau="aep", precision_z="B"),
                    **stareau_pipe(
                        id_canalisation="AEP-C1", mode_circulation="refoulement", materiau="fd", diametre_equivalent=150
                    ),
                    id_aep_canalisation="AEP-C1",
                    fonction_canalisation="distribution",
                    contenu_canalisation="eau_potable",
                    type_pression="refoulement",
                    cote_debut=139.0,
                    cote_fin=138.6,
                    ref_reservoir="non_renseigne",
                )
            ]
        ),
        "ass_canalisation": fc(
            [
                feat(
                    "LineString",
                    [[X0, Y0], [X0 + 50, Y0]],
                    **stareau_common(type_reseau="assaeu", an_pose_sup="1975"),
                    **stareau_pipe(
                        id_canalisation="ASS-C1",
                        materiau="beton",
                        diametre_equivalent=300,
                        noeudinitial="R1",
                        noeudterminal="R2",
                    ),
                    id_ass_canalisation="ASS-C1",
                    fonction_canalisation="collecte",
                    contenu_canalisation="eaux_usees",
                    visitable="non",
                    cote_fil_eau_amont=137.50,
                    cote_fil_eau_aval=137.20,
                    bassin_collecte=None,
                    ref_traitement="non_renseigne",
                ),
                feat(
                    "LineString",
                    [[X0 + 50, Y0], [X0 + 90, Y0 + 30]],
                    **stareau_common(
                        type_reseau="assaep",
                        precision_xy="B",
                        precision_z="C",
                        an_pose_sup="2004",
                        etat_service="en_arret",
                    ),
                    **stareau_pipe(id_canalisation="ASS-C2", materiau="pvc", diametre_equivalent=400),
                    id_ass_canalisation="ASS-C2",
                    fonction_canalisation="transport",
                    contenu_canalisation="eaux_pluviales",
                    visitable="non",
                    cote_fil_eau_amont=None,
                    cote_fil_eau_aval=None,
                    bassin_collecte=None,
                    ref_traitement="non_renseigne",
                ),
            ]
        ),
        "ass_regard": fc(
            [
                feat(
                    "Point",
                    [X0, Y0],
                    **stareau_common(type_reseau="assaeu", an_pose_sup="1975"),
                    id_noeud_reseau="R1",
                    forme="circulaire",
                    id_ass_regard="R1",
                    type_regard="visite",
                    materiau="beton",
                    position="chaussee",
                    type_descente="echelons",
                    nb_paliers=0,
                    z_tampon=140.1,
                    z_radier=137.5,
                    profondeur_mesure=2.6,
                    cunette="oui",
                    decantation="non",
                )
            ]
        ),
        "aep_vanne": fc(
            [
                feat(
                    "Point",
                    [X0 + 40, Y0 + 5],
                    **stareau_common(type_reseau="aep"),
                    id_noeud_reseau="V1",
                    id_aep_vanne="V1",
                    type_vanne="opercule",
                    fonction_vanne="sectionnement",
                    diametre=150.0,
                    sens_fermeture="horaire",
                    etat_ouverture="ouvert",
                    blocage="non",
                    motorisation="non",
                    telegestion="non",
                )
            ]
        ),
        "aep_appareillage": fc(
            [
                feat(
                    "Point",
                    [X0 + 70, Y0 + 5],
                    **stareau_common(type_reseau="aep"),
                    id_noeud_reseau="A1",
                    id_aep_appareillage="A1",
                    type_appareillage="ventouse",
                    diametre=150.0,
                    telegestion="non",
                )
            ]
        ),
        "aep_perimetre_gestion": fc(
            [
                feat(
                    "Polygon",
                    square(X0 - 10, Y0 - 10, 120),
                    **stareau_common(type_reseau="aep"),
                    id_aep_perimetre_gestion="P1",
                    type_perimetre_gestion="secteur",
                    type_acces="libre",
                )
            ]
        ),
    }
    gpkg = HERE / "stareau.gpkg"
    gpkg.unlink(missing_ok=True)
    shp = HERE / "stareau_shp"
    shutil.rmtree(shp, ignore_errors=True)
    shp.mkdir()
    for name, data in layers.items():
        src = write_tmp(tmp, f"{name}.geojson", data)
        ogr2ogr("-f", "GPKG", "-append", "-nln", name, str(gpkg), str(src))
        if name != "aep_perimetre_gestion":
            ogr2ogr("-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", str(shp / f"{name}.shp"), str(src))
    bad = HERE / "stareau_unknown_materiau.gpkg"
    bad.unlink(missing_ok=True)
    layers["ass_canalisation"]["features"][1]["properties"]["materiau"] = "plutonium"
    src = write_tmp(tmp, "bad.geojson", layers["ass_canalisation"])
    ogr2ogr("-f", "GPKG", "-nln", "ass_canalisation", str(bad), str(src))


def make_gml() -> None:
    grt = (STAR / "GRT.gml").read_bytes()
    (HERE / "GRT_truncated.gml").write_bytes(grt[: len(grt) // 2])
    text = (STAR / "GRT.gml").read_text(encoding="utf-8")
    first = text.index("<star-dt:member>")
    end = text.index("</star-dt:member>") + len("</star-dt:member>")
    member = text[first:end]
    member = member.replace('srsName="EPSG:2154" srsDimension="2"', 'srsName="Lambert93" srsDimension="3"')
    member = member.replace(
        "1050859.9875235807 6840660.371346956 1051376.19063932 6840478.4699414885",
        "1050859.9875235807 6840660.371346956 139.20 1051376.19063932 6840478.4699414885 138.70",
    )
    head = text[:first]
    (HERE / "stardt_undefined_srs_3d.gml").write_text(head + member + "\n</star-dt:StaR-DT>\n", encoding="utf-8")
    unknown = text[:end].replace("PipeMaterialTypeValue/steel", "PipeMaterialTypeValue/unobtainium", 1)
    (HERE / "stardt_unknown_material.gml").write_text(unknown + "\n</star-dt:StaR-DT>\n", encoding="utf-8")


def make_dem() -> None:
    from django.contrib.gis.gdal import GDALRaster

    path = HERE / "dem_l93.tif"
    path.unlink(missing_ok=True)
    width, height = 40, 30
    # Ground sloping gently east, 140 m at the west edge; one nodata cell in a corner.
    data = [140.0 + 0.01 * (i % width) * 5 for i in range(width * height)]
    data[0] = -9999.0
    GDALRaster(
        {
            "driver": "GTiff",
            "name": str(path),
            "srid": 2154,
            "width": width,
            "height": height,
            "origin": [X0 - 50, Y0 + 100],
            "scale": [5.0, -5.0],
            "datatype": 6,
            "bands": [{"data": data, "nodata_value": -9999.0}],
        }
    )


def make_glb() -> None:
    import struct

    import pygltflib

    # A 2 m cube, y up, as Blender exports.
    v = [(x, y, z) for x in (0.0, 2.0) for y in (0.0, 2.0) for z in (0.0, 2.0)]
    faces = [
        (0, 1, 3),
        (0, 3, 2),
        (4, 6, 7),
        (4, 7, 5),
        (0, 4, 5),
        (0, 5, 1),
        (2, 3, 7),
        (2, 7, 6),
        (0, 2, 6),
        (0, 6, 4),
        (1, 5, 7),
        (1, 7, 3),
    ]
    vb = b"".join(struct.pack("<3f", *p) for p in v)
    ib = b"".join(struct.pack("<3H", *f) for f in faces)
    blob = vb + ib
    gltf = pygltflib.GLTF2(
        scene=0,
        scenes=[pygltflib.Scene(nodes=[0])],
        nodes=[pygltflib.Node(mesh=0, translation=[1.0, 0.0, 0.0], name="kiosk")],
        meshes=[
            pygltflib.Mesh(
                name="kiosk", primitives=[pygltflib.Primitive(attributes=pygltflib.Attributes(POSITION=0), indices=1)]
            )
        ],
        accessors=[
            pygltflib.Accessor(
                bufferView=0,
                componentType=pygltflib.FLOAT,
                count=len(v),
                type=pygltflib.VEC3,
                min=[0.0, 0.0, 0.0],
                max=[2.0, 2.0, 2.0],
            ),
            pygltflib.Accessor(
                bufferView=1, componentType=pygltflib.UNSIGNED_SHORT, count=len(faces) * 3, type=pygltflib.SCALAR
            ),
        ],
        bufferViews=[
            pygltflib.BufferView(buffer=0, byteOffset=0, byteLength=len(vb), target=pygltflib.ARRAY_BUFFER),
            pygltflib.BufferView(
                buffer=0, byteOffset=len(vb), byteLength=len(ib), target=pygltflib.ELEMENT_ARRAY_BUFFER
            ),
        ],
        buffers=[pygltflib.Buffer(byteLength=len(blob))],
    )
    gltf.set_binary_blob(blob)
    gltf.save_binary(str(HERE / "kiosk.glb"))


def make_cityjson() -> None:
    # CityJSON 2.0, LOD1 block in Lambert-93 with a declared reference system.
    verts = [
        [0, 0, 0],
        [10000, 0, 0],
        [10000, 8000, 0],
        [0, 8000, 0],
        [0, 0, 9000],
        [10000, 0, 9000],
        [10000, 8000, 9000],
        [0, 8000, 9000],
    ]
    shell = [[[0, 3, 2, 1]], [[4, 5, 6, 7]], [[0, 1, 5, 4]], [[1, 2, 6, 5]], [[2, 3, 7, 6]], [[3, 0, 4, 7]]]
    doc = {
        "type": "CityJSON",
        "version": "2.0",
        "transform": {"scale": [0.001, 0.001, 0.001], "translate": [X0, Y0, 140.0]},
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/2154"},
        "CityObjects": {
            "bldg-1": {
                "type": "Building",
                "attributes": {"yearOfConstruction": 1975, "storeysAboveGround": 3},
                "geometry": [{"type": "Solid", "lod": "1", "boundaries": [shell]}],
            }
        },
        "vertices": verts,
    }
    write("block_lod1.city.json", doc)


if __name__ == "__main__":
    main()
