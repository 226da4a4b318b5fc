"""map.html: one self-contained, offline Leaflet page of the run.

Leaflet and its CSS are inlined from an installed package (``offline_assets``); the data sit in
one JSON block and the page's own script builds every label with ``textContent``, so no data
string is ever parsed as HTML. A Content-Security-Policy forbids every network load and every
script other than the two inlined ones, so the page cannot reach the network even by mistake.

Layers: the type, each dimension score and the composite (one at a time, each with its
legend), with the 시도 borders on top. Hover shows name, 시도 and type; a click opens the
scores with national ranks, the reason for the type and a data-coverage note. A search box
finds a region by Korean or English name and always shows its 시도 (중구 exists six times);
choosing one outlines it, fits it and opens its popup beside it. Place names come from the
bundled geometry (``labels``): 시도 names always (shortened, or dropped, where they would collide),
시군구 names from zoom 9 on, where they fit.

The page explains itself (``map_explain``): each type's rule and policy package one click from the
search box, the legend and every popup; the scores' scale in the legend and popups, with each rank's
share ("상위 12%"); a warning in the popup of a region whose type changes without one indicator
(the validity audit's leave-one-out), and what the audit says about the axes the types are read
from. On a phone (< 600 px) the layer panel and legend fold, one open at a time, and popups open
below the search box and zoom buttons.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup

from ..core import ranks as ranking
from ..core.catalog import DIMENSIONS
from ..core.result import RunResult
from ..core.settings import OutputSettings
from ..data.regions import search_text
from ..errors import TypologyError
from .labels import label_points, sido_names
from .layers import COMPOSITE_NAMES, MISSING_COLOUR, MISSING_LABEL, QUALITY_KO, SCORE_LAYERS, MapLayer, build_layers
from .map_explain import axis_notes, scale_words, short_sido, type_changes, type_definitions
from .offline_assets import csp, json_for_script, leaflet_css, leaflet_js
from .pages import asset, render
from .ranks import rank_parts, ranks_and_ties
from .validity_notes import type_notes

# 1e-4° is ~10 m, far below the 250 m simplification of the bundled geometry; it keeps the
# default map well under 2 MB.
COORD_DECIMALS = 4
_TILE_URL = re.compile(r"^https://[^\s\"'<>]+\{z\}[^\s\"'<>]*$")


def _rounded(geometry: pd.Series) -> list[dict[str, Any]]:
    """GeoJSON geometry objects, coordinates rounded to ``COORD_DECIMALS``.

    Built from the coordinate arrays: the same objects as ``json.loads(shapely.to_geojson(g))``
    (the same floats, so map.html's bytes), without writing and parsing a text per unit (a tenth
    of map.html's time)."""
    rounded = shapely.transform(geometry.to_numpy(), lambda xy: np.round(xy, COORD_DECIMALS))
    return [_geojson(g) for g in rounded]


def _rings(polygon: Any) -> list[list[list[float]]]:
    return [np.asarray(polygon.exterior.coords).tolist(), *(np.asarray(r.coords).tolist() for r in polygon.interiors)]


def _geojson(shape: Any) -> dict[str, Any]:
    if shape.is_empty:
        return json.loads(shapely.to_geojson(shape))
    if shape.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": _rings(shape)}
    if shape.geom_type == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [_rings(p) for p in shape.geoms]}
    return json.loads(shapely.to_geojson(shape))  # not a polygon: as GEOS writes it


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _number(value: Any) -> float | None:
    return None if pd.isna(value) else round(float(value), 4)


def dimension_names(result: RunResult) -> dict[str, tuple[str, str]]:
    names = {d: (result.catalog.dimensions[d]["name_ko"], result.catalog.dimensions[d]["name_en"]) for d in DIMENSIONS}
    names["composite"] = COMPOSITE_NAMES
    return names


def national_ranks(table: pd.DataFrame) -> pd.DataFrame:
    """Rank 1 = highest score among the units that have one; ties share the better rank."""
    return ranking.rank(table.set_index("code")[list(SCORE_LAYERS)])


def rank_texts(table: pd.DataFrame) -> pd.DataFrame:
    """Per unit and score, the popup's rank: ``[47위 / 228, ""]``, or ``[공동 47위 / 228, 47–226위, 180곳 동점]``
    for a tie."""
    scores = table.set_index("code")
    texts = {}
    for key in SCORE_LAYERS:
        both = ranks_and_ties(scores[key])
        scored = int(scores[key].notna().sum())
        texts[key] = [list(rank_parts(r, t, scored)) for r, t in zip(both["rank"], both["tied"])]
    return pd.DataFrame(texts, index=scores.index)


