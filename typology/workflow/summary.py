"""What the console says after a run: the lines a user needs to judge it without opening a file.

The method and, for a clustering, k and how it was chosen, how far the clusters agree with the
rules (adjusted Rand index) and how many regions they moved away from their rule type; how
stable the types are under the bootstrap; and every dimension measured less well than the
study intended (coverage.csv in full).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..core.result import RunResult, TypingSummary

if TYPE_CHECKING:  # the command line imports this module for every run; the Monte Carlo only for its own
    from ..uncertainty.analysis import Uncertainty


def method_lines(result: RunResult) -> list[str]:
    """The method; for clusters or classes, k, how it was chosen and the agreement with the rules."""
    step = result.typing or TypingSummary(result.settings.typology.method)
    method = step.method
    if method == "rules":
        return ["method: rules (the config's type rules applied to every region)"]
    ks = step.k_range
    span = f"k {ks[0]}–{ks[-1]}" if ks else "the k range"
    how = f"chosen by {step.k_rule} over {span} (k_selection.csv)" if step.k_auto else "set by typology.k"
    lines = [f"method: {method}, k = {step.k} {how}"]
    latent = step.latent
    if latent:
        gone = len(latent.get("excluded") or {})
        lines.append(f"latent classes: BIC {latent['bic']:.1f}, relative entropy {latent['relative_entropy']:.2f}, "
                     f"covariates {', '.join(latent.get('covariates') or []) or 'none'}; most separating indicator "
                     f"{latent.get('most_decisive_indicator')} (latent_indicators.csv); {gone} regions not classified")
    agree = step.agreement
    typed = result.typed
    compared = typed["cluster"].notna() if "cluster" in typed else pd.Series(False, index=typed.index)
    if agree and compared.any():
        moved = int((typed.loc[compared, "type"] != typed.loc[compared, "rule_type"]).sum())
        lines.append(f"agreement with the rules: ARI {agree['ari_cluster_type_vs_rule_type']:.2f} (types), "
                     f"{agree['ari_cluster_vs_rule_type']:.2f} (clusters); {method} moved {moved} of "
                     f"{int(compared.sum())} regions to another type than the rules' (agreement.csv)")
    return lines


def stability_line(result: RunResult) -> list[str]:
    """How many regions kept their type in too few bootstrap replicates (none without replicates)."""
    boot = result.typing.bootstrap if result.typing is not None else {}
    if not boot.get("n"):
        return []
    n = boot["unstable_regions"]
    return [f"bootstrap ({boot['n']} replicates): {n} region{'s' * (n != 1)} kept the type in fewer "
            f"than {boot['unstable_below']:.0%} of the replicates that drew them (type_stability in scores.csv)"]


def coverage_lines(result: RunResult) -> list[str]:
    """One warning per dimension measured by proxies, missing study indicators or leaving units unscored."""
    lines = []
    for row in result.coverage.itertuples():
        notes = []
        if row.quality != "direct measures":
            notes.append(row.quality)
        covered, study = (int(x) for x in str(row.study_indicators_covered).split("/"))
        if covered < study:
            notes.append(f"{covered} of {study} study indicators")
        if row.units_unscored:
            notes.append(f"{row.units_unscored} units unscored")
        if row.units_partial:
            notes.append(f"{row.units_partial} units scored on part of the weight")
        if notes:
            name_en = result.catalog.dimensions[row.dimension].get("name_en", row.dimension)
            lines.append(f"warning: coverage of {row.name_ko} ({name_en}): {'; '.join(notes)} (coverage.csv)")
    return lines


def summary_lines(result: RunResult) -> list[str]:
    """The lines printed after ``typology run`` (before the counts of the types)."""
    coherent = result.coherence_summary
    return [*method_lines(result), *stability_line(result), *coverage_lines(result), *([coherent] if coherent else [])]


def run_lines(result: RunResult, target: Path) -> list[str]:
    """Everything ``typology run`` prints after writing ``target``: stale years, the summary, the type
    counts, the validity line, and where the exclusions and the input rows not used are listed."""
    lines = []
    stale = result.years[result.years["year_status"] != "within range"]
    if len(stale):
        listed = ", ".join(f"{r.indicator} ({r.years})" for r in stale.itertuples())
        data = result.settings.data
        lines.append(f"note: {len(stale)} indicators use data more than {data.max_year_gap} years from "
                     f"{data.reference_year}: {listed} (see indicators.csv)")
    lines += summary_lines(result)
    counts = result.typed["type_ko"].value_counts()
    lines.append(f"{len(result.units)} units → {', '.join(f'{name} {n}' for name, n in counts.items())}")
    if "validity" in result.tables:
        lines.append(f"{result.validity_summary} (see validity.csv)")
    if len(result.exclusions):
        lines.append(f"{len(result.exclusions)} exclusions listed in {target / 'exclusions.csv'}")
    aside = result.tables.get("unmatched")
    if aside is not None and len(aside):
        by_status = ", ".join(f"{s} {n}" for s, n in aside["status"].value_counts().sort_index().items())
        lines.append(f"{len(aside)} input rows not used as unit values ({by_status}) listed in "
                     f"{target / 'unmatched.csv'}")
    return lines


def uncertainty_lines(unc: Uncertainty, seconds: float) -> list[str]:
    """What ``typology uncertainty`` prints after the nominal run's lines: the replicates and how long
    they took, how many types are stable, the widest rank intervals, and the choice that moves most."""
    lines: list[str] = []
    regions = unc.regions
    plan = unc.plan
    lines.append(f"{plan.n} replicates ({unc.evaluations} model runs with the sensitivity design, {unc.distinct} "
                 f"distinct) in {seconds:.1f} s on {plan.backend}")
    lines.append(f"stable type (nominal type in ≥ {plan.stable_from:.0%} of replicates): "
                 f"{int(regions['type_stable'].sum())} of {len(regions)} regions")
    if "type_stable_processing" in regions:
        alone, both = int(regions["type_stable_processing"].sum()), int(regions["type_stable"].sum())
        total = len(regions)
        lines.append(f"stable under processing choices alone: {alone / total:.1%} ({alone}); under processing + data "
                   f"choices ({', '.join(plan.data_active())}): {both / total:.1%} ({both}) (uncertainty_data.csv)")
    widest = regions.dropna(subset=["rank_interval"]).nlargest(3, "rank_interval")
    lo, hi = plan.interval
    listed = ", ".join(f"{r['name']} ({r['sido']}) {r[f'rank_p{lo:02g}']}–{r[f'rank_p{hi:02g}']}"
                       for _, r in widest.iterrows())
    lines.append(f"widest rank intervals ({lo:g}–{hi:g}%): {listed}")
    sens = unc.sensitivity
    if len(sens):
        for output in ("rank", "type"):
            top = sens.loc[sens[f"{output}_total"].idxmax()]
            lines.append(f"moves {output}s most: {top['factor']} (total effect {top[f'{output}_total']:.2f}, first "
                       f"order {top[f'{output}_first_order']:.2f})")
    return lines
