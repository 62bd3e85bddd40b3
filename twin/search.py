"""Typo-tolerant search over the twin's names: text normalisation and ranking, no Django.

Words are compared one by one with RapidFuzz's normalised Indel similarity (0-100), so a word typed with a
letter missing, doubled or swapped still matches ("répubique" → "République"), and the word being typed matches
the start of a longer one ("pole echange" → "Pôle d'Échanges"). Every meaningful word of the query must match a
word of the label (AND, as people expect from a search box); articles are ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from rapidfuzz import fuzz, process

# Who may receive an entry: everyone, planners (draft projects), network roles (buried networks).
PUBLIC = "public"
DRAFTS = "drafts"
NETWORKS = "networks"

MIN_QUERY_CHARS = 2
MAX_QUERY_CHARS = 100
# A query word matches a label word from this similarity on (0-100): one typo in a 6-letter word scores about 83,
# two typos in a 10-letter word about 80; "rue" against "rie" (66) does not match.
WORD_MATCH = 75.0
# The word being typed compared with the start of a longer word counts a little less than a whole word.
PREFIX_WEIGHT = 0.95
PREFIX_MIN_CHARS = 3
# Keywords are not shown, so a loose match on them would list results whose visible label has nothing like the
# query ("carre" is one letter from the stops' hidden "arret"): they count only when nearly exact.
KEYWORD_MATCH = 90.0
# French and English articles and prepositions: "rue de la republique" and "republique" find the same street.
STOP_WORDS = frozenset(
    ("a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "sur", "the", "of")
)
# Abbreviations of street kinds and saints as people type them (and as some sources write them), read as words.
ABBREVIATIONS = {
    "bd": "boulevard",
    "bld": "boulevard",
    "bvd": "boulevard",
    "av": "avenue",
    "ave": "avenue",
    "ch": "chemin",
    "che": "chemin",
    "imp": "impasse",
    "pl": "place",
    "rte": "route",
    "all": "allee",
    "sq": "square",
    "st": "saint",
    "ste": "sainte",
}
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_WORD = re.compile(r"[0-9a-z]+")


class QueryError(ValueError):
    """A search text that cannot be searched (empty, too short, too long); the message says what to type."""


def normalise(text: str) -> str:
    """Lower case, accents stripped, punctuation and apostrophes turned into spaces: "Pôle d'Échanges" → "pole d
    echanges"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_WORD.findall(bare))


def words(text: str) -> list[str]:
    """The normalised words of a text, articles dropped unless the text is nothing else."""
    all_words = [ABBREVIATIONS.get(w, w) for w in normalise(text).split()]
    meaningful = [w for w in all_words if w not in STOP_WORDS]
    return meaningful or all_words


def check_query(query: str) -> str:
    """The query stripped, or QueryError naming what to change."""
    text = (query or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"The search text has {len(text)} characters; type at most {MAX_QUERY_CHARS}.")
    if len(normalise(text).replace(" ", "")) < MIN_QUERY_CHARS:
        raise QueryError(
            f"Type at least {MIN_QUERY_CHARS} letters or digits of a street, place, stop or project name (q=...)."
        )
    return text


@dataclass(frozen=True)
class Entry:
    """One thing that can be found: where to look (WGS84 degrees, ellipsoidal metres) and from how far.

    ``height`` is the ellipsoidal height (m) of the point to look at; ``range_m`` the camera's distance from it
    that shows the whole thing (a street's length, a building's size). ``keywords`` are matched like the label but
    not shown (a stop's "arrêt bus", a place's category)."""

    kind: str
    key: str
    label: str
    lon: float
    lat: float
    height: float
    range_m: float
    audience: str = PUBLIC
    detail: str = ""
    keywords: str = ""


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float