def coverage_notes(result: RunResult) -> dict[str, str]:
    notes = {}
    for _, row in result.coverage.iterrows():
        quality = QUALITY_KO.get(row["quality"], str(row["quality"]))
        notes[row["dimension"]] = f"{quality} ({row['quality']}); 연구 지표 {row['study_indicators_covered']} 반영"
    return notes


def tile_layer(output: OutputSettings) -> dict[str, str] | None:
    """The basemap for Leaflet (None: no basemap) of the run's output settings; validation calls it to
    check the URL."""
    url = output.map_tiles
    if not url:
        return None
    if not isinstance(url, str) or not _TILE_URL.match(url):
        raise TypologyError(
            f"config key output.map_tiles: expected null (no basemap, works offline) or an https URL template "
            f"with {{z}}/{{x}}/{{y}}, got {url!r}"
        )
    host = urlsplit(url.replace("{s}", "a")).netloc
    if not re.fullmatch(r"[A-Za-z0-9.-]+(:\d+)?", host):
        raise TypologyError(f"config key output.map_tiles: the host {host!r} is not a plain host name (the page "
                            "allows images from that one host only)")
    # Leaflet inserts attributions as HTML, so the text is escaped here.
    return {"url": url, "attribution": html.escape(str(output.map_tiles_attribution or ""))}


def tile_host(url: str) -> str:
    """``https://{s}.tile.example.org/{z}/{x}/{y}.png`` → ``https://*.tile.example.org``: the CSP source
    that allows the basemap's images and nothing else (Leaflet's ``{s}`` subdomains become ``*``)."""
    host = urlsplit(url.replace("{s}", "a")).netloc
    if url.split("//", 1)[-1].startswith("{s}."):
        host = "*." + host.split(".", 1)[1]
    return f"https://{host}"


def scope_bounds(geo: pd.DataFrame) -> list[list[float]]:
    """The scope's units' extent as Leaflet bounds [[south, west], [north, east]] (the page opens on its units,
    which are the scope's, so this is what it shows first)."""
    west, south, east, north = (round(float(v), COORD_DECIMALS)
                                for v in shapely.total_bounds(np.asarray(geo["geometry"], dtype=object)))
    return [[south, west], [north, east]]


def scope_context(result: RunResult, geo: pd.DataFrame) -> dict[str, Any] | None:
    """The units outside ``units.scope`` as a plain grey layer (no names, no scores), or None for a whole-country run.

    They are drawn so a scoped map still shows where the scope lies; they carry nothing to click,
    since they were not part of the run.
    """
    if not result.scope.get("spec"):
        return None
    from ..data.geometry import load_unit_shapes

    every = load_unit_shapes()
    rest = every[~every["code"].isin(set(geo["code"]))]
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": g, "properties": {}} for g in _rounded(rest["geometry"])]}


