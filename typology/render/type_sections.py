"""Report sections and the k-selection figure of the typology step, drawn from its tables.

Every string that reaches HTML goes through ``html.escape`` (here or in ``tables``), because
type names and policy texts come from user configs. Column names are Korean with English beside.
"""

from __future__ import annotations

import html
import io
from functools import partial
from typing import Any

import pandas as pd

from ..core.catalog import DIMENSIONS
from ..core.result import RunResult, Section
from ..core.settings import TypologySettings
from .tables import column_label, table_html

esc = html.escape


def _names(typology: TypologySettings, dims: dict[str, str]) -> Any:
    """The column labeller for this run's dimension, axis and type names."""
    axes = {k: str(v.get("name_ko", k)) for k, v in (typology.axes or {}).items()}
    types = {s["key"]: str(s["name_ko"]) for s in [*typology.types, typology.unclassified]}
    return partial(column_label, dims=dims, axes=axes, types=types)


def types_section(types: pd.DataFrame, method: str, unclassified: str, label: Any = None) -> Section:
    """The type table (counts and mean scores). The policy packages are in the report's own type
    block, beside each type's profile; they are not repeated here."""
    label = label or partial(column_label, dims={})
    shown = types[(types["key"] != unclassified) | (types["regions"] > 0)]
    extensions = [f"{r['name_ko']} ({r['name_en']})" for _, r in shown.iterrows() if r["extension"]]
    text = (f"<p>방법 <span class=en>(method)</span>: {esc(method)}. 평균 열은 유형 구성원의 차원·축 점수 평균이다 "
            "(점수의 단위는 '방법' 절의 정규화를 따른다). 불안정 지역은 부트스트랩에서 유형을 자주 바꾸는 "
            "지역이다 (아래 '유형 안정성'). <span class=en>Means are the members' average scores (in the units of "
            "the normalisation); unstable regions change type often under the bootstrap (see type stability).</span>"
            "</p>")
    if extensions:
        text += (f"<p class=note>이 프로젝트의 확장 유형 (연구가 이름 붙이지 않음) <span class=en>(project extensions, "
                 f"not named by the study)</span>: {esc(', '.join(extensions))}</p>")
    cols = [c for c in shown.columns if c not in ("policy_ko", "policy_en", "name_en", "extension")]
    return Section("types", "유형 요약표", "Type table", text + table_html(shown[cols], label))


def cluster_section(clusters: pd.DataFrame, method: str, k: int, label: Any = None) -> Section:
    label = label or partial(column_label, dims={})
    note = (f"<p>{esc(method)}, k = {k}. 각 군집의 중심(구성원 차원 점수의 평균)을 설정의 유형 규칙으로 판정해 "
            "유형 이름을 붙였다 (마지막 열이 그 판정). 자카드 유지율은 부트스트랩에서 군집이 다시 나타나는 정도로, "
            "0.75 이상이면 안정적, 0.6 미만이면 믿기 어려운 군집이다 (Hennig 2007). "
            "<span class=en>Each cluster's centroid is typed with the same rules as the regions (last column). "
            "Jaccard: how well the cluster recurs under the bootstrap; 0.75 or more is stable, below 0.6 the "
            "cluster does not hold up.</span></p>")
    return Section("clusters", "군집 프로필", "Cluster profiles", note + table_html(clusters, label))


