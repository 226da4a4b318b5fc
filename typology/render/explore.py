"""``Results.explore()``: the run's map as a folium map, for notebooks, working offline.

The layers, colours, legends and tooltips come from the same specification as map.html
(``layers.build_layers``), so a region has the same colour and legend entry in both. folium's
own asset list points at eleven CDN files (Leaflet, jQuery, Bootstrap, Font Awesome…); none of
them is needed for polygons, tooltips and a layer switcher, so the list is emptied and Leaflet
is inlined from the same installed wheel as map.html's (``offline_assets``). No request leaves
the machine when the map is shown, even on a closed network.

map.html is not built with folium (``benchmarks/folium_vs_map.py`` measures why): every folium
layer carries its own copy of the shapes (~0.94 MB each, 5.8 MB for the six layers against
map.html's 2 MB bar), folium's search plugin loads leaflet-search from a CDN, and map.html's
popups (ranks, reason, coverage) would be per-feature HTML strings. Under map.html's CSP, with
every inline script hashed, folium's page does load offline.

folium writes tooltip values into the page as HTML, so every data string is HTML-escaped here,
before folium sees it; the legend is built by a small script with ``textContent``.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from ..errors import TypologyError
from .layers import MISSING_COLOUR, MapLayer, build_layers, legend_spec
from .offline_assets import json_for_script, leaflet_css, leaflet_js
from .webmap import _rounded

if TYPE_CHECKING:
    import folium

SIDO_LAYER = "시도 경계 (province borders)"
TOOLTIP_FIELDS = {"n": "지역 Region", "s": "시도 Province", "t": "유형 Type"}


def _require_folium() -> Any:
    try:
        import folium
    except ImportError:
        raise TypologyError("explore(): folium is not installed; install it with `pip install folium` "
                            "(a dependency of typology)") from None
    return folium


def _escaped(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else html.escape(str(value))


def layer_name(layer: MapLayer) -> str:
    """The layer's entry in the layer switcher; Leaflet inserts it as HTML, hence escaped."""
    return html.escape(f"{layer.title_ko} ({layer.title_en})")


_LEGEND_JS = """
(function () {
  var legends = %(legends)s;
  var map = %(map)s;
  var box = L.DomUtil.create("div", "typology-legend");
  box.style.cssText = "background:#fff;padding:6px 8px;border-radius:4px;box-shadow:0 1px 5px rgba(0,0,0,.35);"
    + "font:12px/1.4 sans-serif;max-width:300px;word-break:keep-all";
  function el(tag, text) { var e = document.createElement(tag); if (text) { e.textContent = text; } return e; }
  function draw(name) {
    var spec = legends[name];
    if (!spec) { return; }
    box.textContent = "";
    var title = el("b", spec.title);
    title.style.display = "block";
    box.appendChild(title);
    if (spec.note) { box.appendChild(el("div", spec.note)); }
    spec.rows.forEach(function (r) {
      var row = el("div");
      var sw = el("span");
      sw.style.cssText = "display:inline-block;width:12px;height:12px;margin-right:5px;border:1px solid #888;"
        + "vertical-align:-2px;background:" + r.colour;
      row.appendChild(sw);
      row.appendChild(document.createTextNode(r.label + " (" + r.count + ")"));
      box.appendChild(row);
    });
    box.setAttribute("data-layer", spec.key);
  }
  // As map.html: no flag in the prefix, and the boundaries' source (constant text, inserted as HTML).
  if (map.attributionControl) {
    map.attributionControl.setPrefix("Leaflet");
    map.attributionControl.addAttribution("경계 Boundaries: 통계청 2020");
  }
  var control = L.control({ position: "bottomright" });
  control.onAdd = function () { L.DomEvent.disableClickPropagation(box); return box; };
  control.addTo(map);
  map.on("baselayerchange", function (e) { draw(e.name); });
  draw(%(initial)s);
})();
"""


def _features(frame: gpd.GeoDataFrame, layer: MapLayer, geometry: list[dict[str, Any]]) -> dict[str, Any]:
    fill = layer.colour_of().reindex(frame["code"]).fillna(MISSING_COLOUR).to_numpy()
    props = frame[["code", "name", "sido", "type_ko"]].to_numpy(dtype=object)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": g, "properties": {
            "c": str(code), "n": _escaped(name), "s": _escaped(sido), "t": _escaped(type_ko), "fill": colour}}
        for g, (code, name, sido, type_ko), colour in zip(geometry, props, fill)]}


def _unit_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"fillColor": feature["properties"]["fill"], "fillOpacity": 0.85, "color": "#ffffff", "weight": 0.6}


def _hover_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"weight": 2.5, "color": "#333333"}


def _sido_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"color": "#222222", "weight": 1.4, "opacity": 0.9, "fill": False}


def offline(fmap: folium.Map) -> folium.Map:
    """Empty folium's CDN asset list and inline Leaflet from the installed wheel instead."""
    from branca.element import Element

    fmap.default_js = []
    fmap.default_css = []
    header = fmap.get_root().header
    header.add_child(Element(f"<style>{leaflet_css()}</style>"), name="leaflet_css")
    header.add_child(Element(f"<script>{leaflet_js()}</script>"), name="leaflet")
    return fmap


def explore_map(frame: gpd.GeoDataFrame, config: dict[str, Any], dimension_names: dict[str, tuple[str, str]],
                sido: gpd.GeoDataFrame, layer: str = "type") -> folium.Map:
    """A folium map with every map.html layer (``layer`` shown first), the 시도 borders, tooltips and legend."""
    folium = _require_folium()
    from branca.element import MacroElement
    from jinja2 import Template

    layers = build_layers(frame, config, dimension_names)
    keys = [spec.key for spec in layers]
    if layer not in keys:
        raise TypologyError(f"explore(layer={layer!r}): expected one of {keys}")
    west, south, east, north = (float(v) for v in frame.total_bounds)
    fmap = offline(folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=7, tiles=None,
                              control_scale=True))
    fmap.fit_bounds([[south, west], [north, east]])
    folium.map.CustomPane("sido", z_index=450, pointer_events=False).add_to(fmap)
    geometry = _rounded(frame.geometry)
    tooltip_fields, tooltip_aliases = list(TOOLTIP_FIELDS), [html.escape(a) for a in TOOLTIP_FIELDS.values()]
    legends = {}
    for spec in layers:
        name = layer_name(spec)
        legends[name] = {**legend_spec(spec), "key": spec.key}
        folium.GeoJson(
            _features(frame, spec, geometry), name=name, overlay=False, show=spec.key == layer,
            style_function=_unit_style, highlight_function=_hover_style,
            tooltip=folium.GeoJsonTooltip(fields=tooltip_fields, aliases=tooltip_aliases, sticky=True),
        ).add_to(fmap)
    borders = {"type": "FeatureCollection",
               "features": [{"type": "Feature", "geometry": g, "properties": {}} for g in _rounded(sido.geometry)]}
    folium.GeoJson(borders, name=html.escape(SIDO_LAYER), style_function=_sido_style, pane="sido",
                   interactive=False).add_to(fmap)
    folium.LayerControl(collapsed=False, position="bottomleft").add_to(fmap)
    legend = MacroElement()
    # The code is an attribute, not template text: a label can then hold anything, even '{%'.
    legend.code = _LEGEND_JS % {"legends": json_for_script(legends), "map": fmap.get_name(),
                                "initial": json_for_script(layer_name(layers[keys.index(layer)]))}
    legend._template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")
    fmap.add_child(legend, name="typology_legend")
    return fmap
