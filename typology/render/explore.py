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

A click on a region opens a popup (``folium.GeoJsonPopup``) with its type, the reason for it and
its scores, as map.html's does. The search box is a small inlined script rather than folium's
``plugins.Search``, which loads leaflet-search from a CDN: it matches as map.html's box does
(``regions.search_text``: every term in the Korean name, 시도, English name or code), lists
up to 15 regions, and zooms to the one chosen and opens its popup.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from ..core.catalog import DIMENSIONS
from ..core.settings import RunSettings
from ..data.regions import search_text
from ..errors import TypologyError
from .layers import MISSING_COLOUR, MapLayer, build_layers, legend_spec
from .offline_assets import json_for_script, leaflet_css, leaflet_js
from .webmap import _rounded

if TYPE_CHECKING:
    import folium

SIDO_LAYER = "시도 경계 (province borders)"
TOOLTIP_FIELDS = {"n": "지역 Region", "s": "시도 Province", "t": "유형 Type"}
POPUP_FIELDS = {**TOOLTIP_FIELDS, "why": "유형 근거 Why this type", "d": "차원 점수 Dimension scores",
                "comp": "종합점수 (순위) Composite (rank)"}
SEARCH_LIMIT = 15


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


def _score(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):+.2f}"


def popup_texts(frame: gpd.GeoDataFrame, dimension_names: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Per unit (index = code): the popup's reason, dimension scores and composite with rank, HTML-escaped."""
    scored = int(frame["composite"].notna().sum())
    rows = {}
    for code, reason, comp, rank, dims in zip(frame["code"], frame["reason"], frame["composite"],
                                              frame["composite_rank"], frame[list(DIMENSIONS)].to_numpy()):
        scores = " · ".join(f"{dimension_names.get(k, (k, k))[0]} {_score(v)}" for k, v in zip(DIMENSIONS, dims))
        place = "" if pd.isna(rank) else f" ({int(rank)}/{scored}위)"
        rows[str(code)] = {"why": _escaped(reason), "d": html.escape(scores), "comp": html.escape(_score(comp) + place)}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["why", "d", "comp"])


def _features(frame: gpd.GeoDataFrame, layer: MapLayer, geometry: list[dict[str, Any]],
              texts: pd.DataFrame) -> dict[str, Any]:
    fill = layer.colour_of().reindex(frame["code"]).fillna(MISSING_COLOUR).to_numpy()
    props = frame[["code", "name", "sido", "type_ko"]].to_numpy(dtype=object)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": g, "properties": {
            "c": str(code), "n": _escaped(name), "s": _escaped(sido), "t": _escaped(type_ko), "fill": colour,
            **texts.loc[str(code)].to_dict()}}
        for g, (code, name, sido, type_ko), colour in zip(geometry, props, fill)]}


_SEARCH_JS = """
(function () {
  var map = %(map)s;
  var layers = [%(layers)s];
  var index = %(index)s;
  var limit = %(limit)s;
  function el(tag, text) { var e = document.createElement(tag); if (text) { e.textContent = text; } return e; }
  var box = L.DomUtil.create("div", "typology-search");
  box.style.cssText = "background:#fff;padding:6px 8px;border-radius:4px;box-shadow:0 1px 5px rgba(0,0,0,.35);"
    + "font:13px/1.4 sans-serif;width:230px";
  var input = el("input");
  input.type = "search";
  input.placeholder = "지역 검색 (예: 중구, Suncheon)";
  input.setAttribute("aria-label", "지역 검색 Search a region");
  input.style.cssText = "width:100%%;box-sizing:border-box";
  var list = el("ul");
  list.style.cssText = "list-style:none;margin:4px 0 0;padding:0;max-height:260px;overflow:auto";
  box.appendChild(input);
  box.appendChild(list);
  function shown(code) {
    // The unit's polygon in the layer now on the map (each layer holds its own copy).
    for (var i = 0; i < layers.length; i++) {
      if (!map.hasLayer(layers[i])) { continue; }
      var found = null;
      layers[i].eachLayer(function (l) { if (l.feature.properties.c === code) { found = l; } });
      if (found) { return found; }
    }
    return null;
  }
  function select(code) {
    var layer = shown(code);
    if (!layer) { return; }
    // Hidden, not emptied: a click on a button removed from the page would reach the map as a map
    // click, which closes the popup just opened (map.html's search does the same).
    list.hidden = true;
    map.fitBounds(layer.getBounds(), { maxZoom: 11, animate: false });
    // The popup is bound to the layer's group (folium's GeoJsonPopup): a click on the region opens it.
    layer.fire("click", { latlng: layer.getBounds().getCenter() }, true);
    box.setAttribute("data-selected", code);
  }
  var results = [];
  function update() {
    var q = input.value.trim().toLowerCase();
    list.textContent = "";
    list.hidden = false;
    if (!q) { results = []; return; }
    var terms = q.split(/\\s+/);
    results = index.filter(function (x) {
      return terms.every(function (t) { return x.q.indexOf(t) >= 0; });
    }).sort(function (a, b) {
      var ea = a.n.toLowerCase() === q ? 0 : 1;
      var eb = b.n.toLowerCase() === q ? 0 : 1;
      return ea - eb || (a.s + a.n).localeCompare(b.s + b.n, "ko");
    });
    if (!results.length) { list.appendChild(el("li", "찾는 지역이 없습니다 (no match)")); }
    results.slice(0, limit).forEach(function (x) {
      var li = el("li");
      var btn = el("button", x.n + " · " + x.s);
      btn.type = "button";
      btn.setAttribute("data-code", x.c);
      btn.style.cssText = "border:0;background:none;padding:2px 0;cursor:pointer;text-align:left;width:100%%";
      btn.addEventListener("click", function () { select(x.c); });
      li.appendChild(btn);
      list.appendChild(li);
    });
  }
  input.addEventListener("input", update);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && results.length) { select(results[0].c); }
  });
  var control = L.control({ position: "topleft" });
  control.onAdd = function () {
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(map);
})();
"""


