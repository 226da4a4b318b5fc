"""report.html: one self-contained page that explains a run, for offline reading.

Summary (types, counts, the map), the method in words generated from the resolved config,
data coverage per dimension with proxies flagged, each type's profile and policy package, a
sortable table of every region with its profile, then every section and figure that other
pipeline steps contributed (``RunResult.sections`` / ``figures``).

The page itself is ``templates/report.html`` (Jinja2, autoescaped, see ``pages``). The blocks
inside it are HTML built here, every data string escaped with ``html.escape``; section HTML
arrives escaped by contract. They are dense inline markup with no whitespace between elements,
which reads better as f-strings than as templates with a trim marker on every line. The page
has no external resource, and its Content-Security-Policy lets only its own script run.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import yaml
from markupsafe import Markup

from .._version import __version__
from ..core.catalog import DIMENSIONS
from ..core.registry import Registry
from ..core.result import RunResult
from ..scoring.aggregate import AGGREGATORS
from ..scoring.normalise import NORMALISERS
from ..scoring.weights import WEIGHTINGS
from ..typologies.classify import TYPOLOGIES
from .layers import QUALITY_KO, MapLayer, type_colours
from .map_explain import condition_ko, mean_where, scale_words, type_definitions
from .offline_assets import csp
from .pages import asset, render
from .profiles import profile_svg, region_profile_svgs, series_labels, svg_range, type_profile
from .ranks import rank_text, ranks_and_ties
from .report_blocks import data_uri, extras_html, make_block
from .validity_section import findings
from .validity_words import Names

COVERAGE_HEADERS = {"name_ko": "차원", "indicators": "사용 지표", "study_indicators_covered": "연구 지표 반영",
                    "study_indicators_missing": "반영 못한 연구 지표", "proxies": "대리지표",
                    "quality": "측정 수준", "years": "자료 연도", "missing_cells": "결측 값",
                    "units_scored": "점수 있는 지역", "units_unscored": "점수 없는 지역",
                    "units_partial": "일부 지표로 점수"}
COVERAGE_HEADERS_EN = {"name_ko": "dimension", "indicators": "indicators used",
                       "study_indicators_covered": "study indicators covered",
                       "study_indicators_missing": "study indicators not covered", "proxies": "proxies",
                       "quality": "measurement", "years": "data years", "missing_cells": "missing values",
                       "units_scored": "regions scored", "units_unscored": "regions unscored",
                       "units_partial": "scored on some indicators"}

esc = html.escape


def _say(words: tuple[str, str]) -> str:
    ko, en = words
    return f"{esc(ko)} <span class=en>({esc(en)})</span>"


def method_words(registry: Registry, name: str) -> tuple[str, str]:
    """A registered method in words (ko, en): its ``words``, else the first line of its docstring.

    The words live with the method, so a method registered later is described without a change here.
    """
    method = registry.get(name, "") if name in registry else None
    words = getattr(method, "words", None)
    if words:
        return words
    doc = ((method.__doc__ if method is not None else None) or "").strip()
    return f"'{name}'", doc.splitlines()[0] if doc else f"method '{name}'"


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return "결측"
    return f"{round(float(value), digits) + 0.0:+.{digits}f}"


def _plain(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _scoped(result: RunResult, text: str) -> str:
    """Words about "the national mean" say "the scope's mean" in a run on part of the country."""
    if not result.scope.get("spec"):
        return text
    return text.replace("전국 평균", "범위(scope) 안 평균").replace("national mean", "mean over the scope")


def _doc(registry: Registry, name: str) -> str | None:
    """The docstring of a registered method, so methods added later still get described."""
    return registry.get(name, "").__doc__ if name in registry else None


def method_html(result: RunResult) -> str:
    """The method in words, from the resolved config and the run log."""
    cfg = result.config
    scoring = result.settings.scoring
    names = {d: result.catalog.dimensions[d]["name_ko"] for d in DIMENSIONS}
    if result.scope.get("spec"):
        # A scoped run: every threshold, normalisation and rank below is relative to these units only.
        out = [f"<p>분석 범위(units.scope)는 {esc(result.scope['ko'])}이다. 정규화·임계값·군집·순위는 모두 이 범위 "
               "안에서 계산된다. 범위 밖 지역은 이 분석의 대상이 아니며 (제외가 아님), 목록은 exclusions.csv에 "
               f"'outside units.scope' 사유로 남는다. <span class=en>Scope: {esc(result.scope['en'])}; "
               "normalisation, thresholds, clusters and ranks are relative to it; the units outside it are not part "
               "of the run (not excluded) and are listed in exclusions.csv as outside the scope.</span></p>"]
    else:
        out = [f"<p>분석 단위는 {len(result.units)}개 지방자치단체(자치 시·군·구 226, 세종, 제주)이다. "
               f"<span class=en>Units: {len(result.units)} local governments.</span></p>"]
    out.append("<p>차원별 지표 <span class=en>(indicators per dimension; ↑ higher is better, ↓ lower is "
               "better)</span>:</p><ul>")
    years_used = result.years.set_index("indicator")
    for dim in DIMENSIONS:
        items = []
        for ind in (i for i in result.indicators if i.dimension == dim):
            arrow = "↑" if ind.direction > 0 else "↓"
            proxy = " <span class=flag>대리지표</span>" if ind.is_proxy else ""
            status = years_used.at[ind.key, "year_status"]
            years = years_used.at[ind.key, "years"].replace(";", ", ")
            years += "" if status == "within range" else f"; {status}"
            items.append(f"{esc(ind.spec['name_ko'])} {arrow} ({esc(years)}, 가중치 "
                         f"{result.weights.get(ind.key, float('nan')):.2f}){proxy}")
        out.append(f"<li><b>{esc(names[dim])}</b>: {'; '.join(items)}</li>")
    out.append("</ul>")
    norm, agg, comp = scoring.normalise.method, scoring.aggregate.method, scoring.composite.method
    weights = scoring.weights.method
    out.append("<ol>")
    out.append(f"<li>정규화 <span class=en>(normalisation)</span>: "
               f"{_scoped(result, _say(method_words(NORMALISERS, norm)))}. "
               "방향이 ↓인 지표는 뒤집어 언제나 높을수록 좋게 했다.</li>")
    out.append(f"<li>가중치 <span class=en>(weights)</span>: {_say(method_words(WEIGHTINGS, weights))}.</li>")
    out.append(f"<li>차원 점수 <span class=en>(dimension score)</span>: {_say(method_words(AGGREGATORS, agg))}. "
               f"한 차원 가중치의 {scoring.min_share:.0%} 이상을 가진 지표가 관측된 지역만 점수를 받고, "
               "나머지는 제외 목록에 사유와 함께 남긴다.</li>")
    dim_w = result.dimension_weights if result.dimension_weights is not None else {}
    shown_w = ", ".join(f"{esc(names[d])} {float(dim_w[d]):.2f}" for d in DIMENSIONS if d in dim_w)
    out.append(f"<li>종합점수 <span class=en>(composite)</span>: {_say(method_words(AGGREGATORS, comp))}"
               f"{f' (차원 가중치 {shown_w})' if shown_w else ''}; 네 차원 점수가 모두 있어야 한다.</li>")
    out.append(f"<li>유형화 <span class=en>(typology)</span>: {typology_words(result)}</li>")
    out.append("</ol>")
    config = {k: v for k, v in cfg.items() if not k.startswith("_")}
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=100)
    out.append(f"<details><summary>적용된 설정 전체 (resolved config: {esc(str(result.settings.name))})</summary>"
               f"<pre>{esc(text)}</pre></details>")
    return "".join(out)


def typology_words(result: RunResult) -> str:
    typology = result.settings.typology
    method = str(typology.method)
    if method != "rules":
        doc = _doc(TYPOLOGIES, method)
        return f"방법 '{esc(method)}' <span class=en>({esc((doc or '').strip())})</span>."
    names = {d: result.catalog.dimensions[d]["name_ko"] for d in DIMENSIONS}
    axes = typology.axes or {}
    parts = ["축 <span class=en>(axes)</span>: "]
    parts.append("; ".join(
        f"{esc(str(spec.get('name_ko', key)))} = {', '.join(esc(names.get(d, d)) for d in spec.get('dimensions', []))}"
        f" 점수의 평균" for key, spec in axes.items()))
    parts.append(". 유형은 위에서부터 차례로 조건을 보고 처음 맞는 유형을 준다 "
                 "<span class=en>(types are tried in order; the first match wins)</span>:<ul>")
    thresholds = result.typing.thresholds if result.typing is not None else {}
    for spec in typology.types:
        conds = []
        for i, (axis, text) in enumerate((spec.get("when") or {}).items()):
            label = esc(str(axes.get(axis, {}).get("name_ko", axis)))
            known = thresholds.get(spec["key"]) or []
            value = f" (= {_fmt(known[i]['value'])})" if i < len(known) and "value" in known[i] else ""
            conds.append(f"{label} {esc(condition_ko(str(text), mean_where(result)))}{esc(value)}")
        rule = " 그리고 ".join(conds) if conds else "나머지 모든 지역 (all remaining regions)"
        parts.append(f"<li><b>{esc(str(spec['name_ko']))}</b> <span class=en>({esc(str(spec['name_en']))})"
                     f"</span>: {rule}</li>")
    parts.append("</ul>")
    return "".join(parts)


def coverage_html(result: RunResult) -> str:
    ind_names = {i.key: i.spec["name_ko"] for i in result.indicators}
    rows = []
    for _, row in result.coverage.iterrows():
        cells = []
        for col in COVERAGE_HEADERS:
            value = row.get(col)
            if col in ("indicators", "proxies"):
                keys = [k for k in _plain(value).split(";") if k]
                text = ", ".join(esc(ind_names.get(k, k)) for k in keys)
                if col == "proxies" and keys:
                    text = f"<span class=flag>대리지표</span> {text}"
                cells.append(f"<td>{text or '–'}</td>")
            elif col == "quality":
                q = _plain(value)
                flagged = " class=warn" if q != "direct measures" else ""
                cells.append(f"<td{flagged}>{esc(QUALITY_KO.get(q, q))} <span class=en>({esc(q)})</span></td>")
            else:
                cells.append(f"<td>{esc(_plain(value).replace(';', ', ')) or '–'}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    head = "".join(f"<th>{esc(h)} <span class=en>{esc(COVERAGE_HEADERS_EN[c])}</span></th>"
                   for c, h in COVERAGE_HEADERS.items())
    table = (f"<div class=scroll><table class=data><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
             "</table></div>")
    proxies = [i for i in result.indicators if i.spec.get("proxy")]
    notes = "".join(f"<li><b>{esc(i.spec['name_ko'])}</b>{' (약함 weak)' if i.spec.get('weak') else ''}: "
                    f"{esc(str(i.spec['proxy']).strip())}</li>" for i in proxies)
    missing = "".join(f"<li>{esc(i.spec['name_ko'])}: {int(result.raw[i.key].isna().sum())}개 지역 결측</li>"
                      for i in result.indicators if result.raw[i.key].isna().any())
    return (table + (f"<h3>대리지표의 한계 <span class=en>(what each proxy stands in for)</span></h3><ul>{notes}</ul>"
                     if notes else "")
            + (f"<h3>지표별 결측 <span class=en>(missing values)</span></h3><ul>{missing}</ul>" if missing else ""))


def summary_html(result: RunResult, table: pd.DataFrame, type_layer: MapLayer, map_png: bytes | None) -> str:
    typology = result.settings.typology
    specs = [*typology.types, typology.unclassified]
    counts = table["type"].value_counts()
    total = len(table)
    rows = []
    for spec, colour in zip(specs, type_layer.colours):
        n = int(counts.get(spec["key"], 0))
        if spec is typology.unclassified and n == 0:
            continue
        rows.append(f"<tr><td><span class=swatch style=\"background:{esc(colour)}\"></span>"
                    f"{esc(str(spec['name_ko']))}</td><td class=en>{esc(str(spec['name_en']))}</td>"
                    f"<td class=num>{n}</td><td class=num>{n / total:.0%}</td></tr>")
    # A scoped run lists the units outside its scope in exclusions.csv too; they are not data lost.
    outside = int((result.exclusions.get("excluded_from", pd.Series(dtype=str)) == "run (scope)").sum())
    excluded = len(result.exclusions) - outside
    scope = (f" 분석 범위({esc(result.scope.get('ko', ''))}) 밖 지역 {outside}곳은 범위 밖이다 (제외가 아님). "
             f"<span class=en>{outside} units outside the scope ({esc(result.scope.get('en', ''))}) are not part of "
             "the run, not excluded.</span>") if outside else ""
    out = [f"<p>{total}개 지역을 {len(typology.types)}개 유형으로 나누었다.{scope} "
           f"제외 <span class=en>(exclusions: units of the run left without a score or type, with the reason in "
           f"exclusions.csv)</span>: {excluded}건.</p>",
           "<div class=scroll><table class=data><thead><tr><th>유형</th><th>Type</th><th>지역 수</th><th>비율</th>"
           f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>",
           definitions_html(result, counts)]
    link = ('<a href="map.html">인터랙티브 지도 열기 (map.html, 같은 폴더)</a> '
            '<span class=en>— open the interactive map beside this file</span>')
    if map_png:
        out.append(f"<figure><img class=map alt=\"유형 지도 (type map)\" src=\"{data_uri(map_png)}\">"
                   f"<figcaption>{link}</figcaption></figure>")
    else:
        out.append(f"<p>{link}</p>")
    return "".join(out)


def definitions_html(result: RunResult, counts: pd.Series) -> str:
    """What each type means and what the validity audit found, in plain Korean first (English beside)."""
    typology = result.settings.typology
    items = []
    for d in type_definitions(result, [""] * (len(typology.types) + 1),
                              [int(counts.get(s["key"], 0)) for s in [*typology.types, typology.unclassified]]):
        rule = f"<br>기준 <span class=en>(rule)</span>: {esc(d['rule'])}" if d["rule"] else ""
        items.append(f"<li><b>{esc(d['name'])}</b> <span class=en>({esc(d['name_en'])})</span>, {d['n']}곳: "
                     f"{esc(d['policy'])} <span class=en>{esc(d['policy_en'])}</span>{rule}</li>")
    table = result.tables.get("validity")
    found = findings(table, Names.of(result)) if table is not None and len(table) else []
    audit = "".join(f"<li>{esc(ko)} <span class=en>({esc(en)})</span></li>" for ko, en in found)
    scale = scale_words(result)
    return (f"<h3>유형의 뜻 <span class=en>(what the types mean)</span></h3><ul class=definitions>{''.join(items)}</ul>"
            f"<p class=note>점수 읽는 법: {esc(scale['ko'])}. <span class=en>Scores: {esc(scale['en'])}.</span></p>"
            + (f"<h3>얼마나 믿을 수 있나: 타당성 감사 <span class=en>(how far to trust it: the validity audit)</span>"
               f"</h3><ul class=findings>{audit}</ul><p class=note>표와 설명은 <a href=\"#section-validity\">타당성 "
               "감사</a> 절에 있다. <span class=en>Tables and explanations: the validity audit section.</span></p>"
               if audit else ""))


def types_html(result: RunResult, table: pd.DataFrame) -> str:
    typology = result.settings.typology
    colours = type_colours(typology.types, typology.unclassified["key"])
    x_range = svg_range(result)
    out = []
    for spec in [*typology.types, typology.unclassified]:
        members = table[table["type"] == spec["key"]]
        if members.empty and spec is typology.unclassified:
            continue
        profile = type_profile(result, spec["key"])
        chart = profile_svg(profile, f"{spec['name_ko']} ({len(members)})", colours[spec["key"]], x_range,
                            ("type_centroid", "national_mean"), series_labels(result))
        names = ", ".join(f"{esc(str(r['name']))}<span class=sido>({esc(str(r['sido']))})</span>"
                          for _, r in members.sort_values(["sido", "name"]).iterrows())
        out.append(
            f"<article class=type id=\"type-{esc(str(spec['key']))}\">"
            f"<h3><span class=swatch style=\"background:{esc(colours[spec['key']])}\"></span>"
            f"{esc(str(spec['name_ko']))} <span class=en>({esc(str(spec['name_en']))})</span></h3>"
            f"<div class=profile-wrap>{chart}<p class=note>막대: 유형 구성원의 최솟값–최댓값 "
            f"<span class=en>(bar: range of the type's members)</span></p></div>"
            f"<h4>정책 패키지 <span class=en>(policy package)</span></h4>"
            f"<p>{esc(_plain(spec.get('policy_ko')).strip()) or '–'}</p>"
            f"<p class=en>{esc(_plain(spec.get('policy_en')).strip())}</p>"
            f"<details><summary>이 유형의 지역 {len(members)}곳 (regions of this type)</summary>"
            f"<p class=members>{names or '–'}</p></details></article>")
    return "".join(out)


REGION_COLUMNS = [("code", "코드", "text"), ("name", "지역", "text"), ("sido", "시도", "text"),
                  ("type_ko", "유형", "text")]


def _rank_cell(rank: object, tied: object) -> str:
    """A plain rank as a number; a shared one as "공동 47위 (47–48위, 2곳 동점)"."""
    alone = tied is None or pd.isna(tied) or int(tied) <= 1
    return str(int(rank)) if alone and not pd.isna(rank) else rank_text(rank, tied)


def regions_html(result: RunResult, table: pd.DataFrame) -> str:
    names = {d: result.catalog.dimensions[d]["name_ko"] for d in DIMENSIONS}
    ind_names = {i.key: i.spec["name_ko"] for i in result.indicators}
    columns = [*REGION_COLUMNS, *[(d, names[d], "num") for d in DIMENSIONS], ("composite", "종합점수", "num"),
               ("composite_rank", "종합 순위", "num"), ("missing_indicators", "결측 지표", "text")]
    head = "".join(f"<th scope=col data-type={kind} tabindex=0 aria-sort=none>{esc(label)}"
                   f"{_en_header(col, label)}</th>" for col, label, kind in columns)
    tied = ranks_and_ties(table.set_index("code")["composite"])["tied"]  # a shared rank reads "공동 47위"
    body = []
    for _, row in table.sort_values("code").iterrows():
        cells = []
        for col, _, kind in columns:
            value = row.get(col)
            if col == "missing_indicators":
                text = ", ".join(ind_names.get(k, k) for k in _plain(value).split(";") if k)
                cells.append(f"<td>{esc(text)}</td>")
            elif kind == "num":
                sort = "" if pd.isna(value) else f"{float(value):.10g}"
                shown = _rank_cell(value, tied.get(row["code"])) if col == "composite_rank" else _fmt(value)
                cells.append(f"<td class=num data-sort=\"{esc(sort)}\">{esc(shown)}</td>")
            else:
                cells.append(f"<td>{esc(_plain(value))}</td>")
        body.append(f"<tr data-code=\"{esc(str(row['code']))}\">{''.join(cells)}</tr>")
    svgs = region_profile_svgs(result)
    ordered = table.sort_values(["sido", "name"])
    options = "".join(f"<option value=\"{esc(str(r['code']))}\">{esc(str(r['sido']))} {esc(str(r['name']))}</option>"
                      for _, r in ordered.iterrows())
    first = str(ordered["code"].iloc[0]) if len(ordered) else ""
    profiles = "".join(f"<div class=region-profile data-code=\"{esc(code)}\"{'' if code == first else ' hidden'}>"
                       f"{svg}</div>" for code, svg in svgs.items())
    norm = result.settings.scoring.normalise.method
    scale = tuple(_scoped(result, w) for w in method_words(NORMALISERS, norm))
    # The profile panel sits beside the table (its own grid column, sticky there) or, on narrow
    # screens, above a table that scrolls in its own box: it never lies over table rows.
    return (
        "<p class=note>열 제목을 누르면 정렬되고, 행을 누르면 그 지역의 프로필을 보여 준다. "
        f"점수: {esc(scale[0])}; 순위 1 = 가장 높음, 같은 점수는 같은 순위 (공동). "
        "<span class=en>Click a column heading to sort, a row to see its "
        f"profile. Scores: {esc(scale[1])}; rank 1 is the highest; equal scores share a rank (공동).</span></p>"
        "<div class=regions-layout><aside class=viewer><label>지역 프로필 <span class=en>(region profile)</span>: "
        f"<select id=profile-select>{options}</select></label>"
        f"<div id=profiles>{profiles}</div></aside>"
        f"<div class=\"scroll table-box\"><table class=\"data sortable\" id=regions-table><thead><tr>{head}</tr>"
        f"</thead><tbody>{''.join(body)}</tbody></table></div></div>")


REGION_HEADERS_EN = {"code": "code", "name": "region", "sido": "province", "type_ko": "type",
                     "composite": "composite", "composite_rank": "composite rank",
                     "missing_indicators": "missing indicators", **{d: d for d in DIMENSIONS}}


def _en_header(col: str, label: str) -> str:
    en = REGION_HEADERS_EN.get(col, "")
    return f" <span class=en>{esc(en)}</span>" if en and en != label else ""


def build_report(result: RunResult, table: pd.DataFrame, type_layer: MapLayer, map_png: bytes | None = None) -> str:
    """The whole report.html as text."""
    settings = result.settings
    summary = summary_html(result, table, type_layer, map_png)
    # The typology step's type table belongs under the report's own type profiles: one entry per
    # topic in the contents.
    merged = {s.key: s.html for s in result.sections if s.key == "types"}
    types = types_html(result, table) + "".join(
        f"<h3>유형 요약표 <span class=en>(type table)</span></h3>{html_}" for html_ in merged.values())
    blocks = [make_block("summary", "요약 <span class=en>(summary)</span>", summary),
              make_block("method", "방법 <span class=en>(method)</span>", method_html(result)),
              make_block("coverage", "자료 범위 <span class=en>(data coverage)</span>", coverage_html(result)),
              make_block("types", "유형별 프로필과 정책 패키지 <span class=en>(types and policy packages)</span>",
                     types),
              make_block("regions", "전체 지역 <span class=en>(all regions)</span>", regions_html(result, table))]
    extra, figures = extras_html(result, merged)
    blocks += extra
    if figures:
        blocks.append(make_block("figures", "그림 <span class=en>(figures)</span>", figures))
    script = asset("report.js")
    return render("report.html", csp=csp([script]), title=_plain(settings.title_ko) or "지역 유형 보고서",
                  title_en=_plain(settings.title_en),
                  meta=f"typology {__version__} · 설정 {settings.name} · {len(result.units)}개 지역",
                  blocks=blocks, css=Markup(asset("report.css")), js=Markup(script))
