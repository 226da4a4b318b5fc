"""load → validate → score → classify: one run of a config, in memory.

Each step is a pure function of its inputs; ``steps`` records what ran with which
parameters so the manifest can rebuild any result.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from .. import paths
from ..core.catalog import DIMENSIONS, Catalog, Indicator, catalog_for
from ..core.config import load_config, resolve_path
from ..core.result import RunResult, Section
from ..data import places, units
from ..data import scope as scopes
from ..data.attributes import unit_attributes
from ..data.connectors.dispatch import missing_message
from ..data.geometry import load_unit_geometry
from ..data.load import gap_notes, load_tables, table_gaps
from ..data.transform import YearPolicy, compute_indicators
from ..errors import TypologyError
from ..render.audit_section import audit_html
from ..render.type_sections import typing_sections
from ..render.validity_section import crosstab_html, validity_html
from ..render.validity_words import Names
from ..scoring.audit import audit
from ..scoring.score import score
from ..typologies.classify import classify
from ..typologies.latent_class import Inputs
from ..validity.baseline import weight_warnings
from ..validity.coherence import coherence
from ..validity.criteria import criteria_names
from ..validity.validity import validity
from .validate import criteria_in_use, validate


def constant_indicators(raw: pd.DataFrame) -> list[str]:
    """Indicators without variance: normalised, they are missing everywhere and carry no weight."""
    return [key for key in raw.columns if raw[key].dropna().nunique() <= 1]


def run(config: dict[str, Any], *, on_typed: Callable[[RunResult], None] | None = None) -> RunResult:
    """Run the model once, in memory: read the data, score, type, and collect the tables.

    Parameters
    ----------
    config : dict
        A resolved config (``load_config``).
    on_typed : callable, optional
        Called with the result as soon as every unit has its scores and type (``table()`` is
        final), before the validity audit: the command line starts drawing the static maps then.

    Returns
    -------
    RunResult
        Every table of the run (``table()`` is scores.csv); ``typology run`` writes it to a folder.

    Raises
    ------
    TypologyError
        For any bad config value or input table (one line naming the key, file, row or column).

    Examples
    --------
    >>> import typology as tp
    >>> result = tp.run(tp.load_config())                # configs/default.yaml
    >>> result.table()[["name", "sido", "type_ko", "composite_rank"]].head()
    """
    catalog = catalog_for(config)
    settings = validate(config, catalog)  # the whole config, before any data are read; then typed
    chosen = list(settings.indicators)
    missing = missing_message(config, catalog, chosen)  # tables `typology fetch` has not fetched yet: one line
    if missing:
        raise TypologyError(missing)
    matcher = units.matcher()
    every_unit = places.load_units()
    scope = scopes.select(every_unit, config["units"]["scope"], matcher)
    # Only the scope's units go further: every statistic below is relative to them.
    unit_table = every_unit[every_unit["code"].isin(scope.codes)].reset_index(drop=True)
    codes = pd.Index(unit_table["code"], name="code")
    # The config itself is in the manifest, as resolved and in its own key order (some orders show
    # in the tables: the axes' columns, the order of a type's conditions in its reason).
    steps: list[dict[str, Any]] = [{"step": "config", "file": Path(config.get("_path") or "").name}]
    if catalog.extra:
        files = [str(p.resolve().relative_to(paths.ROOT)) if p.resolve().is_relative_to(paths.ROOT) else str(p)
                 for p in catalog.extra]
        steps.append({"step": "catalog", "files": files, "entries": list(catalog.added)})
    if not scope.whole:
        steps.append({"step": "scope", "scope": scope.spec, "units": len(scope.codes), "of": scope.total})

    loaded = load_tables(config, catalog, matcher, paths.VARIABLES)
    variables = loaded.variables
    steps.append({"step": "load", "tables": [str(p) for p in loaded.inputs], "rows": len(variables),
                  "accounting": loaded.accounting})

    gaps = table_gaps(variables, loaded.inputs[1:], unit_table)
    for row in gaps.itertuples():
        shown = row.units.split("; ")
        more = f" and {len(shown) - 8} more" if len(shown) > 8 else ""
        warnings.warn(f"{row.table}: {row.variable} has no value for {row.n} of {len(unit_table)} units in the run: "
                      f"{'; '.join(shown[:8])}{more} (all listed in coverage.csv)", stacklevel=2)

    policy = YearPolicy(reference_year=settings.data.reference_year, max_gap=settings.data.max_year_gap,
                        on_gap=settings.data.on_year_gap)
    raw, years = compute_indicators(variables, chosen, codes, policy)
    for key in constant_indicators(raw):
        warnings.warn(f"indicator {key}: the same value for every unit with data, so it cannot tell units apart; "
                      "indicators.csv reports it with weight 0", stacklevel=2)
    steps.append({"step": "transform", "reference_year": policy.reference_year, "max_year_gap": policy.max_gap,
                  "on_year_gap": policy.on_gap, "indicators": years.set_index("indicator")["variables"].to_dict()})

    peer_path = settings.data.peer_groups
    context = unit_attributes(unit_table, variables, policy.reference_year,
                              resolve_path(config, peer_path) if peer_path else None)
    sido_codes = unit_table.set_index("code")["sido_code"]
    scored = score(raw, chosen, settings.scoring, groups=sido_codes, context=context)
    steps += scored.steps
    score_frame = scored.scores
    checked = audit(raw, scored, chosen, unit_table, {d: catalog.dimensions[d]["name_ko"] for d in DIMENSIONS})
    # Before any type is named: do the deciding axes measure one thing? (on_fail: error stops here)
    coherent = coherence(scored.normalised, score_frame, chosen, settings)
    steps.append({"step": "coherence", "summary": coherent.line()})
    for message in weight_warnings(settings, {i.key: i.dimension for i in chosen}, list(DIMENSIONS)):
        warnings.warn(message, stacklevel=2)

    typing = classify(score_frame[list(DIMENSIONS)], settings.typology, catalog, geometry=load_unit_geometry,
                      names=dict(zip(unit_table["code"], unit_table["name_ko"])),
                      inputs=Inputs(scored.normalised, raw, chosen, context))
    typed = typing.typed.reindex(codes)
    steps += typing.steps
    typed = typed.join(scored.flags())  # imputed_indicators, next to missing_indicators in scores.csv

    coverage = coverage_table(catalog, chosen, raw, score_frame, scored.shares, years)
    notes = gap_notes(gaps, chosen)
    coverage["user_table_gaps"] = [notes.get(d, "") for d in coverage["dimension"]]
    exclusions = exclusion_table(unit_table, raw, score_frame, typed, chosen,
                                 settings.typology.unclassified["key"])
    if not scope.whole:
        exclusions = pd.concat([exclusions, scopes.outside(every_unit, scope)], ignore_index=True)
    result = RunResult(config, catalog, unit_table, chosen, raw, scored.normalised, score_frame, typed,
                       scored.weights, coverage, exclusions, [*catalog.extra, *loaded.inputs], years, steps,
                       # unmatched: every input row not used as a unit value, with its reason
                       tables={"audit": checked.table, "imputations": checked.imputations,
                               "unmatched": loaded.unmatched},
                       scope={"spec": scope.spec, "ko": scope.describe_ko(), "en": scope.describe_en(),
                              "total": scope.total},
                       run_settings=settings, typing=typing.summary, dimension_weights=scored.dimension_weights,
                       coherence_summary=coherent.line())
    result.tables.update(typing.tables)
    result.tables["unit_attributes"] = context.reset_index()
    if on_typed is not None:
        on_typed(result)
    names = {c: f"{short_sido(s)} {n}" for c, s, n in zip(unit_table["code"], unit_table["sido_ko"],
                                                         unit_table["name_ko"])}
    audited = validity(raw, chosen, settings, catalog, score_frame, scored.normalised, typed["type"], context,
                       sido_codes, names, criteria_table(config, catalog, variables, codes, policy),
                       geometry=load_unit_geometry, adjustment=scored.adjustment)
    skipped = criteria_in_use(config, chosen)
    if skipped:
        audited.table = pd.concat([audited.table, pd.DataFrame(
            [{"measure": "criterion", "target": "", "against": v, "statistic": "", "value": None, "n": 0,
              "flag": "skipped", "detail": "used in scoring in this run, so not a criterion"} for v in skipped])],
            ignore_index=True)
    audited.table = pd.concat([coherent.table, audited.table], ignore_index=True)
    audited.coherence = coherent
    result.tables["validity"] = audited.table
    result.type_changes = audited.changed
    result.validity_summary = audited.line()
    result.steps.append({"step": "validity", "summary": result.validity_summary})
    result.sections.append(Section("validity", "타당성 감사", "Validity audit",
                                   validity_html(audited, config, Names.of(result))))
    compare = settings.validation.compare_with
    if compare:
        other = run(load_config(compared_config(config, compare), ["validation.compare_with=null"]))
        result.tables["type_crosstab"] = type_crosstab(typed, other.typed, Path(str(compare)).stem)
        result.sections.append(Section("crosstab", "기본 설정과의 유형 비교", "Types beside the compared run",
                                       crosstab_html(result.tables["type_crosstab"], str(compare))))
    audit_names = {d: catalog.dimensions[d]["name_ko"] for d in DIMENSIONS}
    result.sections.append(Section("audit", "통계 감사", "Statistical audit",
                                   audit_html(checked.table, checked.imputations, audit_names)))
    sections, figures = typing_sections(result)
    result.sections += sections
    result.figures.update(figures)
    return result


def criteria_table(config: dict[str, Any], catalog: Catalog, variables: pd.DataFrame, codes: pd.Index,
                   policy: YearPolicy) -> pd.DataFrame:
    """``validation.criteria`` per unit: catalogue indicators as computed, variables at the nearest year."""
    wanted = []
    skipped = criteria_in_use(config, list(catalog.indicators[k] for k in config_keys(config)))
    for name in criteria_names(config):
        if name in skipped:
            continue
        if name in catalog.indicators:
            wanted.append(catalog.indicators[name])
        else:
            wanted.append(Indicator(name, {"dimension": "civic", "direction": 1, "kind": "value",
                                           "variable": {"variable": name}}))
    if not wanted:
        return pd.DataFrame(index=codes)
    return compute_indicators(variables, wanted, codes, policy)[0]


def compared_config(config: dict[str, Any], name: str) -> Path:
    """``validation.compare_with``: a path beside the config or in the project, or a name in configs/."""
    base = Path(config.get("_path") or paths.DEFAULT_CONFIG).parent
    candidates = [base / name, paths.CONFIGS_DIR / name, paths.CONFIGS_DIR / f"{name}.yaml"]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise TypologyError(f"config key validation.compare_with: no config {name!r} beside the config or in "
                            f"{paths.CONFIGS_DIR}")
    return found


def short_sido(name: str) -> str:
    """서울특별시 → 서울, 충청북도 → 충북, 전북특별자치도 → 전북: enough to tell the six 중구 apart."""
    if len(name) == 4 and name.endswith("도") and name[:2] in ("충청", "전라", "경상"):
        return name[0] + name[2]
    return name[:2]


def config_keys(config: dict[str, Any]) -> list[str]:
    """The indicator keys the config asks for, dimension by dimension."""
    return [k for dim in DIMENSIONS for k in config["indicators"].get(dim) or []]


def type_crosstab(typed: pd.DataFrame, other: pd.DataFrame, other_name: str) -> pd.DataFrame:
    """Units by this run's type (rows) and the compared run's type (columns)."""
    table = pd.crosstab(typed["type_ko"].rename("type"), other["type_ko"].reindex(typed.index).rename(other_name))
    return table.reset_index()


def coverage_table(catalog: Catalog, chosen: list[Indicator], raw: pd.DataFrame,
                   scores: pd.DataFrame, shares: pd.DataFrame, years: pd.DataFrame) -> pd.DataFrame:
    """How well each dimension is measured: study indicators covered, proxies, missing cells."""
    years_by = years.set_index("indicator")["years"].to_dict()
    status_by = years.set_index("indicator")["year_status"].to_dict()
    rows = []
    for dim in DIMENSIONS:
        in_use = [i for i in chosen if i.dimension == dim]
        # A project indicator may name no study indicator (null): it covers none of them.
        study = sorted({i.spec["study_indicator"] for i in catalog.indicators.values()
                        if i.dimension == dim and i.spec.get("study_indicator") is not None})
        covered = sorted({i.spec["study_indicator"] for i in in_use if i.spec.get("study_indicator") is not None})
        proxies = [i.key for i in in_use if i.is_proxy]
        weak = [i.key for i in in_use if i.spec.get("weak")]
        if len(weak) == len(in_use):
            quality = "weak proxies only"
        elif len(proxies) == len(in_use):
            quality = "proxies only"
        elif proxies:
            quality = "partly proxies"
        else:
            quality = "direct measures"
        rows.append({
            "dimension": dim, "name_ko": catalog.dimensions[dim]["name_ko"],
            "indicators": ";".join(i.key for i in in_use),
            "study_indicators_covered": f"{len(covered)}/{len(study)}",
            "study_indicators_missing": ";".join(s for s in study if s not in covered),
            "proxies": ";".join(proxies), "quality": quality,
            "years": ";".join(sorted({y for i in in_use for y in years_by[i.key].split(";")})),
            "stale_indicators": ";".join(i.key for i in in_use if status_by[i.key] != "within range"),
            "missing_cells": int(raw[[i.key for i in in_use]].isna().sum().sum()),
            "units_scored": int(scores[dim].notna().sum()),
            "units_unscored": int(scores[dim].isna().sum()),
            "units_partial": int(((shares[dim] < 1 - 1e-12) & scores[dim].notna()).sum()),
        })
    return pd.DataFrame(rows)


def exclusion_table(unit_table: pd.DataFrame, raw: pd.DataFrame, scores: pd.DataFrame,
                    typed: pd.DataFrame, chosen: list[Indicator], unclassified: str) -> pd.DataFrame:
    """Every unit left out of a dimension score or of the types, with the reason (exclusions.csv)."""
    names = unit_table.set_index("code")
    rows = []
    for dim in DIMENSIONS:
        keys = [i.key for i in chosen if i.dimension == dim]
        for code in scores.index[scores[dim].isna()]:
            missing = [k for k in keys if pd.isna(raw.at[code, k])]
            rows.append({"code": code, "name": names.at[code, "name_ko"], "sido": names.at[code, "sido_ko"],
                         "excluded_from": f"{dim} score", "reason": f"too few indicators observed; missing {missing}"})
    for code in typed.index[typed["type"] == unclassified]:
        rows.append({"code": code, "name": names.at[code, "name_ko"], "sido": names.at[code, "sido_ko"],
                     "excluded_from": "type", "reason": typed.at[code, "reason"]})
    return pd.DataFrame(rows, columns=["code", "name", "sido", "excluded_from", "reason"])