def search_index(frame: gpd.GeoDataFrame) -> list[dict[str, str]]:
    """The search box's list: code, name, 시도 and the text a query is matched against (as map.html)."""
    name_en = frame["name_en"] if "name_en" in frame else pd.Series("", index=frame.index)
    return [{"c": str(c), "n": str(n), "s": str(s), "q": search_text(str(n), str(s), str(e), str(c))}
            for c, n, s, e in zip(frame["code"], frame["name"], frame["sido"], name_en.fillna(""))]


def _script(code: str) -> Any:
    from branca.element import MacroElement
    from jinja2 import Template

    element = MacroElement()
    # The code is an attribute, not template text: a label can then hold anything, even '{%'.
    element.code = code
    element._template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")
    return element


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


def explore_map(frame: gpd.GeoDataFrame, settings: RunSettings, dimension_names: dict[str, tuple[str, str]],
                sido: gpd.GeoDataFrame, layer: str = "type") -> folium.Map:
    """A folium map with every map.html layer (``layer`` shown first), the 시도 borders, tooltips and legend."""
    folium = _require_folium()
    layers = build_layers(frame, settings, dimension_names)
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
    popup_fields, popup_aliases = list(POPUP_FIELDS), [html.escape(a) for a in POPUP_FIELDS.values()]
    texts = popup_texts(frame, dimension_names)
    legends, drawn = {}, []
    for spec in layers:
        name = layer_name(spec)
        legends[name] = {**legend_spec(spec), "key": spec.key}
        drawn.append(folium.GeoJson(
            _features(frame, spec, geometry, texts), name=name, overlay=False, show=spec.key == layer,
            style_function=_unit_style, highlight_function=_hover_style,
            tooltip=folium.GeoJsonTooltip(fields=tooltip_fields, aliases=tooltip_aliases, sticky=True),
            popup=folium.GeoJsonPopup(fields=popup_fields, aliases=popup_aliases, max_width=360),
        ).add_to(fmap))
    borders = {"type": "FeatureCollection",
               "features": [{"type": "Feature", "geometry": g, "properties": {}} for g in _rounded(sido.geometry)]}
    folium.GeoJson(borders, name=html.escape(SIDO_LAYER), style_function=_sido_style, pane="sido",
                   interactive=False).add_to(fmap)
    folium.LayerControl(collapsed=False, position="bottomleft").add_to(fmap)
    fmap.add_child(_script(_LEGEND_JS % {"legends": json_for_script(legends), "map": fmap.get_name(),
                                         "initial": json_for_script(layer_name(layers[keys.index(layer)]))}),
                   name="typology_legend")
    fmap.add_child(_script(_SEARCH_JS % {"map": fmap.get_name(), "layers": ", ".join(g.get_name() for g in drawn),
                                         "index": json_for_script(search_index(frame)), "limit": SEARCH_LIMIT}),
                   name="typology_search")
    return fmap