def k_section(table: pd.DataFrame, k: int, opts: Any, label: Any = None) -> Section:
    label = label or partial(column_label, dims={})
    rule = "bic" if "bic" in table.columns else opts.k_rule
    how = (f"k = {k}: 규칙 '{rule}'로 자동 선택 (typology.k: auto)" if opts.k == "auto"
           else f"k = {k}: 설정에서 지정 (typology.k)")
    how_en = (f"k = {k} chosen by rule '{rule}' (typology.k: auto)" if opts.k == "auto"
              else f"k = {k} set in the config (typology.k)")
    if "bic" in table.columns:
        text = (f"<p>{esc(how)}. 잠재계층 모형은 BIC가 가장 작은 k를 고른다 (typology.k_rule 대신). 상대 엔트로피는 "
                "지역이 한 계층에 얼마나 확실히 속하는지로 1에 가까울수록 분리가 좋다 (0.8 이상이 흔한 기준). "
                "scores.csv의 prob_<유형> 열은 같은 유형으로 이름 붙은 계층들의 사후확률을 더한 값이다. "
                f"<span class=en>{esc(how_en)}. The latent class model takes the k of lowest BIC (not "
                "typology.k_rule); relative entropy near 1 means regions belong clearly to one class. prob_<type> in "
                "scores.csv sums the posterior probabilities of the classes named that type.</span></p>")
        return Section("k_selection", "계층 수 선택", "Choosing k", text + table_html(table, label))
    text = (f"<p>{esc(how)}. 실루엣(−1–1)은 지역이 자기 군집에 얼마나 잘 맞는지, 칼린스키–하라바스는 군집 간 분산 대 "
            "군집 내 분산의 비로 둘 다 클수록 좋고, 데이비스–볼딘은 군집끼리 얼마나 겹치는지로 작을수록 좋다. "
            "순위 열은 "
            "k마다 각 지표의 순위(1 = 가장 좋음)이다. "
            f"<span class=en>{esc(how_en)}. Silhouette and Calinski–Harabasz: higher is better; Davies–Bouldin: "
            "lower is better; the rank columns rank each k per index (1 = best).</span></p>")
    return Section("k_selection", "군집 수 선택", "Choosing k", text + table_html(table, label))


def agreement_section(table: pd.DataFrame, summary: dict[str, float], label: Any = None) -> Section:
    label = label or partial(column_label, dims={})
    ari = summary["ari_cluster_type_vs_rule_type"]
    reading = ("거의 같다" if ari >= 0.8 else "대체로 같다" if ari >= 0.5 else "상당히 다르다")
    text = (f"<p>조정 랜드 지수 (ARI) <span class=en>(adjusted Rand index)</span>: 군집 유형 대 규칙 유형 {ari:.3f}, "
            f"군집 대 규칙 유형 {summary['ari_cluster_vs_rule_type']:.3f}; {summary['regions_compared']}개 지역 가운데 "
            f"{summary['share_same_type']:.1%}가 같은 유형. ARI 1은 두 분류가 같다는 뜻이고 0은 우연 수준의 일치이다: "
            f"여기서는 두 방법의 유형이 {reading}. 표의 각 행은 한 군집의 지역이 규칙으로는 어느 유형인지 센 것이다. "
            f"<span class=en>ARI 1 means the same partition, 0 chance-level agreement. Each row counts a cluster's "
            f"regions by their rule type; {summary['share_same_type']:.1%} of the regions have the same type.</span>"
            "</p>")
    return Section("agreement", "규칙 유형과 군집 유형의 일치", "Agreement of rule types and cluster types",
                   text + table_html(table, label))


def stability_section(table: pd.DataFrame, typed: pd.DataFrame, opts: Any, label: Any = None) -> Section:
    label = label or partial(column_label, dims={})
    unstable = typed.index[typed["type_unstable"].fillna(False).astype(bool)]
    text = (f"<p>지역 부트스트랩 {opts.bootstrap_n}회 (seed {opts.seed}): 유형 유지 확률이 "
            f"{opts.unstable_below:g} 미만인 지역 {len(unstable)}곳 (scores.csv의 type_unstable 열). "
            "자카드 유지율은 한 묶음이 재표본에서 다시 나타나는 "
            "정도로, 0.6 미만이면 그 묶음은 믿기 어렵다. "
            f"<span class=en>Bootstrap over regions, {opts.bootstrap_n} replicates: {len(unstable)} regions keep "
            f"their type with probability below {opts.unstable_below:g}. A Jaccard below about 0.6 marks a group "
            "that does not hold up.</span></p>")
    return Section("stability", "유형 안정성", "Type stability", text + table_html(table, label))


def warnings_section(messages: list[str]) -> Section:
    items = "".join(f"<li>{esc(m)}</li>" for m in messages)
    return Section("typology_warnings", "유형화 경고", "Typology warnings", f"<ul>{items}</ul>")


