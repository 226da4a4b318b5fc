"""The interactive type map (folium), with a tooltip per unit.

Every data string is HTML-escaped before it reaches the page, since tooltip fields are
rendered as HTML.
"""

from __future__ import annotations

import html
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from .catalog import DIMENSIONS

PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]
UNCLASSIFIED_COLOUR = "#bdbdbd"


def type_colours(types: list[dict[str, Any]], unclassified: str) -> dict[str, str]:
    colours = {spec["key"]: spec.get("colour") or PALETTE[i % len(PALETTE)] for i, spec in enumerate(types)}
    colours[unclassified] = UNCLASSIFIED_COLOUR
    return colours


def build_map(gdf: gpd.GeoDataFrame, sido: gpd.GeoDataFrame, config: dict[str, Any],
              dimension_names: dict[str, str]) -> folium.Map:
    typ = config["typology"]
    colours = type_colours(typ["types"], typ["unclassified"]["key"])
    shown = gdf[["code", "name", "sido", "type", "type_ko", "reason", "composite", *DIMENSIONS, "geometry"]].copy()
    for col in ("name", "sido", "type_ko", "reason"):
        shown[col] = shown[col].fillna("").map(lambda s: html.escape(str(s)))
    for col in (*DIMENSIONS, "composite"):
        shown[col] = shown[col].map(lambda v: "결측" if pd.isna(v) else f"{v:+.2f}")
    shown["colour"] = shown["type"].map(colours).fillna(UNCLASSIFIED_COLOUR)

    bounds = shown.total_bounds
    fmap = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], zoom_start=7,
                      tiles=config["output"]["map_tiles"], control_scale=True)
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    folium.GeoJson(
        shown.to_json(),
        name=html.escape("유형 Type"),
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#ffffff",
                                  "weight": 0.5, "fillOpacity": 0.8},
        highlight_function=lambda f: {"weight": 2, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "sido", "type_ko", *DIMENSIONS, "composite", "reason"],
            aliases=["지역", "시도", "유형", *[html.escape(dimension_names[d]) for d in DIMENSIONS],
                     "종합", "근거"],
            sticky=True,
        ),
    ).add_to(fmap)
    folium.GeoJson(sido.to_json(), name="시도 경계", interactive=False,
                   style_function=lambda f: {"fill": False, "color": "#333333", "weight": 1.2}).add_to(fmap)
    legend = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;background:{colours[s["key"]]};'
        f'margin-right:6px"></span>{html.escape(s["name_ko"])} ({html.escape(s["name_en"])}): '
        f'{int((gdf["type"] == s["key"]).sum())}</div>'
        for s in [*typ["types"], typ["unclassified"]] if s["key"] in set(gdf["type"]) or s in typ["types"]
    )
    box = (f'<div class="typology-legend" style="position:fixed;bottom:24px;left:24px;z-index:9999;'
           f'background:white;padding:8px 10px;border:1px solid #999;font:13px sans-serif">'
           f'<b>{html.escape(config.get("title_ko") or "유형")}</b>{legend}</div>')
    fmap.get_root().html.add_child(folium.Element(box))
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap
