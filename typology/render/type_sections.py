"""Report sections and the k-selection figure of the typology step, drawn from its tables.

Every string that reaches HTML goes through ``html.escape`` or ``DataFrame.to_html`` (which
escapes), because type names and policy texts come from user configs.
"""

from __future__ import annotations

import html
import io
from typing import Any

import pandas as pd

from ..core.result import RunResult, Section
from ..typologies.classify import settings


def _table_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, classes="typology-table", na_rep="",
                         float_format=lambda v: f"{v:.3f}")


def types_section(types: pd.DataFrame, method: str, unclassified: str) -> Section:
    parts = [f"<p>{html.escape(f'방법 method: {method}')}</p>", "<dl>"]
    for _, row in types.iterrows():
        if row["key"] == unclassified and row["regions"] == 0:
            continue
        mark = " [이 프로젝트의 확장 유형 · project extension, not named by the study]" if row["extension"] else ""
        head = f"{row['name_ko']} ({row['name_en']}) · {row['regions']} 지역 regions{mark}"
        parts.append(f"<dt>{html.escape(head)}</dt>")
        parts.append(f"<dd lang=\"ko\">{html.escape(row['policy_ko'])}</dd>")
        parts.append(f"<dd lang=\"en\">{html.escape(row['policy_en'])}</dd>")
    parts.append("</dl>")
    cols = [c for c in types.columns if c not in ("policy_ko", "policy_en")]
    parts.append(_table_html(types[cols]))
    return Section("types", "유형과 정책 패키지", "Types and policy packages", "\n".join(parts))


def cluster_section(clusters: pd.DataFrame, method: str, k: int) -> Section:
    note = (f"{method}: k = {k}. 각 군집의 중심(차원 점수 평균)을 설정의 유형 규칙으로 판정해 이름을 붙였다. "
            "Each cluster's centroid is typed with the same rules as the regions.")
    return Section("clusters", "군집 프로필", "Cluster profiles",
                   f"<p>{html.escape(note)}</p>\n{_table_html(clusters)}")


def k_section(table: pd.DataFrame, k: int, opts: Any) -> Section:
    how = (f"k = {k} chosen by rule '{opts.k_rule}' (typology.k: auto)" if opts.k == "auto"
           else f"k = {k} set in the config (typology.k)")
    text = ("실루엣·Calinski–Harabasz는 클수록, Davies–Bouldin은 작을수록 좋다. "
            f"Silhouette and Calinski–Harabasz: higher is better; Davies–Bouldin: lower is better. {how}.")
    return Section("k_selection", "군집 수 선택", "Choosing k",
            f"<p>{html.escape(text)}</p>\n{_table_html(table)}\n<p>{html.escape('Figure: k_selection.png')}</p>")


def agreement_section(table: pd.DataFrame, summary: dict[str, float]) -> Section:
    text = (f"조정 랜드 지수 (ARI) adjusted Rand index, cluster types vs rule types: "
            f"{summary['ari_cluster_type_vs_rule_type']:.3f}; clusters vs rule types: "
            f"{summary['ari_cluster_vs_rule_type']:.3f}; same type: {summary['share_same_type']:.1%} of "
            f"{summary['regions_compared']} regions.")
    return Section("agreement", "규칙 유형과 군집 유형의 일치", "Agreement of rule types and cluster types",
            f"<p>{html.escape(text)}</p>\n{_table_html(table)}")


def stability_section(table: pd.DataFrame, typed: pd.DataFrame, opts: Any) -> Section:
    unstable = typed.index[typed["type_unstable"].fillna(False).astype(bool)]
    text = (f"지역 부트스트랩 {opts.bootstrap_n}회 (seed {opts.seed}): 유형 유지 확률이 {opts.unstable_below:g} 미만인 "
            f"지역 {len(unstable)}곳. Bootstrap over regions, {opts.bootstrap_n} replicates: {len(unstable)} regions "
            f"keep their type with probability below {opts.unstable_below:g} (column type_unstable in scores.csv). "
            "Jaccard below about 0.6 marks a group that does not hold up.")
    return Section("stability", "유형 안정성", "Type stability", f"<p>{html.escape(text)}</p>\n{_table_html(table)}")


def warnings_section(messages: list[str]) -> Section:
    items = "".join(f"<li>{html.escape(m)}</li>" for m in messages)
    return Section("typology_warnings", "유형화 경고", "Typology warnings", f"<ul>{items}</ul>")


def typing_sections(result: RunResult) -> tuple[list[Section], dict[str, bytes]]:
    """The typology step's sections (in report order) and figures, from the run's tables and log."""
    typology = result.config["typology"]
    opts = settings(typology)
    step = next(s for s in result.steps if s.get("step") == "classify")
    tables = result.tables
    out = [types_section(tables["types"], opts.method, typology["unclassified"]["key"])]
    figures: dict[str, bytes] = {}
    if "clusters" in tables:
        k = step["k"]
        title = f"{opts.method}, features: {opts.features}, k rule: {opts.k_rule}"
        figures["k_selection"] = k_plot(tables["k_selection"], k, title)
        out += [cluster_section(tables["clusters"], opts.method, k), k_section(tables["k_selection"], k, opts),
                agreement_section(tables["agreement"], step["agreement"])]
    if "stability" in tables:
        out.append(stability_section(tables["stability"], result.typed, opts))
    if step.get("warnings"):
        out.append(warnings_section(step["warnings"]))
    return out, figures


def k_plot(table: pd.DataFrame, chosen: int | None, title: str) -> bytes:
    """Three small panels (one per index) as PNG bytes; English labels need no Hangul font."""
    from matplotlib.figure import Figure  # the object API: no global backend, no pyplot state

    fig = Figure(figsize=(9, 3), dpi=100)
    labels = {"silhouette": "Silhouette (higher better)", "calinski_harabasz": "Calinski-Harabasz (higher better)",
              "davies_bouldin": "Davies-Bouldin (lower better)"}
    for i, (name, text) in enumerate(labels.items()):
        ax = fig.add_subplot(1, 3, i + 1)
        ax.plot(table["k"], table[name], marker="o", color="#33658a")
        if chosen is not None:
            ax.axvline(chosen, color="#d1495b", linestyle="--", linewidth=1)
        ax.set_xlabel("k")
        ax.set_title(text, fontsize=9)
        ax.set_xticks(table["k"].tolist())
    fig.suptitle(title + (f" (chosen k = {chosen})" if chosen is not None else ""), fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    # No software/date metadata: the same table gives the same bytes.
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
