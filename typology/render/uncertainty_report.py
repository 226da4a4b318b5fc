"""The uncertainty analysis in the run's outputs: the rank-interval and sensitivity plots (PNG) and
the report section.

Figures use matplotlib's object API and the bundled Hangul font (``fonts``), with fixed PNG
metadata, so the same tables give the same bytes. Every string in the section is escaped:
region and type names come from data and configs.
"""

from __future__ import annotations

import html
import io
import re
from contextlib import nullcontext
from typing import Any

import numpy as np
import pandas as pd

from ..core.result import RunResult, Section
from ..uncertainty.analysis import FACTOR_NAMES, SCORES_COLUMNS, Uncertainty
from .layers import type_colours
from .ranks import rank_text, ranks_and_ties

esc = html.escape
LABELLED = 10  # the widest rank intervals get their region's name in the plot


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def _font() -> Any:
    from .charts import hangul_context

    return hangul_context()  # None without a Hangul font: the names would be boxes, so they are left out


def rank_interval_figure(result: RunResult, unc: Uncertainty, korean: bool = True) -> Any:
    """Every region's rank interval (low–high percentile) and median, ordered by median rank, coloured by
    type; the widest intervals named, with names moved apart so none overlaps another or the legend.
    ``korean``: Korean labels with English beside (call inside ``fonts.hangul_rc``); else English
    only and no region names."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    typology = result.settings.typology
    colours = type_colours(typology.types, typology.unclassified["key"])
    lo, hi = unc.plan.interval
    low, high = f"rank_p{lo:02g}", f"rank_p{hi:02g}"
    frame = unc.regions.dropna(subset=["rank_median"]).sort_values(["rank_median", "composite_rank", "code"])
    x = np.arange(1, len(frame) + 1)
    fig = Figure(figsize=(12, 6.5), layout="constrained")
    FigureCanvasAgg(fig)  # a canvas to measure the labels with
    ax = fig.add_subplot()
    for key, spec_name, name_en in [(s["key"], s["name_ko"], s.get("name_en", s["key"]))
                                    for s in [*typology.types, typology.unclassified]]:
        mask = (frame["type"] == key).to_numpy()
        if not mask.any():
            continue
        sub = frame[mask]
        ax.vlines(x[mask], sub[low].astype(float), sub[high].astype(float), color=colours[key], linewidth=1.1,
                  alpha=0.75)
        label = f"{spec_name} ({name_en}), 명목 유형" if korean else f"{name_en} (nominal type)"
        ax.scatter(x[mask], sub["rank_median"].astype(float), s=7, color=colours[key], zorder=3, label=label)
    ax.scatter(x, frame["composite_rank"].astype(float), s=6, marker="_", color="#222222", zorder=4,
               label="명목 순위 (nominal rank)" if korean else "nominal rank")
    # Rank 1 on top; room below the last rank for the names hanging under the widest intervals.
    ax.set_ylim(len(unc.regions) * 1.25, -3)
    ax.set_xlim(0, len(frame) + 1)
    ax.set_xlabel("지역 (중앙 순위 순) · regions ordered by median rank" if korean
                  else "regions ordered by median rank")
    ax.set_ylabel("종합점수 순위 · composite rank (1 = highest)" if korean else "composite rank (1 = highest)")
    title = (f"지역별 종합점수 순위 구간 {lo:g}–{hi:g}% (몬테카를로 {unc.plan.n}회) · composite-rank intervals, "
             f"{unc.plan.n} replicates" if korean
             else f"Composite-rank intervals {lo:g}-{hi:g}%, {unc.plan.n} Monte Carlo replicates")
    ax.set_title(title, fontsize=11)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    legend = ax.legend(loc="upper right", fontsize=8, markerscale=2)
    if korean:
        widest = frame.assign(_x=x).nlargest(LABELLED, "rank_interval", keep="first").sort_values("_x")
        leader = {"arrowstyle": "-", "color": "#999999", "linewidth": 0.5, "shrinkA": 0, "shrinkB": 0}
        labels = [ax.annotate(f"{row['name']} ({row['sido']})", (row["_x"], float(row[high])), xytext=(0, -3),
                              textcoords="offset points", ha="center", va="top", fontsize=7, rotation=90,
                              color="#333333", arrowprops=leader) for _, row in widest.iterrows()]
        spread_labels(fig, labels, [legend])
    return fig


def text_box(text: Any, renderer: Any) -> Any:
    """The box of an annotation's text alone (``Annotation.get_window_extent`` adds its leader line)."""
    from matplotlib.text import Text

    return Text.get_window_extent(text, renderer)