def map_payload(result: RunResult, table: pd.DataFrame, geo: pd.DataFrame,
                sido: pd.DataFrame, layers: list[MapLayer] | None = None) -> dict[str, Any]:
    """Everything the page shows, as plain JSON-able data (no HTML).

    ``geo``: the table with its units' lon/lat shapes in a geometry column (``attach_shapes``, or a
    GeoDataFrame from ``attach``); ``sido``: sido_code and geometry (``load_sido_shapes``, or
    ``load_sido_geometry``)."""
    names = dimension_names(result)
    settings = result.settings
    layers = layers or build_layers(table, settings, names)
    ranks = national_ranks(table)
    rank_words = rank_texts(table)
    by_code = table.set_index("code")
    observed = pd.DataFrame({d: result.raw[[i.key for i in result.indicators if i.dimension == d]].notna().sum(axis=1)
                             for d in DIMENSIONS})
    totals = [sum(1 for i in result.indicators if i.dimension == d) for d in DIMENSIONS]
    ind_names = {i.key: i.spec["name_ko"] for i in result.indicators}
    geometry = dict(zip(geo["code"], _rounded(geo["geometry"])))
    label_at = dict(zip(geo["code"], label_points(geo["geometry"])))
    classes = pd.DataFrame({layer.key: layer.classes for layer in layers}).reindex(by_code.index).fillna(-1)
    columns = ["name", "name_en", "sido", "type_ko", "reason", "missing_indicators", *SCORE_LAYERS]
    rows = by_code.reindex(columns=columns)
    changes = type_changes(result)
    # A type resting on an axis whose parts do not measure one thing says so beside it (validity_notes).
    type_note = (type_notes(result.tables["validity"], settings.typology.rules()) if "validity" in result.tables
                 else {})
    by_name = {t["name_ko"]: type_note.get(t["key"], "") for t in settings.typology.types}
    features = []
    for code, row, k, obs, rank, words in zip(by_code.index, rows.itertuples(index=False), classes.to_numpy(dtype=int),
                                              observed.reindex(by_code.index).to_numpy(dtype=int),
                                              ranks.reindex(by_code.index).to_numpy(dtype=object, na_value=None),
                                              rank_words.reindex(by_code.index).to_numpy(dtype=object)):
        missing = [m for m in _text(row.missing_indicators).split(";") if m]
        features.append({"type": "Feature", "geometry": geometry[code], "properties": {
            "c": code, "n": _text(row.name), "ne": _text(row.name_en), "s": _text(row.sido), "t": _text(row.type_ko),
            "q": search_text(_text(row.name), _text(row.sido), _text(row.name_en), str(code)),
            "tn": by_name.get(_text(row.type_ko), ""),
            "k": [int(v) for v in k], "v": [_number(getattr(row, key)) for key in SCORE_LAYERS],
            "r": [None if r is None else int(r) for r in rank], "rt": list(words), "why": _text(row.reason),
            "miss": [ind_names.get(m, m) for m in missing], "obs": [[int(o), t] for o, t in zip(obs, totals)],
            "lp": label_at[code], "loo": changes.get(str(code), [])}})
    notes = coverage_notes(result)
    sido_name = sido_names(table)
    sido_features = [{"type": "Feature", "geometry": g, "properties": {
        "n": sido_name.get(str(c), ""), "sn": short_sido(sido_name.get(str(c), "")), "lp": lp}}
                     for g, c, lp in zip(_rounded(sido["geometry"]), sido["sido_code"], label_points(sido["geometry"]))]
    return {
        "title": str(settings.title_ko or "지역 유형"),
        "title_en": str(settings.title_en or ""),
        "layers": [{"key": layer.key, "title": layer.title_ko, "title_en": layer.title_en,
                    "colours": layer.colours, "labels": layer.labels, "counts": layer.counts(),
                    "missing": layer.missing(), "notes": list(layer.notes)} for layer in layers],
        "missing": {"colour": MISSING_COLOUR, "label": MISSING_LABEL},
        "scores": [{"key": key, "name": names[key][0]} for key in SCORE_LAYERS],
        "dims": [{"key": d, "name": names[d][0], "note": notes.get(d, "")} for d in DIMENSIONS],
        "scored": {key: int(table[key].notna().sum()) for key in SCORE_LAYERS},
        "units": {"type": "FeatureCollection", "features": features},
        "sido": {"type": "FeatureCollection", "features": sido_features},
        "tiles": tile_layer(settings.output),
        "context": scope_context(result, geo),
        "bounds": scope_bounds(geo),
        "scope": {"ko": result.scope.get("ko", ""), "en": result.scope.get("en", "")} if result.scope.get("spec")
        else None,
        # What the page says about itself: the types, the scale, the validity audit per axis.
        "types": type_definitions(result, layers[0].colours, layers[0].counts()),
        "scale": scale_words(result),
        "axes": axis_notes(result),
        "report": "report.html" if settings.output.report else None,
    }


def render_page(payload: dict[str, Any]) -> str:
    script = asset("map.js")
    library = leaflet_js()
    # Markup: our own and Leaflet's code and styles, and JSON made safe for a <script> element.
    tiles = payload.get("tiles")
    return render("map.html", csp=csp([library, script], tile_host(tiles["url"]) if tiles else None),
                  title=payload["title"], leaflet_css=Markup(leaflet_css()),
                  map_css=Markup(asset("map.css")), leaflet_js=Markup(library), data=Markup(json_for_script(payload)),
                  map_js=Markup(script))


def build_map(result: RunResult, table: pd.DataFrame, geo: pd.DataFrame, sido: pd.DataFrame,
              layers: list[MapLayer] | None = None) -> str:
    """The whole map.html as text (``geo`` and ``sido`` as for ``map_payload``)."""
    return render_page(map_payload(result, table, geo, sido, layers))
