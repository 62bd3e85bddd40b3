"""Benchmark the search core (twin/search.py) at a real city's size: how long the index takes to build and a
typed query to answer, for a citizen (public names) and a field agent (plus 50,000 network nodes).

Names are made from real Antibes street names and kinds, so words repeat as they do in a city; no database: the
core is what runs per request once the index is built.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from twin.search import NETWORKS, PUBLIC, Entry, SearchIndex, normalise  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "search.json"
KINDS = ["Rue", "Avenue", "Boulevard", "Chemin", "Impasse", "Allée", "Place", "Traverse", "Montée"]
NAMES = [
    "de la République", "Sade", "Aubernon", "d'Aguillon", "Thuret", "du Haut-Castelet", "du Révely",
    "de la Tourraque", "Robert Soleau", "de Verdun", "du 11 Novembre", "de la Libération", "Dugommier",
    "Albert 1er", "James Wyllie", "de la Garoupe", "du Cap", "John F. Kennedy", "Guy de Maupassant",
    "Édouard Baudoin", "du Président Wilson", "Jules Grec", "de l'Horloge", "du Saint-Esprit", "des Arceaux",
    "de la Blancherie", "du Safranier", "des Sables", "Saint-Claude", "du Puy", "de la Constance", "des Terriers",
    "de Vallauris", "Rostagne", "Saint-Maymes", "des Lauriers", "des Mimosas", "Pasteur", "Jean Jaurès", "Fontmerle",
]  # fmt: skip
QUERIES = ["republique", "répubique", "bd aguilon", "chemin des sabels", "pole echange", "jules gre", "rue",
           "maupasant 2", "regard 41234"]  # fmt: skip
REPEATS = 30
# Typed queries and the label a person means: ours and the peer are scored on the first result.
MEANT = {
    "republique": "Rue de la République",
    "répubique": "Rue de la République",
    "rue de la repu": "Rue de la République",
    "bd aguillon": "Boulevard d'Aguillon",
    "boulevard aguilon": "Boulevard d'Aguillon",
    "chemin des sabels": "Chemin des Sables",
    "avenue jules gre": "Avenue Jules Grec",
    "maupassant": "Rue Guy de Maupassant",
    "impase saint claude": "Impasse Saint-Claude",
    "montee du puy": "Montée du Puy",
}


def city(nodes: int = 50_000, seed: int = 3) -> list[Entry]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(3000):  # streets: a kind, a name, and a number when the name repeats
        label = f"{KINDS[i % len(KINDS)]} {NAMES[(i // len(KINDS)) % len(NAMES)]}"
        label += f" {i // (len(KINDS) * len(NAMES))}" if i >= len(KINDS) * len(NAMES) else ""
        out.append(Entry("street", str(i), label, 7.1, 43.58, 60.0, 300.0))
    for i in range(800):
        out.append(
            Entry("stop", f"S{i}", f"{NAMES[i % len(NAMES)]} {i}", 7.1, 43.58, 60.0, 200.0, keywords="arrêt bus")
        )
    for i in range(500):
        out.append(Entry("place", f"p{i}", f"Musée {NAMES[i % len(NAMES)]} {i}", 7.1, 43.58, 60.0, 250.0))
    ids = rng.choice(1_000_000, size=nodes, replace=False)
    for i, node in enumerate(ids):
        kind = ("Regard", "Vanne", "Poteau incendie", "Branchement")[i % 4]
        out.append(Entry("network", str(i), f"{kind} EU-{node}", 7.1, 43.58, 60.0, 40.0, audience=NETWORKS))
    return out


def timed(index: SearchIndex, audiences: set[str]) -> dict:
    per_query = {}
    for q in QUERIES:
        index.search(q, audiences=audiences)
        runs = []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            index.search(q, audiences=audiences)
            runs.append((time.perf_counter() - t0) * 1000)
        per_query[q] = round(statistics.median(runs), 2)
    return {"median_ms_per_query": per_query, "worst_median_ms": max(per_query.values())}


def peer(entries: list[Entry]) -> dict:
    """The one-liner a developer would write: RapidFuzz's WRatio over whole normalised labels (the public ones)."""
    public = [e for e in entries if e.audience == PUBLIC]
    labels = [normalise(e.label) for e in public]

    def first(q: str) -> str:
        return public[process.extractOne(normalise(q), labels, scorer=fuzz.WRatio)[2]].label

    runs = []
    for q in QUERIES:
        first(q)
        for _ in range(REPEATS // 3):
            t0 = time.perf_counter()
            first(q)
            runs.append((time.perf_counter() - t0) * 1000)
    right = {q: first(q) for q in MEANT}
    return {
        "median_ms": round(statistics.median(runs), 2),
        "first_result_right": sum(right[q] == MEANT[q] for q in MEANT),
        "wrong": {q: got for q, got in right.items() if got != MEANT[q]},
    }


def ours(index: SearchIndex) -> dict:
    right = {q: [h.entry.label for h in index.search(q, limit=1)] for q in MEANT}
    return {
        "first_result_right": sum(got == [MEANT[q]] for q, got in right.items()),
        "wrong": {q: got for q, got in right.items() if got != [MEANT[q]]},
    }


def main() -> None:
    entries = city()
    t0 = time.perf_counter()
    index = SearchIndex(entries)
    build_s = time.perf_counter() - t0
    result = {
        "entries": len(entries),
        "public_entries": sum(e.audience == PUBLIC for e in entries),
        "vocabulary": len(index.vocabulary),
        "build_seconds": round(build_s, 3),
        # One index for everyone, as the server keeps it: a citizen's query scores only the public rows.
        "citizen": timed(index, {PUBLIC}),
        "field_agent": timed(index, {PUBLIC, NETWORKS}),
        "queries_meant": len(MEANT),
        "ours": ours(index),
        "peer_wratio_whole_labels": peer(entries),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "note": "pure core, one thread, on a machine shared with other jobs (see the load average: numbers are "
        "several times what an idle core gives); per request the view adds the fingerprint (8 aggregate queries)",
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
