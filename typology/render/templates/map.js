(function () {
  "use strict";
  // Every data string reaches the page through textContent, never innerHTML.
  var data = JSON.parse(document.getElementById("typology-data").textContent);
  var mapEl = document.getElementById("map");
  var active = 0;
  var layersByCode = {};
  var selected = null;  // the code of the region last chosen in the search box
  // 시군구 names from this zoom on; below it they would cover the map (시도 names are always shown).
  var UNIT_LABEL_ZOOM = 9;
  var POPUP_WIDTH = 340;
  // Where the pointer was when a search result was chosen. Until it really moves, hovering is off:
  // the browser replays a mouseover when the map moves under a still pointer, which would open a
  // tooltip wherever the list was.
  var pointer = null;
  var hoverOff = null;
  document.addEventListener("mousemove", function (e) {
    pointer = [e.clientX, e.clientY];
    if (hoverOff && Math.abs(e.clientX - hoverOff[0]) + Math.abs(e.clientY - hoverOff[1]) > 4) { hoverOff = null; }
  }, true);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function fmt(v) {
    if (v === null) { return "결측"; }
    var s = v.toFixed(2);
    return (v >= 0 && s !== "-0.00" ? "+" : "") + s;
  }
  function colourOf(p) {
    var k = p.k[active];
    var layer = data.layers[active];
    return k >= 0 ? layer.colours[k] : data.missing.colour;
  }
  function style(f) {
    var chosen = f.properties.c === selected;
    return { fillColor: colourOf(f.properties), fillOpacity: 0.85, color: chosen ? "#000000" : "#ffffff",
             weight: chosen ? 4 : 0.6, opacity: 1, className: "typology-unit" };
  }

  var map = L.map(mapEl, { zoomSnap: 0.25, zoomControl: false });
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution("경계 Boundaries: 통계청 2020");
  if (data.tiles) {
    // The attribution was HTML-escaped when the page was built; Leaflet inserts it as HTML.
    L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution }).addTo(map);
  }

  function tooltip(p) {
    var d = el("div", "typology-tooltip");
    d.appendChild(el("b", null, p.n));
    d.appendChild(document.createTextNode(" · " + p.s));
    d.appendChild(el("br"));
    d.appendChild(document.createTextNode(p.t));
    return d;
  }

  function popup(p) {
    var d = el("div", "typology-popup");
    d.appendChild(el("div", "typology-title", p.n));
    d.appendChild(el("div", null, p.s + " · " + p.ne + " · " + p.c));
    var t = el("div");
    t.appendChild(el("b", null, "유형 Type: "));
    t.appendChild(document.createTextNode(p.t));
    var def = typeOf(p.t);
    if (def) {
      var about = el("button", "typology-about-link", "유형 설명");
      about.type = "button";
      about.addEventListener("click", function () { showAbout(true); });
      t.appendChild(document.createTextNode(" "));
      t.appendChild(about);
    }
    d.appendChild(t);
    // Only when the type rests on an incoherent axis (the validity audit's coherence check).
    if (p.tn) { d.appendChild(el("div", "type-note", p.tn)); }
    if (p.loo.length) {
      // The validity audit's leave-one-out: this region's type changes without one of these indicators.
      var warn = el("div", "typology-fragile");
      var flags = p.loo.filter(function (x) { return x[1]; }).length;
      var names = p.loo.map(function (x) { return x[0] + (x[1] ? " (0/1 표시)" : ""); }).join(", ");
      warn.appendChild(el("b", null, p.loo.length === 1
        ? (flags ? "유형이 0/1 표시 하나에 달려 있음" : "유형이 지표 하나에 달려 있음")
        : "유형이 지표 하나하나에 달려 있음"));
      warn.appendChild(document.createTextNode(": " + names + (p.loo.length === 1 ? "을(를)" : " 중 하나라도") +
        " 빼면 이 지역의 유형이 바뀐다 (타당성 감사, 지표 하나 빼기). "));
      warn.appendChild(el("span", "en", "Its type changes when " + (p.loo.length === 1 ? "this indicator is" :
        "any one of these indicators is") + " left out (validity audit, leave one out)."));
      d.appendChild(warn);
    }
    var table = el("table");
    var head = el("tr");
    ["점수 Score", "값 (" + data.scale.short + ")", data.scope ? "범위 내 순위 Rank in scope" : "전국 순위 Rank"].forEach(function (h) { head.appendChild(el("th", null, h)); });
    table.appendChild(head);
    data.scores.forEach(function (s, i) {
      var tr = el("tr");
      tr.appendChild(el("td", null, s.name));
      tr.appendChild(el("td", "num", fmt(p.v[i])));
      // The words come with the data, so a tie reads "공동 47위" here as in the xlsx and the report.
      var rank = el("td", "num rank", p.r[i] === null ? "–" : p.rt[i][0]);
      if (p.r[i] !== null && !p.rt[i][1]) {
        // The share of regions at or above this one: "상위 12%" reads without knowing the scale. Not for a
        // tie: 180 regions sharing "공동 47위" at the bottom are not in the top 21%.
        var top = Math.max(1, Math.round(100 * p.r[i] / data.scored[s.key]));
        rank.appendChild(el("span", "pct", " · 상위 " + top + "%"));
      }
      if (p.r[i] !== null && p.rt[i][1]) {
        rank.appendChild(el("br"));
        rank.appendChild(el("span", "tie", p.rt[i][1]));
      }
      tr.appendChild(rank);
      table.appendChild(tr);
    });
    d.appendChild(table);
    d.appendChild(el("div", "typology-scale", "값 Value: " + data.scale.ko));
    var why = el("p", "reason");
    why.appendChild(el("b", null, "유형 근거 Reason: "));
    why.appendChild(document.createTextNode(p.why));
    d.appendChild(why);
    var cov = el("div", "coverage");
    cov.appendChild(el("b", null, "자료 범위 Data coverage"));
    data.dims.forEach(function (dim, i) {
      cov.appendChild(el("div", null, dim.name + ": 지표 " + p.obs[i][0] + "/" + p.obs[i][1] + " 관측 · " + dim.note));
    });
    cov.appendChild(el("div", p.miss.length ? "missing" : null,
      p.miss.length ? "결측 지표 Missing: " + p.miss.join(", ") : "결측 지표 없음 (all indicators observed)"));
    d.appendChild(cov);
    if (data.axes.length) {
      // What the run's validity audit says about the axes the type rules read (every row it has for them).
      var audit = el("details", "typology-validity");
      audit.appendChild(el("summary", null, "타당성 감사: 유형을 정하는 축 (validity audit of the axes)"));
      data.axes.forEach(function (axis) {
        audit.appendChild(el("div", "axis", axis.name + " (" + axis.name_en + ")"));
        var ul = el("ul");
        axis.notes.forEach(function (n) {
          var li = el("li", null, n[0]);
          li.appendChild(el("span", "en", " " + n[1]));
          ul.appendChild(li);
        });
        audit.appendChild(ul);
      });
      d.appendChild(audit);
    }
    return d;
  }
  function typeOf(name) {
    return data.types.filter(function (x) { return x.name === name; })[0] || null;
  }

  // Units outside units.scope: grey and inert, under the scope's own units.
  if (data.context) {
    L.geoJSON(data.context, {
      interactive: false,
      style: { color: "#c8c8c8", weight: 0.5, fillColor: "#e4e4e4", fillOpacity: 0.85, className: "typology-context" }
    }).addTo(map);
  }

  var units = L.geoJSON(data.units, {
    style: style,
    onEachFeature: function (f, layer) {
      layersByCode[f.properties.c] = layer;
      layer.bindTooltip(function () { return tooltip(f.properties); }, { sticky: true, direction: "top" });
      layer.bindPopup(function () { return popup(f.properties); }, { maxWidth: POPUP_WIDTH });
      layer.on("tooltipopen", function () { if (hoverOff) { layer.closeTooltip(); } });
      layer.on("mouseover", function () {
        if (hoverOff || f.properties.c === selected) { return; }
        layer.setStyle({ weight: 2.5, color: "#333333" });
        layer.bringToFront();
        if (selected) { layersByCode[selected].bringToFront(); }
      });
      layer.on("mouseout", function () {
        units.resetStyle(layer);
        if (selected) { layersByCode[selected].bringToFront(); }
      });
    }
  }).addTo(map);

  map.createPane("sido");
  map.getPane("sido").style.zIndex = 450;
  map.getPane("sido").style.pointerEvents = "none";
  var sido = L.geoJSON(data.sido, {
    pane: "sido", interactive: false,
    style: { color: "#222222", weight: 1.4, opacity: 0.9, fill: false, className: "typology-sido" }
  }).addTo(map);

  // Place names, drawn from the bundled geometry (there is no basemap offline). Each label is a
  // text node in its own element, like every other data string on the page.
  map.createPane("labels");
  map.getPane("labels").style.zIndex = 460;
  map.getPane("labels").style.pointerEvents = "none";
  function label(lp, text, cls) {
    var span = el("span", null, text);
    var icon = L.divIcon({ className: "typology-label " + cls, html: span, iconSize: null });
    return L.marker(lp, { icon: icon, pane: "labels", interactive: false, keyboard: false });
  }
  // Smaller 시도 first: a 특별시/광역시 has no room elsewhere, a 도 can shorten its name or drop it.
  var sidoEntries = [];
  sido.eachLayer(function (l) {
    var f = l.feature, b = l.getBounds();
    sidoEntries.push({ full: f.properties.n, short: f.properties.sn,
                       area: (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest()),
                       marker: label(f.properties.lp, f.properties.n, "typology-label-sido") });
  });
  sidoEntries.sort(function (a, b) { return a.area - b.area; });
  var sidoLabels = L.layerGroup(sidoEntries.map(function (x) { return x.marker; })).addTo(map);
  // Larger regions first: where names collide, the larger region keeps its name.
  var unitLabels = data.units.features.map(function (f) {
    var b = layersByCode[f.properties.c].getBounds();
    return { area: (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest()),
             marker: label(f.properties.lp, f.properties.n, "typology-label-unit") };
  }).sort(function (a, b) { return b.area - a.area; });
  var unitLabelGroup = L.layerGroup(unitLabels.map(function (x) { return x.marker; }));

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  function placeSido(taken) {
    sidoEntries.forEach(function (x) {
      var e = x.marker.getElement();
      if (!e || !x.full) { return; }
      var span = e.firstChild;
      var free = false;
      // A phone's whole-country view has room for short names only (서울, 충남).
      (narrow() && map.getZoom() < 8 ? [x.short] : [x.full, x.short]).forEach(function (text) {
        if (free) { return; }
        span.textContent = text;
        var r = span.getBoundingClientRect();
        free = !taken.some(function (t) { return overlaps(r, t); });
        if (free) { taken.push(r); }
      });
      e.style.visibility = free ? "" : "hidden";
      e.classList.toggle("typology-label-hidden", !free);
      e.setAttribute("data-name", x.full);
    });
  }
  function declutter() {
    var taken = [];
    placeSido(taken);
    if (!map.hasLayer(unitLabelGroup)) { return; }
    unitLabels.forEach(function (x) {
      var e = x.marker.getElement();
      if (!e) { return; }
      var r = e.firstChild.getBoundingClientRect();
      var free = !taken.some(function (t) { return overlaps(r, t); });
      e.style.visibility = free ? "" : "hidden";
      e.classList.toggle("typology-label-hidden", !free);
      if (free) { taken.push(r); }
    });
  }
  function updateLabels() {
    var show = map.getZoom() >= UNIT_LABEL_ZOOM;
    if (show && !map.hasLayer(unitLabelGroup)) { unitLabelGroup.addTo(map); }
    if (!show && map.hasLayer(unitLabelGroup)) { map.removeLayer(unitLabelGroup); }
    declutter();
    mapEl.setAttribute("data-unit-labels", show ? "1" : "0");
  }

  function box(cls) {
    var b = el("div", "typology-box " + cls);
    L.DomEvent.disableClickPropagation(b);
    L.DomEvent.disableScrollPropagation(b);
    return b;
  }

  // The layer panel and the legend fold to their title (a button); on a phone only one is open at a
  // time, so that they never lie over each other.
  function narrow() { return mapEl.clientWidth < 600; }
  function foldable(cls, title) {
    var b = box(cls + " typology-foldable");
    var toggle = el("button", "typology-toggle");
    toggle.type = "button";
    toggle.appendChild(el("span", "typology-title", title));
    var body = el("div", "typology-body");
    b.appendChild(toggle);
    b.appendChild(body);
    toggle.addEventListener("click", function () { setOpen(b, body.hidden); });
    return { box: b, toggle: toggle, body: body };
  }
  var panels = {};
  function setOpen(b, open) {
    b.querySelector(".typology-body").hidden = !open;
    b.querySelector(".typology-toggle").setAttribute("aria-expanded", open ? "true" : "false");
    b.classList.toggle("typology-folded", !open);
    if (open && narrow()) {
      if (b === panels.layers) { setOpen(panels.legend, false); showAbout(false); }
      if (b === panels.legend) { setOpen(panels.layers, false); }
    }
    // On a phone the folded legend makes room for the open layer panel.
    if (panels.legend) { panels.legend.hidden = narrow() && !panels.layers.querySelector(".typology-body").hidden; }
  }

  var legendBox, legendTitle;
  function drawLegend() {
    var layer = data.layers[active];
    legendBox.textContent = "";
    legendTitle.textContent = layer.title + " (" + layer.title_en + ")";
    // Score layers are classed by quantiles; the type and type-probability layers have fixed classes.
    if (data.scores.some(function (s) { return s.key === layer.key; })) {
      legendBox.appendChild(el("div", "count", "분위 구간 (quantile classes), 짙을수록 높음"));
      legendBox.appendChild(el("div", "count typology-scale", "값: " + data.scale.legend));
    }
    layer.labels.forEach(function (label, i) {
      if (layer.key === "type" && layer.counts[i] === 0 && i === layer.labels.length - 1) { return; }
      var row = el("div");
      var sw = el("span", "swatch");
      sw.style.background = layer.colours[i];
      row.appendChild(sw);
      row.appendChild(document.createTextNode(label + " "));
      row.appendChild(el("span", "count", "(" + layer.counts[i] + ")"));
      legendBox.appendChild(row);
    });
    // Where a class boundary falls inside a tie, the legend says so (a class then holds more regions).
    layer.notes.forEach(function (note) { legendBox.appendChild(el("div", "count tie-note", note)); });
    if (layer.missing > 0) {
      var row = el("div");
      var sw = el("span", "swatch");
      sw.style.background = data.missing.colour;
      row.appendChild(sw);
      row.appendChild(document.createTextNode(data.missing.label + " "));
      row.appendChild(el("span", "count", "(" + layer.missing + ")"));
      legendBox.appendChild(row);
    }
    if (layer.key === "type") {
      var about = el("button", "typology-about-link", "유형 설명 (About the types)");
      about.type = "button";
      about.addEventListener("click", function () { showAbout(true); });
      legendBox.appendChild(about);
    }
    legendBox.parentNode.setAttribute("data-layer", layer.key);
  }

  function setLayer(i) {
    active = i;
    units.setStyle(style);
    drawLegend();
    // On a phone, choosing a layer shows its legend.
    if (narrow()) { setOpen(panels.legend, true); setOpen(panels.layers, false); }
  }

  // The types in words, one click from the search box, the legend and every popup.
  var aboutPanel, aboutButton;
  function buildAbout() {
    var d = el("div", "typology-about");
    d.appendChild(el("div", "typology-about-title", "유형의 뜻 (What the types mean)"));
    data.types.forEach(function (x) {
      var item = el("div", "type");
      var head = el("div", "name");
      var sw = el("span", "swatch");
      sw.style.background = x.colour;
      head.appendChild(sw);
      head.appendChild(el("b", null, x.name));
      head.appendChild(document.createTextNode(" (" + x.name_en + ") · " + x.n + "곳"));
      item.appendChild(head);
      if (x.rule) { item.appendChild(el("div", "rule", "기준: " + x.rule)); }
      if (x.policy) { item.appendChild(el("div", "policy", "정책 패키지: " + x.policy)); }
      if (x.policy_en) { item.appendChild(el("div", "en", x.policy_en)); }
      d.appendChild(item);
    });
    d.appendChild(el("div", "typology-scale", "점수 읽는 법: " + data.scale.ko + "."));
    d.appendChild(el("div", "en", "Scores: " + data.scale.en + "."));
    return d;
  }
  function showAbout(open) {
    if (!aboutPanel) { return; }
    aboutPanel.hidden = !open;
    aboutButton.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      aboutPanel.style.maxHeight = Math.max(160, Math.round(mapEl.clientHeight * (narrow() ? 0.45 : 0.6))) + "px";
      if (narrow()) { map.closePopup(); setOpen(panels.layers, false); }
    }
  }

  var results = [];
  // p.q is regions.search_text, computed in Python, so the box and Results.region() match alike.
  var index = data.units.features.map(function (f) {
    return { p: f.properties, key: f.properties.q };
  });
  function clearHover() {
    // A hover tooltip (and its outline) would otherwise stay wherever the pointer was when the
    // list closed, under the search box, until the pointer moves again.
    units.eachLayer(function (l) { l.closeTooltip(); });
    units.setStyle(style);
  }
  function select(code) {
    var layer = layersByCode[code];
    var p = layer.feature.properties;
    map.closePopup();
    hoverOff = pointer;
    if (selected && layersByCode[selected].getElement()) {
      layersByCode[selected].getElement().classList.remove("typology-selected");
    }
    selected = code;
    clearHover();
    layer.bringToFront();
    layer.getElement().classList.add("typology-selected");
    var size = map.getSize();
    // Room for the popup beside the region, on the right; on a narrow screen, above it instead.
    var beside = size.x >= 2 * (POPUP_WIDTH + 60);
    var head = document.querySelector(".typology-search");
    var below = head ? head.offsetTop + head.offsetHeight + 10 : 10;
    var fit = beside
      ? { paddingTopLeft: [(head ? head.offsetWidth : 0) + 30, 40], paddingBottomRight: [POPUP_WIDTH + 60, 40] }
      : { paddingTopLeft: [20, Math.max(below, Math.round(size.y * 0.55))], paddingBottomRight: [20, 20] };
    map.fitBounds(layer.getBounds(), L.extend({ maxZoom: 12, animate: false }, fit));
    updateLabels();
    var bounds = layer.getBounds();
    var anchor = beside ? L.latLng(bounds.getCenter().lat, bounds.getEast())
                        : L.latLng(bounds.getNorth(), bounds.getCenter().lng);
    var pop = L.popup({ maxWidth: POPUP_WIDTH, autoPan: false, className: beside ? "typology-beside" : "",
                        autoPanPaddingTopLeft: L.point(10, beside ? 10 : below) })
      .setLatLng(anchor).setContent(popup(p)).openOn(map);
    pop.on("remove", function () {
      if (selected === code) {
        selected = null;
        layer.getElement().classList.remove("typology-selected");
        units.setStyle(style);
      }
    });
    function centre() {
      if (beside) {
        // Leaflet opens a popup above its anchor; shift it right and down so that it sits beside
        // the region's eastern edge, vertically centred on it, and covers none of it.
        var opened = pop.getElement();
        pop.options.offset = L.point(Math.round(opened.offsetWidth / 2) + 14, Math.round(opened.offsetHeight / 2));
      }
    }
    centre();
    pop.options.autoPan = true;
    pop.update();
    // Opening the audit makes the popup taller: let Leaflet cap it at maxHeight (it then scrolls)
    // and centre it again, so that its top never runs off the map.
    var details = pop.getElement().querySelector("details");
    if (details) {
      // Layout and position only: Popup.update() would also take the content out of the page and
      // put it back while the reader is using it.
      details.addEventListener("toggle", function () {
        if (!pop.isOpen()) { return; }
        pop._updateLayout();
        centre();
        pop._updatePosition();
        pop._adjustPan();
      });
    }
    mapEl.setAttribute("data-selected", code);
  }

  var Head = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function () {
      var b = box("typology-search");
      b.appendChild(el("div", "typology-title", data.title));
      if (data.title_en) { b.lastChild.appendChild(el("small", null, data.title_en)); }
      var input = el("input");
      input.type = "search";
      input.placeholder = "지역 검색 (예: 중구, Suncheon)";
      input.setAttribute("aria-label", "지역 검색 Search a region");
      var list = el("ul");
      function update() {
        var q = input.value.trim().toLowerCase();
        list.textContent = "";
        list.hidden = false;
        results = [];
        if (!q) { return; }
        var terms = q.split(/\s+/);
        results = index.filter(function (x) {
          return terms.every(function (t) { return x.key.indexOf(t) >= 0; });
        }).sort(function (a, b) {
          var ea = a.p.n.toLowerCase() === q ? 0 : 1;
          var eb = b.p.n.toLowerCase() === q ? 0 : 1;
          return ea - eb || (a.p.s + a.p.n).localeCompare(b.p.s + b.p.n, "ko");
        });
        if (!results.length) { list.appendChild(el("li", "none", "찾는 지역이 없습니다 (no match)")); }
        results.slice(0, 15).forEach(function (x) {
          var li = el("li");
          var btn = el("button");
          btn.type = "button";
          btn.setAttribute("data-code", x.p.c);
          btn.appendChild(el("b", null, x.p.n));
          btn.appendChild(el("span", "sido", " · " + x.p.s));
          // Hide rather than empty the list: Leaflet walks up from the click target to see that
          // the click was on a control, and a detached button would count as a map click that
          // closes the popup just opened.
          btn.addEventListener("click", function () { list.hidden = true; select(x.p.c); });
          li.appendChild(btn);
          list.appendChild(li);
        });
      }
      input.addEventListener("input", update);
      input.addEventListener("focus", function () { showAbout(false); });
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && results.length) { list.hidden = true; select(results[0].p.c); }
      });
      b.appendChild(input);
      b.appendChild(list);
      var links = el("div", "typology-links");
      aboutButton = el("button", "typology-about-button", "유형 설명 About the types");
      aboutButton.type = "button";
      aboutButton.setAttribute("aria-expanded", "false");
      aboutButton.addEventListener("click", function () { showAbout(aboutPanel.hidden); });
      links.appendChild(aboutButton);
      if (data.report) {
        // Written beside this page only when the run wrote a report (output.report).
        var a = el("a", "typology-report-link", "보고서 Report");
        a.href = data.report;
        links.appendChild(a);
      }
      b.appendChild(links);
      aboutPanel = buildAbout();
      aboutPanel.hidden = true;
      b.appendChild(aboutPanel);
      return b;
    }
  });

  // Bottom left is open sea at the national view; top right must stay clear for 울릉도.
  var Layers = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () {
      var f = foldable("typology-layers", "지도 레이어 Layers");
      panels.layers = f.box;
      var b = f.body;
      data.layers.forEach(function (layer, i) {
        var label = el("label");
        var input = el("input");
        input.type = "radio";
        input.name = "typology-layer";
        input.value = layer.key;
        input.checked = i === 0;
        input.addEventListener("change", function () { if (input.checked) { setLayer(i); } });
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + layer.title + " (" + layer.title_en + ")"));
        b.appendChild(label);
      });
      b.appendChild(el("hr"));
      var label = el("label");
      var check = el("input");
      check.type = "checkbox";
      check.name = "typology-sido";
      check.checked = true;
      check.addEventListener("change", function () {
        if (check.checked) { sido.addTo(map); } else { map.removeLayer(sido); }
      });
      label.appendChild(check);
      label.appendChild(document.createTextNode(" 시도 경계 (province borders)"));
      b.appendChild(label);
      return f.box;
    }
  });

  var Legend = L.Control.extend({
    options: { position: "bottomright" },
    onAdd: function () {
      var f = foldable("typology-legend", "");
      panels.legend = f.box;
      legendTitle = f.toggle.firstChild;
      legendBox = f.body;
      drawLegend();
      return f.box;
    }
  });

  new Head().addTo(map);
  L.control.zoom({ position: "topleft" }).addTo(map);
  new Layers().addTo(map);
  new Legend().addTo(map);
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
  // A phone starts with the legend open and the layer list folded; a wider screen shows both.
  setOpen(panels.layers, !narrow());
  setOpen(panels.legend, true);
  mapEl.classList.toggle("typology-narrow", narrow());
  map.on("resize", function () { mapEl.classList.toggle("typology-narrow", narrow()); });

  // Every popup opens below the search box and above the bottom controls, scrolling inside when
  // that room is short (a phone), never under the search box.
  function room() {
    var head = document.querySelector(".typology-search");
    var top = head ? head.offsetTop + head.offsetHeight + 10 : 10;
    if (narrow()) {
      // A phone's popup is nearly as wide as the screen: keep it below the zoom buttons too.
      var corner = document.querySelector(".leaflet-top.leaflet-left").getBoundingClientRect();
      top = Math.max(top, Math.round(corner.bottom - mapEl.getBoundingClientRect().top) + 6);
    }
    var bottom = 10;
    document.querySelectorAll(".leaflet-bottom").forEach(function (c) {
      var r = c.getBoundingClientRect(), m = mapEl.getBoundingClientRect();
      if (r.height) { bottom = Math.max(bottom, Math.round(m.bottom - r.top) + 6); }
    });
    return { top: top, bottom: bottom };
  }
  map.on("popupopen", function (e) {
    var pop = e.popup, r = room();
    pop.options.autoPanPaddingTopLeft = L.point(10, r.top);
    pop.options.autoPanPaddingBottomRight = L.point(10, r.bottom);
    if (narrow()) {
      showAbout(false);
      setOpen(panels.layers, false);
      pop.options.maxWidth = Math.min(POPUP_WIDTH, mapEl.clientWidth - 40);
    }
    // A laptop's window is short too: the popup scrolls rather than run under the legend.
    pop.options.maxHeight = Math.max(160, mapEl.clientHeight - r.top - r.bottom - 30);
    pop.update();
  });
  map.fitBounds(units.getBounds(), { padding: [8, 8], animate: false });
  // Only now: the first fitBounds fires zoomend before Leaflet's "load", when no layer, label or
  // path has been added yet (they wait for it). A scoped run opens at a zoom that shows unit
  // names, and a handler reaching for their elements then threw and left the map blank.
  map.on("zoomend", updateLabels);
  updateLabels();

  mapEl.setAttribute("data-units", String(data.units.features.length));
  mapEl.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  mapEl.setAttribute("data-ready", "1");
}());