@dataclass
class SearchIndex:
    """Entries with their words held as indices into one vocabulary, so that a query compares each of its words
    once with every distinct word of the city (RapidFuzz's C loop), not once per entry."""

    entries: list[Entry]
    kind_order: Sequence[str] = ("street", "place", "stop", "project", "building", "network")
    vocabulary: list[str] = field(init=False)
    _grid: np.ndarray = field(init=False, repr=False)
    _named: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, int] = {}
        rows, named = [], []
        for entry in self.entries:
            label_words = words(entry.label)
            all_words = label_words + [w for w in words(entry.keywords) if w not in label_words]
            rows.append([index.setdefault(w, len(index)) for w in all_words])
            named.append([True] * len(label_words) + [False] * (len(all_words) - len(label_words)))
        self.vocabulary = list(index)
        width = max((len(r) for r in rows), default=1) or 1
        pad = len(self.vocabulary)  # points at a column of zeros
        self._grid = np.full((len(rows), width), pad, dtype=np.int64)
        self._named = np.zeros((len(rows), width), dtype=bool)
        for i, (row, flags) in enumerate(zip(rows, named, strict=True)):
            self._grid[i, : len(row)] = row
            self._named[i, : len(flags)] = flags
        rank_kind = {k: i for i, k in enumerate(self.kind_order)}
        self._audiences = frozenset(e.audience for e in self.entries)
        self._subsets: dict[frozenset[str], SearchIndex] = {}
        # Tie-breakers for equal scores, as arrays: kind (streets first), shorter label, then alphabetical.
        self._kind_rank = np.array([rank_kind.get(e.kind, len(rank_kind)) for e in self.entries], dtype=np.int64)
        self._label_length = np.array([len(e.label) for e in self.entries], dtype=np.int64)
        alphabetical = sorted(range(len(self.entries)), key=lambda i: self.entries[i].label)
        self._label_rank = np.empty(len(self.entries), dtype=np.int64)
        self._label_rank[alphabetical] = np.arange(len(self.entries))
        self._vocabulary_array = np.array(self.vocabulary, dtype=str)
        self._lengths = np.array([len(w) for w in self.vocabulary], dtype=np.int64)
        self._heads_by_length: dict[int, list[str]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def word_scores(self, query_words: list[str]) -> np.ndarray:
        """(query words, vocabulary + 1) similarities 0-100; the last column is the padding's zero."""
        full = process.cdist(query_words, self.vocabulary, scorer=fuzz.ratio, dtype=np.float32)
        for i, q in enumerate(query_words):
            longer = self._lengths > len(q)
            if len(q) < PREFIX_MIN_CHARS:
                # Two letters are the start of too many words: they must be a whole word or the start of one.
                starts = np.char.startswith(self._vocabulary_array, q)
                full[i] = np.maximum(full[i], np.where(starts & longer, 100.0 * PREFIX_WEIGHT, 0.0))
                continue
            prefix = process.cdist([q], self._heads(len(q)), scorer=fuzz.ratio, dtype=np.float32)[0]
            full[i] = np.maximum(full[i], np.where(longer, prefix * PREFIX_WEIGHT, 0.0))
        return np.hstack([full, np.zeros((len(query_words), 1), dtype=np.float32)])

    def _heads(self, n: int) -> list[str]:
        """Each vocabulary word cut to n letters, kept per length: a city has tens of thousands of words."""
        if n not in self._heads_by_length:
            self._heads_by_length[n] = [w[:n] for w in self.vocabulary]
        return self._heads_by_length[n]

    def search(self, query: str, *, audiences: Iterable[str] = (PUBLIC,), limit: int = 10) -> list[Hit]:
        """The best entries for a query among those the caller may receive, best first.

        Score 0-100: the mean over the query's words of their best match in the entry, times a small bonus for
        the share of the label's words the query covers (so "rue sade" ranks "Rue Sade" before a longer name)."""
        query_words = words(check_query(query))
        allowed = frozenset(audiences)
        if not self._audiences <= allowed:
            return self.for_audiences(allowed).search(query, audiences=allowed, limit=limit)
        if not self.entries or not self.vocabulary:
            return []
        per_word = self.word_scores(query_words)[:, self._grid]  # (query words, entries, entry words)
        per_word[(per_word < KEYWORD_MATCH) & ~self._named[None]] = 0.0
        best = per_word.max(axis=2)  # each query word's best match in each entry
        every_word = (best >= WORD_MATCH).all(axis=0)
        matched_label_words = ((per_word.max(axis=0) >= WORD_MATCH) & self._named).sum(axis=1)
        coverage = matched_label_words / np.maximum(self._named.sum(axis=1), 1)
        score = np.round(best.mean(axis=0) * (0.85 + 0.15 * coverage), 3)
        found = np.flatnonzero(every_word)
        order = np.lexsort((self._label_rank[found], self._label_length[found], self._kind_rank[found], -score[found]))
        return [Hit(self.entries[found[j]], round(float(score[found[j]]), 1)) for j in order[:limit]]

    def for_audiences(self, allowed: frozenset[str]) -> SearchIndex:
        """The index of the entries one audience may receive, built once: a citizen's query then compares its
        words with the public vocabulary only, not with the tens of thousands of network node ids."""
        sub = self._subsets.get(allowed)
        if sub is None:
            sub = SearchIndex([e for e in self.entries if e.audience in allowed], kind_order=self.kind_order)
            self._subsets[allowed] = sub  # two threads building it at once only do the work twice
        return sub


def street_anchor(lines: Sequence[np.ndarray]) -> tuple[float, float, float, float]:
    """Where to look at a street made of several segments: (x, y, z, size).

    ``lines`` are (n, 3) arrays of x, y in metres of one projected CRS and z in metres. The point is the middle of
    the longest stretch the segments join into (on the street, not between two of its pieces); ``size`` is the
    diagonal of the box around all the segments, in metres."""
    parts = [shapely.LineString(line) for line in lines if len(line) >= 2]
    if not parts:
        raise ValueError("a street needs at least one segment with two points")
    merged = shapely.line_merge(shapely.MultiLineString(parts))
    pieces = list(getattr(merged, "geoms", [merged]))
    longest = max(pieces, key=lambda g: g.length)
    middle = longest.interpolate(0.5, normalized=True)
    coords = np.vstack([np.asarray(line)[:, :3] for line in lines])
    size = float(np.hypot(*(coords[:, :2].max(axis=0) - coords[:, :2].min(axis=0))))
    z = middle.z if middle.has_z else float(np.mean(coords[:, 2]))
    return float(middle.x), float(middle.y), float(z), size
