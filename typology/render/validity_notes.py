"""Report blocks of the measurement checks (coherence, size-only baseline, type shares by class,
deciding dimensions, declared criteria) and the note shown beside a type that rests on an
incoherent axis. Everything is read from ``validity.csv`` rows, so a rebuilt run says the same."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.settings import RunSettings
from .validity_words import HEADERS, Names, flag, measure, statistic

CLASS_ORDER = ("자치구", "시", "군")
# The measures ``checks_html`` shows with their own explanations: the report's per-measure tables leave them out.
CHECKED = ("coherence", "decides", "baseline", "type_by_class", "convergent", "discriminant")
esc = html.escape


def both(pair: tuple[str, str]) -> str:
    """Korean, with the English beside it when it differs (escaped)."""
    ko, en = pair
    return esc(ko) if ko == en else f"{esc(ko)} <span class=en>{esc(en)}</span>"


def box(head: list[str], rows: list[list[str]]) -> str:
    """A table of escaped cells in a box that scrolls sideways on a narrow screen."""
    th = "".join(f"<th scope=col>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (f"<div class=scroll><table class=\"data audit-table\"><thead><tr>{th}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>")


def _stat(key: object) -> str:
    symbol, ko, en = statistic(key)
    return both((ko if symbol in ko else f"{ko} ({symbol})", en))


def _wide(wide: pd.DataFrame, first: tuple[str, str], name: Any, digits: int = 2,
          flags: pd.Series | None = None) -> str:
    """A statistic-per-column table (pivoted validity.csv rows) with Korean headers and row names; ``flags``
    (per row key), when any is set, in a last column."""
    head = [both(first), *[_stat(c) for c in wide.columns]]
    rows = [[both(name(key)), *[esc(_num(v, digits)) for v in values]]
            for key, values in zip(wide.index, wide.to_numpy())]
    if flags is not None and flags.reindex(wide.index).fillna("").astype(str).str.len().any():
        head.append(both(HEADERS["flag"]))
        for row, key in zip(rows, wide.index):
            value = flags.get(key)
            row.append(both(flag(value)) if isinstance(value, str) and value else "")
    return box(head, rows)


def _rows(rows: pd.DataFrame, cols: list[str], names: Names, digits: int = 2) -> str:
    """validity.csv rows, one per line, every code key named."""
    body = []
    for r in rows.to_dict("records"):
        cells = []
        for c in cols:
            v = r.get(c)
            if c == "target":
                cells.append(both(names.target(v)))
            elif c == "against":
                cells.append(both(names.against(v)) if not pd.isna(v) else "")
            elif c == "statistic":
                cells.append(_stat(v))
            elif c == "measure":
                cells.append(both(measure(v)))
            elif c == "flag":
                cells.append(both(flag(v)) if not pd.isna(v) and str(v) else "")
            elif c == "detail":
                cells.append(esc(names.detail(v)))
            elif c == "value":
                cells.append(esc(_num(v, digits)))
            else:
                cells.append(esc("" if pd.isna(v) else f"{v:.0f}" if isinstance(v, float) else str(v)))
        body.append(cells)
    return box([both(HEADERS.get(c, ("측정", "measure"))) for c in cols], body)


def _num(value: object, digits: int = 2) -> str:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if np.isnan(v) else f"{v:.{digits}f}"


def failing_axes(table: pd.DataFrame) -> dict[str, float]:
    """Deciding axes whose α fell below the threshold: axis → α (from the coherence rows' flags)."""
    rows = table[(table["measure"] == "coherence") & (table["statistic"] == "cronbach_alpha")
                 & table["flag"].fillna("").str.contains("decides types") & table["target"].str.startswith("axis:")]
    return {str(r.target)[5:]: float(r.value) for r in rows.itertuples()}


def type_notes(table: pd.DataFrame, typology: Mapping[str, Any]) -> dict[str, str]:
    """Type key → the Korean note for types whose rule rests on a failing axis (``typology``: the rules, as
    ``TypologySettings.rules`` gives them).

    Rules are tried in order, so a type rests on the axes of its own conditions and on those of
    every type before it (a catch-all ``when: {}`` is what is left when the earlier ones fail).
    """
    failing = failing_axes(table)
    if not failing:
        return {}
    axes = typology.get("axes") or {}
    notes, seen = {}, []
    for spec in typology.get("types") or []:
        seen += [a for a in (spec.get("when") or {}) if a not in seen]
        bad = [a for a in seen if a in failing]
        if bad:
            names = ", ".join(f"{axes.get(a, {}).get('name_ko', a)} (α = {failing[a]:.2f})" for a in bad)
            notes[spec["key"]] = (f"주의: 이 유형은 내적 일관성이 기준에 못 미치는 {names}에 따라 정해졌다. "
                                  f"이 축의 지표들은 한 가지를 측정한다고 보기 어렵다.")
    return notes


def coherence_html(table: pd.DataFrame, typology: Mapping[str, Any], threshold: float, names: Names) -> str:
    rows = table[table["measure"] == "coherence"]
    if not len(rows):
        return ""
    wide = rows[rows["statistic"].isin(["cronbach_alpha", "mcdonald_omega", "cronbach_alpha_dimensions"])]
    summary = wide.pivot_table(index="target", columns="statistic", values="value", aggfunc="first", sort=False)
    items = rows[rows["statistic"].isin(["item_rest_r", "pearson_r"])]
    parts = ["<h3>축과 차원의 내적 일관성 / Coherence before typing</h3>",
             "<p>유형을 정하기 전에, 한 차원의 지표들과 한 축을 이루는 차원들이 같은 것을 측정하는지 본다. "
             "크론바흐 α와 맥도널드 ω는 0~1 사이일 때 클수록 지표들이 함께 움직인다는 뜻이고, 음수이면 서로 반대 "
             f"방향을 가리킨다. 기준은 α ≥ {threshold:g}이다 (OECD/JRC 합성지표 핸드북 2008의 관행; Nunnally 1978은 "
             "확립된 척도에 0.7을 요구). 지표-나머지 상관은 각 지표와 같은 차원(축)의 나머지 지표 합의 상관이다. "
             "계산은 이 실행이 합산하는 정규화된 지표 값(방향 반영, 결측 없는 지역)으로 한다.<br>"
             "<span class=en>Cronbach's α and McDonald's ω (one-factor model, three or more indicators) of every "
             "dimension and deciding axis, each indicator's correlation with the rest, and the correlation of the "
             "dimensions inside an axis, on the normalised indicator values the run aggregates.</span></p>",
             # α's flag (below the threshold) is the summary's only mark: the item rows below carry their own.
             _wide(summary, HEADERS["target"], names.target,
                   flags=rows[rows["statistic"] == "cronbach_alpha"].set_index("target")["flag"])]
    failing = failing_axes(table)
    axes = typology.get("axes") or {}
    for axis, alpha in failing.items():
        parts.append(f"<p class=note><strong>{html.escape(str(axes.get(axis, {}).get('name_ko', axis)))}의 α = "
                     f"{alpha:.2f}로 기준 미만이다. 이 축에 따라 정해진 유형은 서로 다른 방향의 지표를 평균한 결과이다."
                     "</strong></p>")
    for key, note in type_notes(table, typology).items():
        name = next((t.get("name_ko", key) for t in typology.get("types") or [] if t["key"] == key), key)
        parts.append(f"<p class=note>{html.escape(str(name))}: {html.escape(note)}</p>")
    parts.append(_rows(items, ["target", "against", "statistic", "value", "n", "flag"], names))
    return "\n".join(parts)


def baseline_html(table: pd.DataFrame, type_names: dict[str, str], names: Names) -> str:
    base = table[table["measure"] == "baseline"]
    shares = table[table["measure"] == "type_by_class"]
    parts = []
    if len(base) and not base["value"].notna().any():
        # No baseline was fitted (one type only): say why rather than leave the check out.
        first = base.iloc[0]
        parts += ["<h3>규모만으로 본 기준선 / Size-only baseline</h3>",
                  f"<p>{both(flag(first['flag']))}: {esc(names.detail(first['detail']))}</p>"]
    elif len(base):
        wide = base.pivot_table(index="against", columns="statistic", values="value", aggfunc="first", sort=False)
        # Each baseline's own note (the class rule found, the logistic model fitted in sample, the AUC's averaging).
        notes = "; ".join(names.detail(d) for d in dict.fromkeys(base["detail"].dropna().astype(str)) if d)
        parts += ["<h3>규모만으로 본 기준선 / Size-only baseline</h3>",
                  "<p>자치구/시/군 구분 하나로 만든 가장 좋은 규칙(각 구분에 가장 흔한 유형), 그리고 로그 인구 하나로 "
                  "맞춘 로지스틱 회귀가 이 실행의 유형과 얼마나 일치하는지 보인다. 일치율과 κ가 높을수록 유형이 "
                  "규모를 되풀이한다는 뜻이다. AUC 0.5는 규모와 무관, 1은 규모가 유형을 완전히 가른다는 뜻이다.<br>"
                  f"<span class=en>{html.escape(notes)}</span></p>",
                  _wide(wide, ("기준선", "baseline"), names.against)]
    if len(shares):
        wide = shares.pivot_table(index="target", columns="against", values="value", aggfunc="first")
        wide.columns = [type_names.get(c, c) for c in wide.columns]
        wide = wide.reindex([c for c in CLASS_ORDER if c in wide.index])
        counts = shares.groupby("target")["n"].first().reindex(wide.index)
        head = [both(("구분", "class")), *[esc(str(c)) for c in wide.columns], both(HEADERS["n"])]
        body = [[esc(str(k)), *["" if pd.isna(v) else f"{v:.0%}" for v in values], str(int(n))]
                for k, values, n in zip(wide.index, wide.to_numpy(), counts)]
        parts += ["<h3>자치구/시/군별 유형 비율 / Type shares by class</h3>", box(head, body)]
    return "\n".join(parts)


def decides_html(table: pd.DataFrame, dim_names: dict[str, str]) -> str:
    rows = table[table["measure"] == "decides"]
    if not len(rows):
        return ""
    can = [dim_names.get(d, d) for d in rows.loc[rows["value"] == 1, "against"]]
    cannot = [dim_names.get(d, d) for d in rows.loc[rows["value"] == 0, "against"]]
    text = f"유형을 바꿀 수 있는 차원: {', '.join(can) or '없음'}."
    if cannot:
        text += f" {', '.join(cannot)}은(는) 종합점수와 순위만 움직이고 어떤 유형도 바꾸지 못한다."
    return f"<p><strong>{html.escape(text)}</strong></p>"


def criteria_html(table: pd.DataFrame, names: Names) -> str:
    rows = table[table["measure"].isin(["convergent", "discriminant"])]
    if not len(rows):
        return ""
    return ("<h3>사전에 선언한 기준 / Criteria declared in advance</h3>"
            "<p>수렴 타당도: 기준 변수와 축의 순위상관 ρ가 미리 적은 부호이고 유의하면(p &lt; 0.05) 성립. "
            "판별 타당도: 그 기준과 해당 축의 |ρ|가 다른 축보다 크면 성립.<br><span class=en>Convergent: ρ of the "
            "declared axis has the expected sign (p &lt; 0.05). Discriminant: that axis relates to the criterion "
            "more strongly than the other axes do.</span></p>"
            + _rows(rows, ["measure", "target", "against", "statistic", "value", "n", "flag", "detail"], names, 3))


def checks_html(table: pd.DataFrame, settings: RunSettings, dim_names: dict[str, str],
                names: Names | None = None) -> str:
    """The measurement checks, in the order a reader needs them: coherence, what decides, size, criteria.

    Every table has Korean headers and names for validity.csv's code keys (``names``) and scrolls in a box."""
    threshold = settings.validation.alpha
    typology = settings.typology.rules()
    type_names = {t["key"]: str(t.get("name_ko", t["key"])) for t in [*settings.typology.types,
                                                                        settings.typology.unclassified]}
    names = names or Names({d: (ko, ko) for d, ko in dim_names.items()}, {}, {},
                           {k: (v, v) for k, v in type_names.items()})
    return "\n".join(p for p in (coherence_html(table, typology, threshold, names), decides_html(table, dim_names),
                                 baseline_html(table, type_names, names), criteria_html(table, names)) if p)