def spread_labels(fig: Any, labels: list[Any], obstacles: list[Any]) -> None:
    """Move annotations sideways, nearest free place first, until no two overlap and none covers an
    obstacle (a legend); the leader line keeps each name tied to its point. Deterministic: labels
    are placed in the order given."""
    fig.draw_without_rendering()  # the final layout, so the measured boxes are the saved ones
    renderer = fig.canvas.get_renderer()
    taken = [o.get_window_extent(renderer) for o in obstacles]
    for text in labels:
        step = (text_box(text, renderer).width + 2) * 72 / fig.dpi  # 2 px apart; xytext is in points
        for i in range(200):
            text.set_position((step * ((i + 1) // 2) * (1 if i % 2 else -1), -3))
            if not any(text_box(text, renderer).overlaps(other) for other in taken):
                break
        taken.append(text_box(text, renderer))


def rank_interval_png(result: RunResult, unc: Uncertainty) -> bytes:
    """``rank_interval_figure`` as PNG bytes."""
    font = _font()
    with font if font is not None else nullcontext():
        return _png(rank_interval_figure(result, unc, korean=font is not None))


def sensitivity_png(unc: Uncertainty) -> bytes:
    """First-order and total-effect indices per factor, for ranks and for types, with bootstrap intervals."""
    from matplotlib.figure import Figure

    table = unc.sensitivity
    font = _font()
    with font if font is not None else nullcontext():
        fig = Figure(figsize=(11, 0.5 * len(table) + 2), layout="constrained")
        axes = fig.subplots(1, 2, sharey=True)
        y = np.arange(len(table))
        labels = [f"{r.name_ko} ({r.factor})" if font is not None else str(r.factor) for r in table.itertuples()]
        for ax, output, title in zip(axes, ("rank", "type"), ("순위 ranks", "유형 types")):
            for offset, kind, colour, name in ((-0.18, "first_order", "#33658a", "1차 first order"),
                                               (0.18, "total", "#d1495b", "총 효과 total effect")):
                value = table[f"{output}_{kind}"].to_numpy(dtype=float)
                err = np.abs(np.stack([value - table[f"{output}_{kind}_low"].to_numpy(dtype=float),
                                       table[f"{output}_{kind}_high"].to_numpy(dtype=float) - value]))
                ax.barh(y + offset, value, height=0.34, color=colour, xerr=err, error_kw={"linewidth": 0.8},
                        label=name if font is not None else kind)
            ax.axvline(0, color="#444444", linewidth=0.8)
            ax.set_title(title if font is not None else title.split()[-1], fontsize=11)
            ax.set_xlim(min(-0.05, ax.get_xlim()[0]), max(1.0, ax.get_xlim()[1]))
            ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        axes[0].set_yticks(y, labels)
        axes[0].invert_yaxis()
        axes[1].legend(loc="lower right", fontsize=8)
        fig.suptitle("선택별 민감도: 순위·유형의 분산 가운데 각 선택이 설명하는 몫 · variance-based sensitivity "
                     "of ranks and types to each choice" if font is not None
                     else "Variance-based sensitivity of ranks and types to each choice", fontsize=12)
        return _png(fig)


def _header(text: str) -> str:
    """'한국어 English' as a header with the English part set apart."""
    found = re.match(r"^(.*?[^\x00-\x7f][^ ]*) +([A-Za-z].*)$", text)
    if not found:
        return f"<th>{esc(text)}</th>"
    return f"<th>{esc(found.group(1))} <span class=en>{esc(found.group(2))}</span></th>"


def _table(frame: pd.DataFrame, headers: dict[str, str]) -> str:
    head = "".join(_header(h) for h in headers.values())
    body = []
    for _, row in frame.iterrows():
        cells = []
        for col in headers:
            value = row[col]
            if isinstance(value, (float, np.floating)) and not pd.isna(value):
                cells.append(f"<td class=num>{value:.3f}</td>")
            elif isinstance(value, (int, np.integer)):
                cells.append(f"<td class=num>{int(value)}</td>")
            else:
                cells.append(f"<td>{esc('' if pd.isna(value) else str(value))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f"<div class=scroll><table class=data><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            "</table></div>")


def section_html(result: RunResult, unc: Uncertainty) -> str:
    """The uncertainty section of report.html: the design, how stable the types are, which choice
    matters (sensitivity), and the regions whose rank or type depends most on the choices."""
    out = [_design_html(unc), _stability_html(unc)]
    if unc.data is not None:
        out.append(data_choices_html(unc.regions, unc.data, unc.plan.stable_from))
    if len(unc.sensitivity):
        out.append(_sensitivity_html(unc.sensitivity))
    out.append(_regions_html(result, unc))
    return "".join(out)


def _design_html(unc: Uncertainty) -> str:
    """What the Monte Carlo drew: replicates, seed, and each choice with its alternatives."""
    plan = unc.plan
    out = [f"<p>몬테카를로 {plan.n}회 (seed {plan.seed}): 반복마다 아래 대안 가운데 하나씩을 고르고"
           f"{' 가중치에 디리클레 잡음을 더해' if plan.concentration is not None else ''} 점수와 유형을 다시 계산했다. "
           f"<span class=en>Monte Carlo, {plan.n} replicates (seed {plan.seed}); each draws one alternative of every "
           f"choice below{' and Dirichlet weights around the nominal ones' if plan.concentration is not None else ''}"
           f", then scores and types every region again. {unc.evaluations} model runs in all, the sensitivity "
           f"design included ({unc.distinct} distinct).</span></p>"]
    rows = []
    for factor in FACTOR_NAMES:
        varied = factor in plan.active()
        if factor == "k" and not plan.clusters:
            continue  # k only matters to cluster methods
        if factor.startswith("weights_") and not varied:
            text = "명목 가중치 (nominal weights)"
        else:
            text = plan.describe(factor)
        rows.append({"choice": f"{FACTOR_NAMES[factor][0]} ({FACTOR_NAMES[factor][1]})", "alternatives": text,
                     "varied": "예 yes" if varied else "고정 fixed"})
    out.append(_table(pd.DataFrame(rows), {"choice": "선택 choice", "alternatives": "대안 alternatives",
                                            "varied": "변화 varied"}))
    return "".join(out)


def _stability_html(unc: Uncertainty) -> str:
    """Regions with a stable type, with a modal type other than the nominal, and the median interval width."""
    plan, regions = unc.plan, unc.regions
    lo, hi = plan.interval
    stable = int(regions["type_stable"].sum())
    moved = int((regions["modal_type"] != regions["type"]).sum())
    width = regions["rank_interval"].dropna().astype(float)
    return (f"<p><b>유형이 안정적인 지역 (stable type)</b>: {stable} / {len(regions)} — 명목 유형이 반복의 "
            f"{plan.stable_from:.0%} 이상에서 나온 지역 <span class=en>(the nominal type comes out in at least "
            f"{plan.stable_from:.0%} of the replicates)</span>. 가장 흔한 유형이 명목 유형과 다른 지역 "
            f"<span class=en>(modal type differs from the nominal)</span>: {moved}. 순위 구간 {lo:g}–{hi:g}% 너비의 "
            f"중앙값 <span class=en>(median width of the rank interval)</span>: "
            f"{width.median() if len(width) else float('nan'):.0f}.</p>")


def _sensitivity_html(sens: pd.DataFrame) -> str:
    """The sensitivity indices of every choice, for ranks and for types, with their intervals."""
    out = []
    out.append("<h3>민감도 <span class=en>(sensitivity: which choice moves ranks and types)</span></h3>")
    out.append("<p class=note>분산 기반 지수 (1차: Saltelli 2010, 총 효과: Jansen 1999): 1차 지수 = 그 선택 "
               "하나만으로 설명되는 분산의 비율, 총 효과 = 그 선택과 다른 선택의 상호작용까지 포함한 비율. 유형은 "
               "유형별 지시변수의 분산으로 계산하며, 총 효과는 그 선택만 다시 뽑을 때 유형이 바뀌는 지역 수를 모든 "
               "선택을 다시 뽑을 때의 수로 나눈 값이다. "
               "<span class=en>First order: share of the variance explained by the choice alone; total effect: "
               "with its interactions. For types, the total effect is the number of regions whose type changes "
               "when only this choice is redrawn, over the number when every choice is redrawn. Brackets: 95% "
               "bootstrap intervals.</span> 순위 변동 RMS는 그 선택만 바꿀 때 순위가 평균적으로 움직이는 자리 수 "
               "(제곱평균제곱근)이다. <span class=en>Rank shift RMS: root-mean-square change of rank, in places, "
               "when only this choice changes.</span> 지수가 조금 음수이거나 1을 넘으면 반복 수가 적어 생긴 추정 "
               "오차이다: 괄호 안 구간이 0이나 1을 포함하면 0 또는 1로 읽고, 더 정확히 보려면 "
               "uncertainty.n을 늘린다. "
               "<span class=en>A slightly negative index, or one above 1, is estimation noise from too few "
               "replicates: read it as 0 (or 1) when its interval covers that value, or raise uncertainty.n."
               "</span></p>")
    shown = sens.copy()
    for output in ("rank", "type"):
        for kind in ("first_order", "total"):
            shown[f"{output}_{kind}_txt"] = [f"{v:.3f} [{a:.2f}, {b:.2f}]" for v, a, b in zip(
                shown[f"{output}_{kind}"], shown[f"{output}_{kind}_low"], shown[f"{output}_{kind}_high"])]
    shown["choice"] = shown["name_ko"] + " (" + shown["factor"] + ")"
    out.append(_table(shown.sort_values("rank_total", ascending=False), {
        "choice": "선택 choice", "rank_first_order_txt": "순위 1차 rank S", "rank_total_txt": "순위 총 rank ST",
        "rank_shift_rms": "순위 변동 (RMS) rank shift, RMS", "type_first_order_txt": "유형 1차 type S",
        "type_total_txt": "유형 총 type ST",
        "regions_type_changed": "유형이 바뀌는 지역 수 regions changing type"}))
    return "".join(out)


def _regions_html(result: RunResult, unc: Uncertainty) -> str:
    """The regions with the widest rank intervals and the least stable types, and where the full tables are."""
    regions = unc.regions
    lo, hi = unc.plan.interval
    low, high = f"rank_p{lo:02g}", f"rank_p{hi:02g}"
    out = []
    names = {"name": "지역 region", "sido": "시도 province", "composite_rank": "명목 순위 nominal rank",
             "rank_median": "중앙 순위 median rank", low: f"{lo:g}% 순위 rank p{lo:g}",
             high: f"{hi:g}% 순위 rank p{hi:g}", "rank_interval": "구간 너비 interval width",
             "type_ko": "명목 유형 nominal type", "type_probability": "명목 유형 확률 type probability",
             "modal_type_ko": "최빈 유형 modal type"}
    # A shared nominal rank in words, so it reads "공동 47위" (the columns sort before this).
    tied = ranks_and_ties(result.scores["composite"])["tied"]
    regions = regions.assign(composite_rank=[
        rank_text(r, t) if pd.notna(t) and t > 1 else r for r, t in zip(regions["composite_rank"],
                                                                         tied.reindex(regions["code"]))])
    widest = regions.dropna(subset=["rank_interval"]).sort_values(["rank_interval", "code"], ascending=[False, True])
    out.append("<h3>순위 구간이 가장 넓은 지역 <span class=en>(widest rank intervals)</span></h3>")
    out.append("<p class=note>구간 너비가 넓을수록 그 지역의 순위는 방법 선택에 따라 크게 달라진다: 순위 하나보다 "
               "구간으로 읽어야 한다. <span class=en>The wider the interval, the more the region's rank depends on "
               "the method choices; read the interval, not the single rank.</span></p>")
    out.append(_table(widest.head(15), names))
    shaky = regions.sort_values(["type_probability", "code"]).head(15)
    out.append("<h3>유형이 가장 불안정한 지역 <span class=en>(least stable types)</span></h3>")
    out.append("<p class=note>명목 유형 확률은 반복 가운데 그 지역이 명목 유형을 받은 비율이다; 0.5 근처이면 유형 "
               "경계에 있는 지역이다. <span class=en>Type probability: the share of replicates that give the nominal "
               "type; near 0.5 the region sits on a type boundary.</span></p>")
    out.append(_table(shaky, names))
    out.append("<p class=note>전체 표: uncertainty.csv (지역별), sensitivity.csv, uncertainty_replicates.csv "
               "(반복별 선택과 가중치); 그림: rank_intervals.png, sensitivity.png; "
               "지도: map.html의 '명목 유형 확률' 레이어. "
               "scoring.min_share는 명목 가중치로 적용했고, 군집은 규칙으로 이름을 붙였다. <span class=en>Full tables: "
               "uncertainty.csv, sensitivity.csv, uncertainty_replicates.csv; the map layer 'type probability' in "
               "map.html. scoring.min_share is applied with the nominal weights; clusters are named by the rules."
               "</span></p>")
    return "".join(out)


def data_choices_html(regions: pd.DataFrame, data: pd.DataFrame, stable_from: float) -> str:
    """The stable share under processing choices alone and with the data choices, and each data choice's effect."""
    n = len(regions)
    alone, both = int(regions["type_stable_processing"].sum()), int(regions["type_stable"].sum())
    text = (f"<h3>자료 선택 <span class=en>(data choices)</span></h3><p><b>처리 선택만</b> (대체·이상치·정규화·"
            f"가중치·방법) 바꿀 때 유형이 안정적인 지역: {alone} / {n} ({alone / n:.1%}); <b>처리와 자료 선택</b> "
            f"(자료 시점, 지표 하나 제외)을 함께 바꿀 때: {both} / {n} ({both / n:.1%}). 안정 = 명목 유형이 반복의 "
            f"{stable_from:.0%} 이상. 두 값의 차이가 자료 선택이 더하는 불확실성이다. "
            f"<span class=en>Stable types under processing choices alone: {alone} of {n} ({alone / n:.1%}); under "
            f"processing plus data choices (data vintages, one indicator left out): {both} of {n} "
            f"({both / n:.1%}). The gap is the uncertainty the data choices add.</span></p>"
            "<p class=note>아래 표: 자료 선택의 수준마다, 그 수준을 뽑은 반복에서 명목 유형을 유지한 지역의 평균 비율. "
            "<span class=en>Per level of each data choice: the mean share of regions keeping the nominal type in "
            "the replicates that drew it (uncertainty_data.csv).</span></p>")
    return text + _table(data, {"factor": "선택 choice", "level": "수준 level", "replicates": "반복 replicates",
                                "share_same_type_mean": "유형 유지 비율 share same type",
                                "regions_changed_mean": "유형이 바뀐 지역 수 (평균) regions changed, mean"})


def attach(result: RunResult, unc: Uncertainty) -> RunResult:
    """Add the analysis to the run: tables, figures, a report section, columns in scores.csv, a map layer."""
    result.tables["uncertainty"] = unc.regions
    result.tables["sensitivity"] = unc.sensitivity
    result.tables["uncertainty_replicates"] = unc.replicates
    if unc.data is not None:
        result.tables["uncertainty_data"] = unc.data
    result.figures["rank_intervals"] = rank_interval_png(result, unc)
    if len(unc.sensitivity):
        result.figures["sensitivity"] = sensitivity_png(unc)
    result.sections.append(Section("uncertainty", "불확실성·민감도 분석", "Uncertainty and sensitivity analysis",
                                   section_html(result, unc)))
    lo, hi = unc.plan.interval
    columns = [*SCORES_COLUMNS, f"rank_p{lo:02g}", f"rank_p{hi:02g}"]
    extra = unc.regions.set_index("code")[columns].rename(columns=lambda c: f"mc_{c}")
    result.typed = result.typed.join(extra)
    result.steps.append(unc.step)
    return result