def typing_sections(result: RunResult) -> tuple[list[Section], dict[str, bytes]]:
    """The typology step's sections (in report order) and figures, from the run's tables and log."""
    opts = result.settings.typology
    step = result.typing
    tables = result.tables
    label = _names(opts, {d: result.catalog.dimensions[d]["name_ko"] for d in DIMENSIONS})
    type_names = {s["key"]: str(s["name_ko"]) for s in [*opts.types, opts.unclassified]}
    out = [types_section(tables["types"], opts.method, opts.unclassified["key"], label)]
    figures: dict[str, bytes] = {}
    if "clusters" in tables:
        k = step.k
        title = (f"{opts.method}, 특징 features: {step.features or opts.features}, "
                 f"k 규칙 rule: {step.k_rule or opts.k_rule}")
        figures["k_selection"] = k_plot(tables["k_selection"], k, title)
        agreement = tables["agreement"].assign(cluster_type=tables["agreement"]["cluster_type"].map(
            lambda key: type_names.get(key, key)))
        out += [cluster_section(tables["clusters"].drop(columns=["type", "type_en"], errors="ignore"), opts.method,
                                k, label),
                k_section(tables["k_selection"], k, opts, label),
                agreement_section(agreement, step.agreement, label)]
    if "stability" in tables:
        stability = tables["stability"]
        stability = stability.assign(type=stability["type"].map(lambda key: type_names.get(key, key)))
        out.append(stability_section(stability, result.typed, opts, label))
    if step.warnings:
        out.append(warnings_section(list(step.warnings)))
    return out, figures


# latent_class (typologies/latent_class.py): k by the lowest BIC, with the classes' separation beside.
LATENT_PANELS = {"bic": ("BIC (작을수록 좋음)", "BIC, lower is better"),
                 "relative_entropy": ("상대 엔트로피 (1 = 완전 분리)", "Relative entropy, 1 = fully separated"),
                 "smallest_class_share": ("가장 작은 계층의 비율", "Share of the smallest class")}
K_PANELS = {"silhouette": ("실루엣 (클수록 좋음)", "Silhouette, higher is better"),
            "calinski_harabasz": ("칼린스키–하라바스 (클수록 좋음)", "Calinski–Harabasz, higher is better"),
            "davies_bouldin": ("데이비스–볼딘 (작을수록 좋음)", "Davies–Bouldin, lower is better")}


def k_figure(table: pd.DataFrame, chosen: int | None, title: str, korean: bool = True) -> Any:
    """Three small panels (one per index), Korean with English beside; English only if ``korean`` is
    false (no Hangul font: boxes help nobody). Call inside ``fonts.hangul_rc`` for Korean."""
    from matplotlib.figure import Figure  # the object API: no global backend, no pyplot state

    fig = Figure(figsize=(10, 3.6), dpi=100, layout="constrained")
    panels = LATENT_PANELS if "bic" in table.columns else K_PANELS
    for i, (name, (ko, en)) in enumerate(panels.items()):
        ax = fig.add_subplot(1, 3, i + 1)
        ax.plot(table["k"], table[name], marker="o", color="#33658a")
        if chosen is not None:
            ax.axvline(chosen, color="#d1495b", linestyle="--", linewidth=1,
                       label=f"선택 k = {chosen} (chosen)" if korean else f"chosen k = {chosen}")
            ax.legend(fontsize=8, loc="best")
        ax.set_xlabel("군집 수 k (number of clusters)" if korean else "number of clusters k")
        ax.set_title(f"{ko}\n{en}" if korean else en, fontsize=9)
        ax.set_xticks(table["k"].tolist())
    head = ("군집 수 k에 따른 군집 품질 지표 · cluster-quality indices by number of clusters k" if korean
            else "Cluster-quality indices by number of clusters k")
    fig.suptitle(f"{head}\n{title}", fontsize=10)
    return fig


def k_plot(table: pd.DataFrame, chosen: int | None, title: str) -> bytes:
    """``k_figure`` as PNG bytes, in Korean when a Hangul font is found."""
    from contextlib import nullcontext

    from .charts import hangul_context

    font = hangul_context()
    with font if font is not None else nullcontext():
        fig = k_figure(table, chosen, title, korean=font is not None)
        buf = io.BytesIO()
        # No software/date metadata: the same table gives the same bytes.
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
