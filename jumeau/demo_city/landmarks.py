"""Real points of interest of Antibes (WGS84, RFC 7946 GeoJSON) and the curated walking circuits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .extent import to_l93
from .terrain import Terrain


@dataclass(frozen=True)
class Landmark:
    """A point of interest; target_height is the viewpoint target above the ground (m)."""

    name: str
    lon: float
    lat: float
    category: str
    description_fr: str
    description_en: str
    target_height: float
    # footprint of its building when it has one: (width m, depth m, storeys, height m, BD TOPO nature, usage)
    building: tuple[float, float, int, float, str, str] | None = None


# Coordinates from public gazetteers (Wikipedia/Wikidata, the tourist office), to about 20 m.
LANDMARKS: list[Landmark] = [
    Landmark(
        "Fort Carré",
        7.12722,
        43.59028,
        "patrimoine",
        "Fort bastionné du XVIe siècle en étoile, sur son promontoire de 26 m au nord du port.",
        "16th-century star-shaped bastioned fort on a 26 m promontory north of the harbour.",
        17.0,
        (62.0, 62.0, 3, 15.0, "Fort, blockhaus, casemate", "Indifférencié"),
    ),
    Landmark(
        "Port Vauban",
        7.1278,
        43.5857,
        "port",
        "Premier port de plaisance de Méditerranée, entre le Fort Carré et la vieille ville.",
        "The largest yachting harbour of the Mediterranean, between Fort Carré and the old town.",
        2.0,
    ),
    Landmark(
        "Musée Picasso (Château Grimaldi)",
        7.12835,
        43.58075,
        "musée",
        "Château des Grimaldi dominant la mer, où Picasso travailla en 1946.",
        "The Grimaldi castle above the sea, where Picasso worked in 1946.",
        22.0,
        (34.0, 20.0, 3, 14.0, "Château", "Commercial et services"),
    ),
    Landmark(
        "Cathédrale Notre-Dame de l'Immaculée Conception",
        7.12790,
        43.58055,
        "patrimoine",
        "Ancienne cathédrale d'Antibes, façade ocre baroque et clocher roman (ancienne tour de guet).",
        "Antibes' former cathedral: ochre baroque facade, Romanesque bell tower (a former watchtower).",
        28.0,
        (38.0, 16.0, 1, 19.0, "Eglise", "Religieux"),
    ),
    Landmark(
        "Marché Provençal",
        7.12745,
        43.58125,
        "marché",
        "Marché couvert du cours Masséna : fleurs, fruits, olives et épices chaque matin.",
        "Covered market of Cours Masséna: flowers, fruit, olives and spices every morning.",
        6.0,
    ),
    Landmark(
        "Porte Marine",
        7.12800,
        43.58340,
        "patrimoine",
        "Porte des remparts ouvrant la vieille ville sur le port Vauban.",
        "Rampart gate opening the old town onto Port Vauban.",
        8.0,
    ),
    Landmark(
        "Tour Sarrazine",
        7.12700,
        43.58000,
        "patrimoine",
        "Tour médiévale de l'enceinte, témoin des défenses contre les incursions sarrasines.",
        "Medieval tower of the town walls, a reminder of the defences against Saracen raids.",
        16.0,
        (7.0, 7.0, 4, 16.0, "Tour, donjon", "Indifférencié"),
    ),
    Landmark(
        "Plage de la Gravette",
        7.12845,
        43.58410,
        "plage",
        "Petite plage de sable nichée dans les remparts, au pied de la Porte Marine.",
        "Small sandy beach tucked in the ramparts, below the Porte Marine.",
        1.5,
    ),
    Landmark(
        "Bastion Saint-André (Musée d'Archéologie)",
        7.12935,
        43.57800,
        "musée",
        "Bastion de Vauban abritant les collections antiques d'Antipolis.",
        "A Vauban bastion housing the ancient collections of Antipolis.",
        10.0,
        (30.0, 24.0, 2, 9.0, "Fort, blockhaus, casemate", "Commercial et services"),
    ),
    Landmark(
        "Plage de la Salis",
        7.12600,
        43.57400,
        "plage",
        "Grande plage de sable face à la vieille ville et aux Alpes.",
        "Long sandy beach facing the old town and the Alps.",
        1.5,
    ),
    Landmark(
        "Phare de la Garoupe",
        7.13306,
        43.56417,
        "panorama",
        "Phare de 29 m au sommet du plateau de la Garoupe (76 m), feu à 103 m.",
        "29 m lighthouse on top of the Garoupe plateau (76 m), light at 103 m.",
        29.5,
        (9.0, 9.0, 8, 29.5, "Tour, donjon", "Indifférencié"),
    ),
    Landmark(
        "Chapelle de la Garoupe",
        7.13260,
        43.56390,
        "patrimoine",
        "Sanctuaire Notre-Dame de Bon Port et ses ex-voto de marins.",
        "The Notre-Dame de Bon Port sanctuary and its sailors' ex-votos.",
        8.0,
        (22.0, 11.0, 1, 8.0, "Chapelle", "Religieux"),
    ),
    Landmark(
        "Plage de la Garoupe",
        7.13480,
        43.56500,
        "plage",
        "Anse sablonneuse abritée à l'est du Cap d'Antibes.",
        "Sheltered sandy cove on the east side of the Cap d'Antibes.",
        1.5,
    ),
    Landmark(
        "Jardin botanique de la Villa Thuret",
        7.12050,
        43.56580,
        "jardin",
        "Jardin d'acclimatation créé en 1857 par Gustave Thuret, aujourd'hui à l'INRAE.",
        "Acclimatisation garden founded in 1857 by Gustave Thuret, now run by INRAE.",
        3.0,
        (24.0, 14.0, 2, 8.0, "Indifférenciée", "Commercial et services"),
    ),
    Landmark(
        "Villa Eilenroc",
        7.12640,
        43.54720,
        "jardin",
        "Villa de Charles Garnier (1867) et ses jardins au bout du Cap.",
        "Charles Garnier's villa (1867) and its gardens at the tip of the Cap.",
        10.0,
        (30.0, 18.0, 2, 9.0, "Indifférenciée", "Commercial et services"),
    ),
    Landmark(
        "Sentier de Tire-Poil",
        7.13300,
        43.54680,
        "randonnée",
        "Sentier du littoral taillé dans les rochers au sud du Cap.",
        "Coastal path cut into the rocks at the south of the Cap.",
        1.7,
    ),
    Landmark(
        "Pointe de l'Îlette",
        7.13880,
        43.55200,
        "panorama",
        "Pointe rocheuse du Cap face aux îles de Lérins.",
        "Rocky point of the Cap facing the Lérins islands.",
        1.7,
    ),
    Landmark(
        "Gare d'Antibes (Pôle d'Échanges)",
        7.11960,
        43.58600,
        "transport",
        "Gare SNCF et pôle d'échanges des bus Envibus.",
        "SNCF station and Envibus bus interchange.",
        8.0,
        (70.0, 16.0, 2, 9.0, "Indifférenciée", "Commercial et services"),
    ),
    Landmark(
        "Place du Général de Gaulle",
        7.12350,
        43.58080,
        "place",
        "Place centrale d'Antibes, entre la vieille ville et les boulevards.",
        "Antibes' central square, between the old town and the boulevards.",
        1.7,
    ),
    Landmark(
        "Gare de Juan-les-Pins",
        7.10950,
        43.56920,
        "transport",
        "Gare de Juan-les-Pins, à deux pas de la pinède Gould.",
        "Juan-les-Pins station, a short walk from the Gould pine grove.",
        7.0,
        (40.0, 12.0, 2, 8.0, "Indifférenciée", "Commercial et services"),
    ),
    Landmark(
        "Pinède Gould (Juan-les-Pins)",
        7.11150,
        43.56700,
        "jardin",
        "Pinède du festival Jazz à Juan, face à la mer.",
        "Pine grove of the Jazz à Juan festival, by the sea.",
        1.7,
    ),
]


def by_name(name: str) -> Landmark:
    return next(lm for lm in LANDMARKS if lm.name == name)


CIRCUITS = [
    {
        "id": "vieil-antibes-remparts",
        "name": "Vieil Antibes et remparts",
        "name_en": "Old Antibes and its ramparts",
        "duration_min": 90,
        "description": "Du port Vauban aux remparts de la Promenade Amiral de Grasse, par le marché et le château.",
        "description_en": (
            "From Port Vauban to the ramparts of the Promenade Amiral de Grasse, via the market and the castle."
        ),
        "stops": [
            {"landmark": "Port Vauban", "text": "Les yachts du quai des Milliardaires et, au nord, le Fort Carré."},
            {"landmark": "Porte Marine", "text": "On entre dans la vieille ville par la porte des remparts."},
            {"landmark": "Plage de la Gravette", "text": "Une plage secrète au pied des murs."},
            {"landmark": "Marché Provençal", "text": "Le cours Masséna et ses étals du matin."},
            {
                "landmark": "Cathédrale Notre-Dame de l'Immaculée Conception",
                "text": "Le clocher était une tour de guet.",
            },
            {"landmark": "Musée Picasso (Château Grimaldi)", "text": "La terrasse du château domine la mer."},
            {"landmark": "Tour Sarrazine", "text": "Un vestige de l'enceinte médiévale."},
            {
                "landmark": "Bastion Saint-André (Musée d'Archéologie)",
                "text": "Antipolis, la ville grecque, racontée dans un bastion de Vauban.",
            },
        ],
    },
    {
        "id": "sentier-littoral-cap",
        "name": "Sentier du Littoral du Cap d'Antibes",
        "name_en": "The Cap d'Antibes coastal path",
        "duration_min": 180,
        "description": "De la Salis au phare, puis le long des rochers jusqu'à la villa Eilenroc.",
        "description_en": "From La Salis to the lighthouse, then along the rocks to Villa Eilenroc.",
        "stops": [
            {"landmark": "Plage de la Salis", "text": "Départ face aux Alpes enneigées en hiver."},
            {"landmark": "Chapelle de la Garoupe", "text": "Montée par le chemin du Calvaire et ses stations."},
            {"landmark": "Phare de la Garoupe", "text": "Le panorama de l'Estérel à l'Italie."},
            {"landmark": "Plage de la Garoupe", "text": "Descente vers l'anse abritée."},
            {"landmark": "Pointe de l'Îlette", "text": "Le sentier de Tire-Poil longe les rochers."},
            {"landmark": "Sentier de Tire-Poil", "text": "Vues sur les îles de Lérins."},
            {"landmark": "Villa Eilenroc", "text": "Arrivée dans les jardins de Charles Garnier."},
        ],
    },
    {
        "id": "jardins-juan",
        "name": "Jardins et Juan-les-Pins",
        "name_en": "Gardens and Juan-les-Pins",
        "duration_min": 75,
        "description": "Du jardin Thuret à la pinède Gould, la Belle Époque de Juan-les-Pins.",
        "description_en": "From the Thuret garden to the Gould pine grove, Juan-les-Pins' Belle Époque.",
        "stops": [
            {"landmark": "Jardin botanique de la Villa Thuret", "text": "Trois mille espèces acclimatées depuis 1857."},
            {"landmark": "Pinède Gould (Juan-les-Pins)", "text": "La pinède du festival de jazz."},
            {"landmark": "Gare de Juan-les-Pins", "text": "Retour par le train ou le bus."},
        ],
    },
]


def write_landmarks(terrain: Terrain, path: Path) -> Path:
    """landmarks.geojson: RFC 7946 (WGS84 lon/lat), with ground height NGF-IGN69 for reference."""
    feats = []
    for lm in LANDMARKS:
        x, y = to_l93(lm.lon, lm.lat)
        ground = terrain.height_at(x, y)
        if lm.category in ("plage", "port"):
            ground = max(ground, 0.0)  # a beach or a quay is read at sea level, not on the sea floor
        ground = round(ground, 2)
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lm.lon, 6), round(lm.lat, 6)]},
                "properties": {
                    "name": lm.name,
                    "category": lm.category,
                    "description": lm.description_fr,
                    "description_en": lm.description_en,
                    "height_above_ground": lm.target_height,
                    "ground_altitude_ngf": ground,
                },
            }
        )
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    return path


def write_circuits(path: Path) -> Path:
    """circuits.json: ordered walks referring to landmarks by their exact name."""
    names = {lm.name for lm in LANDMARKS}
    for circuit in CIRCUITS:
        missing = [s["landmark"] for s in circuit["stops"] if s["landmark"] not in names]
        if missing:
            raise ValueError(f"circuit {circuit['id']} names unknown landmarks: {missing}")
    path.write_text(json.dumps({"circuits": CIRCUITS}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
