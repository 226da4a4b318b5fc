"""The validity audit and the type cross-tabulation as report sections (escaped HTML).

The findings come first, in plain Korean with English beside; then the measurement checks, each
once, in blocks of their own (``validity_notes``); then one table per other measure, with Korean
headers and every code key of validity.csv (``eta2``, ``axis:society``) translated
(``validity_words``). A measure the audit gains later gets a table of its own without a change here.
Every table scrolls in its own box, so a phone does not scroll the page sideways.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from ..core.settings import RunSettings
from .validity_notes import CHECKED, checks_html
from .validity_notes import both as _both
from .validity_notes import box as _table
from .validity_words import HEADERS, MEASURES, STATISTICS, Names, flag, measure, number, sentence, statistic

esc = html.escape
EXPLAIN = {
    "confounder": ("각 점수와 유형이 인구 규모(로그), 자치구/시/군 구분, 시도로 얼마나 설명되는지. 값이 클수록 점수가 "
                   "그 구분을 따른다 (0 = 무관, 1 = 완전히 설명).",
                   "How much of each score and of the type is explained by log population, by the 자치구/시/군 class "
                   "and by the 시도 (0 none, 1 all)."),
    "redundancy": ("같은 차원 안 지표 쌍의 상관. |r| ≥ 0.9이면 한 현상을 두 번 센다.",
                   "Correlation of indicator pairs inside a dimension; |r| ≥ 0.9 counts one phenomenon twice."),
    "leave_one_out": ("지표 하나를 빼고 다시 채점·유형화했을 때 유형이 바뀌는 지역 수. 10%를 넘으면 결정적.",
                      "Regions changing type when one indicator is left out; over 10% is decisive."),
    "criterion": ("채점에 쓰지 않은 기준 변수와 각 축·종합점수의 순위상관 (ρ).",
                  "Rank correlation of each axis and the composite with variables not used in scoring."),
    "discrete_range": ("0/1·순서 지표의 정규화 값이 같은 차원 연속 지표의 범위 안에 있는지.",
                       "Whether binary and ordinal indicators' normalised values lie within the continuous "
                       "indicators' range."),
    "adjustment": ("공변량 보정: 잔차로 바꾼 지표를 공변량이 얼마나 설명했는지 (R²).",
                   "Covariate adjustment: how much of each adjusted indicator the covariates explained (R²)."),
}


def _fmt(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.3f}"
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _confounders(rows: pd.DataFrame, names: Names) -> str:
    against = list(dict.fromkeys(rows["against"]))
    head = [_both(HEADERS["target"]), *[_both(names.against(a)) for a in against]]
    body = []
    for target, group in rows.groupby("target", sort=False):
        cells = {r["against"]: f"{esc(number(r['value']))} ({esc(statistic(r['statistic'])[0])})"
                 for r in group.to_dict("records")}
        body.append([_both(names.target(target)), *[cells.get(a, "") for a in against]])
    return _table(head, body)


def _generic(rows: pd.DataFrame, names: Names) -> str:
    cols = [c for c in HEADERS if c in rows and rows[c].map(lambda v: _fmt(v) != "").any()]
    body = []
    for r in rows.to_dict("records"):
        cells = []
        for c in cols:
            if c == "target":
                cells.append(_both(names.target(r[c])))
            elif c == "against":
                cells.append(_both(names.against(r[c])))
            elif c == "statistic":
                sym, ko, _ = statistic(r[c])
                # A symbol (R², ρ) follows the words; a statistic named in Korean needs no symbol.
                latin = sym != ko and sym not in ko and not any("\uac00" <= ch <= "\ud7a3" for ch in sym)
                cells.append(f"{esc(ko)} ({esc(sym)})" if latin else esc(ko))
            elif c == "flag":
                cells.append(_both(flag(r[c])) if _fmt(r[c]) else "")
            elif c == "detail":
                cells.append(esc(names.detail(r[c])))
            else:
                cells.append(esc(_fmt(r[c])))
        body.append(cells)
    return _table([_both(HEADERS[c]) for c in cols], body)


def findings(table: pd.DataFrame, names: Names) -> list[tuple[str, str]]:
    """The audit's main findings as sentences (Korean, English): what the type follows, decisive and
    double-counted indicators, the strongest confounder of each axis."""
    out = []
    for row in table[(table["measure"] == "confounder") & (table["target"] == "type")].to_dict("records"):
        if not pd.isna(row["value"]):
            ko, en = sentence(row, names)
            out.append((ko, en) if ko.startswith("유형") else (f"유형: {ko}", f"Type: {en}"))
    conf = table[(table["measure"] == "confounder") & table["target"].astype(str).str.startswith("axis:")
                 & table["value"].notna()]
    for target, group in conf.groupby("target", sort=False):
        top = group.loc[group["value"].astype(float).idxmax()]
        ko, en = sentence(top.to_dict(), names)
        t_ko, t_en = names.target(target)
        out.append((f"{t_ko}: {ko}", f"{t_en}: {en}"))
    loo = table[(table["measure"] == "leave_one_out") & table["value"].notna()]
    for row in loo[loo["value"].astype(float) > 0].sort_values("value", ascending=False).to_dict("records"):
        i_ko, i_en = names.against(row["against"])
        share = float(row["value"]) / row["n"] if row["n"] else float("nan")
        strong = " — 결정적 (10% 초과)" if _fmt(row["flag"]) == "decisive" else ""
        out.append((f"'{i_ko}'을(를) 빼면 {int(row['value'])}곳({share:.0%})의 유형이 바뀐다{strong}",
                    f"without '{i_en}', {int(row['value'])} regions ({share:.0%}) change type"
                    + (" (decisive)" if strong else "")))
    for row in table[(table["measure"] == "redundancy") & (table["flag"] == "double counting")].to_dict("records"):
        ko, en = names.against(row["against"])
        out.append((f"중복 계산: {ko} (r = {number(row['value'])})", f"double counting: {en}"))
    return out


def validity_html(audited: Any, settings: RunSettings, names: Names | None = None) -> str:
    """What drives the scores and types: findings in words first, then the checks, then a table per other measure."""
    t = audited.table
    names = names or Names({}, {}, {})
    why = settings.validation
    rationale = "".join(f"<p>{html.escape(text.strip())}</p>" for text in (why.rationale_ko, why.rationale_en)
                        if text.strip())
    found = "".join(f"<li>{esc(ko)} <span class=en>({esc(en)})</span></li>" for ko, en in findings(t, names))
    parts = ["<h3>주요 발견 <span class=en>(main findings)</span></h3>",
             f"<ul class=findings>{found}</ul>" if found else "<p>보고할 것이 없다 (nothing to report).</p>",
             rationale, checks_html(t, settings, {d: ko for d, (ko, _) in names.dims.items()}, names)]
    known = [m for m in MEASURES if m in set(t["measure"])]
    for kind in [*known, *[m for m in dict.fromkeys(t["measure"]) if m not in MEASURES]]:
        if kind in CHECKED:
            continue  # shown above, each with its explanation
        rows = t[t["measure"] == kind]
        ko, en = measure(kind)
        parts.append(f"<h3>{esc(ko)} <span class=en>({esc(en)})</span></h3>")
        if kind in EXPLAIN:
            parts.append(f"<p>{esc(EXPLAIN[kind][0])} <span class=en>{esc(EXPLAIN[kind][1])}</span></p>")
        parts.append(_confounders(rows, names) if kind == "confounder" else _generic(rows, names))
    used = sorted({str(s) for s in t["statistic"].dropna() if str(s)})
    parts.append("<p class=note>통계량 <span class=en>(statistics)</span>: " + "; ".join(
        f"{esc(STATISTICS[s][0])} = {esc(STATISTICS[s][1])} <span class=en>({esc(STATISTICS[s][2])})</span>"
        for s in used if s in STATISTICS) + ".</p>")
    norm = settings.scoring.normalise
    adjust = settings.scoring.adjust
    whole = "분석 범위 전체 (the whole scope)" if settings.data.scope else "전국 (nation)"
    notes = [f"정규화 범위 (normalise within): {norm.get('within') or whole}",
             f"이산 지표 (discrete indicators): {norm.get('discrete')}"]
    if adjust["indicators"]:
        covariates = ", ".join(names.against(c)[0] for c in adjust["covariates"])
        notes.append(f"{covariates}로 보정 (adjusted): {', '.join(names.against(k)[0] for k in adjust['indicators'])}")
    parts.append("<p class=note>" + html.escape("; ".join(notes)) + "</p>")
    return "\n".join(parts)


def crosstab_html(table: pd.DataFrame, other: str) -> str:
    """This run's types (rows) against another config's (columns), with the share on the diagonal."""
    square = table.set_index("type")
    same = sum(int(square.at[k, k]) for k in square.index if k in square.columns)
    total = int(square.to_numpy().sum())
    intro = (f"<p>이 설정의 유형(행)과 {html.escape(other)} 설정의 유형(열): {same}/{total} 지역이 같은 유형.<br>"
             f"This config's types (rows) against those of {html.escape(other)} (columns): {same} of {total} "
             f"regions have the same type.</p>")
    head = ["유형 <span class=en>type</span>", *[esc(str(c)) for c in table.columns[1:]]]
    rows = [[esc(_fmt(v)) for v in r] for r in table.itertuples(index=False)]
    return intro + _table(head, rows)
