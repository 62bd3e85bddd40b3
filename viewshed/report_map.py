"""The impact report's map: footprints around a variant, coloured by loss, drawn as SVG on the server."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

SIZE_PX = 640
# Colours read in black and white print too: the darker, the worse.
SITE = "#1f3a93"
FAILING = "#c0392b"
LOSING = "#f39c12"
UNHARMED = "#c8c8c8"


def _rings(coords) -> list:
    polys = coords if coords and isinstance(coords[0][0][0], (tuple, list)) else (coords,)
    return [ring for poly in polys for ring in poly]


def map_svg(site, buildings: Sequence[tuple[object, dict | None]], windows: Sequence[dict], radius_m: float) -> str:
    """An SVG map (string) of the site, the buildings within radius_m and the windows that fail.

    site: a GEOS geometry (storage CRS, metres); buildings: (footprint coords, its report row or None);
    windows: report rows with x, y (storage CRS), vsc_fails and apsh_fails. North is up, one scale for both axes.
    """
    x0, y0, x1, y1 = site.extent
    x0, y0, x1, y1 = x0 - radius_m, y0 - radius_m, x1 + radius_m, y1 + radius_m
    span = max(x1 - x0, y1 - y0)
    k = SIZE_PX / span

    def pt(x: float, y: float) -> str:
        return f"{(x - x0) * k:.1f},{(y1 - y) * k:.1f}"

    def path(coords) -> str:
        return " ".join("M" + " L".join(pt(x, y) for x, y, *_ in ring) + " Z" for ring in _rings(coords))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE_PX} {SIZE_PX}" width="{SIZE_PX}" '
        f'height="{SIZE_PX}" role="img" aria-label="Map of the buildings around the project">',
        f'<rect width="{SIZE_PX}" height="{SIZE_PX}" fill="#fafafa"/>',
    ]
    for coords, row in buildings:
        if row is None:
            colour, title = UNHARMED, "no window assessed"
        else:
            failing = row["vsc_fails"] + row.get("apsh_fails", 0)
            colour = FAILING if failing else LOSING if row["vsc_loss_max"] > 0.05 else UNHARMED
            title = (
                f"{row['name'] or row['source_id']}: {row['vsc_fails']} of {row['windows']} windows fail the "
                f"VSC test, {row.get('apsh_fails', 0)} the sunlight test; VSC lost up to "
                f"{row['vsc_loss_max']:.1f} points"
            )
        parts.append(
            f'<path d="{path(coords)}" fill="{colour}" stroke="#555" stroke-width="0.5" fill-rule="evenodd">'
            f"<title>{escape(title)}</title></path>"
        )
    site_coords = site.coords
    parts.append(
        f'<path d="{path(site_coords)}" fill="{SITE}" stroke="#000" stroke-width="1" fill-rule="evenodd">'
        "<title>The project</title></path>"
    )
    for w in windows:
        if w["vsc_fails"] or w.get("apsh_fails"):
            x, y = pt(w["x"], w["y"]).split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="1.6" fill="{FAILING}" stroke="#000" stroke-width="0.3"/>')
    bar_m = 100.0 if span > 300 else 50.0
    parts.append(
        f'<g font-family="sans-serif" font-size="11"><line x1="12" y1="{SIZE_PX - 14}" '
        f'x2="{12 + bar_m * k:.1f}" y2="{SIZE_PX - 14}" stroke="#000" stroke-width="2"/>'
        f'<text x="12" y="{SIZE_PX - 20}">{bar_m:g} m</text>'
        f'<text x="{SIZE_PX - 22}" y="20" font-weight="bold">N</text>'
        f'<line x1="{SIZE_PX - 18}" y1="40" x2="{SIZE_PX - 18}" y2="24" stroke="#000" stroke-width="2"/></g>'
    )
    parts.append("</svg>")
    return "".join(parts)
