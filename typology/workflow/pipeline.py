"""load → validate → score → classify: one run of a config, in memory.

Each step is a pure function of its inputs; ``steps`` records what ran with which
parameters so the manifest can rebuild any result.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import paths
from ..core.catalog import DIMENSIONS, Catalog, Indicator, catalog_for
from ..core.config import load_config, resolve_path
from ..core.result import RunResult, Section
from ..core.settings import RunSettings, thaw
from ..data import places, units
from ..data import scope as scopes
from ..data.attributes import unit_attributes
from ..data.connectors.dispatch import missing_message
from ..data.geometry import load_unit_geometry
from ..data.load import Loaded, gap_notes, load_tables, table_gaps
from ..data.transform import YearPolicy, compute_indicators
from ..errors import TypologyError
from ..render.audit_section import audit_html
from ..render.map_explain import short_sido
from ..render.type_sections import typing_sections
from ..render.validity_section import crosstab_html, validity_html
from ..render.validity_words import Names
from ..scoring.audit import Audit, audit
from ..scoring.score import Scored, score
from ..typologies.classify import Typing, classify
from ..typologies.latent_class import Inputs
from ..validity.baseline import weight_warnings
from ..validity.coherence import Coherence, coherence
from ..validity.criteria import criteria_names
from ..validity.validity import validity
from .tables import coverage_table, exclusion_table, type_crosstab
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
    read = read_inputs(catalog, settings)
    scored, checked, coherent = score_units(read, catalog, settings)
    typing, typed = type_units(read, scored, catalog, settings)
    result = assemble(catalog, settings, read, scored, checked, coherent, typing, typed)
    if on_typed is not None:
        on_typed(result)
    audit_validity(result, read, scored, coherent)
    add_sections(result, checked)
    return result


@dataclass
class Read:
    """What a run read: its units (in scope and all), the indicator values, and the log so far."""

    every_unit: pd.DataFrame
    scope: scopes.Scope
    units: pd.DataFrame  # the units in scope, the only ones that go further
    loaded: Loaded
    gaps: pd.DataFrame  # user tables' variables without a value for some units
    policy: YearPolicy
    raw: pd.DataFrame
    years: pd.DataFrame
    context: pd.DataFrame  # unit attributes: log population, class, 시도, peer group
    steps: list[dict[str, Any]]

    @property
    def codes(self) -> pd.Index:
        """The codes of the units in scope, in order."""
        return pd.Index(self.units["code"], name="code")


def read_inputs(catalog: Catalog, settings: RunSettings) -> Read:
    """The units in scope and their indicator values (warning of gaps and constant indicators).

    Parameters
    ----------
    catalog : Catalog
        The indicator catalogue of the run.
    settings : RunSettings
        The validated, typed settings (with the resolved config, which the table readers take).

    Returns
    -------
    Read
        Units, indicator values, years, unit attributes and the log of these steps.
    """
    chosen = list(settings.indicators)
    # The table readers check their entries as plain dicts and lists: a fresh copy of the resolved config.
    config = thaw(settings.config)
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
        # stacklevel 3: the warning names the caller of ``run``, as when this was inside it
        warnings.warn(f"{row.table}: {row.variable} has no value for {row.n} of {len(unit_table)} units in the run: "
                      f"{'; '.join(shown[:8])}{more} (all listed in coverage.csv)", stacklevel=3)

    policy = YearPolicy(reference_year=settings.data.reference_year, max_gap=settings.data.max_year_gap,
                        on_gap=settings.data.on_year_gap)
    raw, years = compute_indicators(variables, chosen, codes, policy)
    for key in constant_indicators(raw):
        warnings.warn(f"indicator {key}: the same value for every unit with data, so it cannot tell units apart; "
                      "indicators.csv reports it with weight 0", stacklevel=3)
    steps.append({"step": "transform", "reference_year": policy.reference_year, "max_year_gap": policy.max_gap,
                  "on_year_gap": policy.on_gap, "indicators": years.set_index("indicator")["variables"].to_dict()})

    peer_path = settings.data.peer_groups
    context = unit_attributes(unit_table, variables, policy.reference_year,
                              resolve_path(config, peer_path) if peer_path else None)
    return Read(every_unit, scope, unit_table, loaded, gaps, policy, raw, years, context, steps)


def score_units(read: Read, catalog: Catalog, settings: RunSettings) -> tuple[Scored, Audit, Coherence]:
    """Scores, the statistical audit, and the coherence of the deciding axes (before any type is named).

    Parameters
    ----------
    read : Read
        What the run read (its ``steps`` get the scoring steps and the coherence line).
    catalog : Catalog
        The indicator catalogue of the run.
    settings : RunSettings
        The validated, typed settings.

    Returns
    -------
    tuple of Scored, Audit and Coherence
        The scoring steps' output, audit.csv's tables, and the coherence rows of validity.csv.
    """
    chosen = list(settings.indicators)
    scored = score(read.raw, chosen, settings.scoring, groups=read.units.set_index("code")["sido_code"],
                   context=read.context)
    read.steps.extend(scored.steps)
    checked = audit(read.raw, scored, chosen, read.units, {d: catalog.dimensions[d]["name_ko"] for d in DIMENSIONS})
    # Before any type is named: do the deciding axes measure one thing? (on_fail: error stops here)
    coherent = coherence(scored.normalised, scored.scores, chosen, settings)
    read.steps.append({"step": "coherence", "summary": coherent.line()})
    for message in weight_warnings(settings, {i.key: i.dimension for i in chosen}, list(DIMENSIONS)):
        warnings.warn(message, stacklevel=3)
    return scored, checked, coherent


def type_units(read: Read, scored: Scored, catalog: Catalog, settings: RunSettings) -> tuple[Typing, pd.DataFrame]:
    """The type of every unit in scope, with its reason (and the imputed indicators beside it).

    Parameters
    ----------
    read : Read
        What the run read (its ``steps`` get the typing step).
    scored : Scored
        The scores.
    catalog : Catalog
        The indicator catalogue of the run.
    settings : RunSettings
        The validated, typed settings.

    Returns
    -------
    tuple of Typing and pandas.DataFrame
        The typing step's output, and per unit in scope its type columns (scores.csv's).
    """
    typing = classify(scored.scores[list(DIMENSIONS)], settings.typology, catalog, geometry=load_unit_geometry,
                      names=dict(zip(read.units["code"], read.units["name_ko"])),
                      inputs=Inputs(scored.normalised, read.raw, list(settings.indicators), read.context))
    read.steps.extend(typing.steps)
    typed = typing.typed.reindex(read.codes)
    return typing, typed.join(scored.flags())  # imputed_indicators, next to missing_indicators in scores.csv


def assemble(catalog: Catalog, settings: RunSettings, read: Read, scored: Scored, checked: Audit,
             coherent: Coherence, typing: Typing, typed: pd.DataFrame) -> RunResult:
    """The run's result once every unit is typed: scores, types, coverage, exclusions and their tables.

    Parameters
    ----------
    catalog : Catalog
        The indicator catalogue of the run.
    settings : RunSettings
        The validated, typed settings; their resolved config becomes the result's ``config``.
    read, scored, checked, coherent, typing : Read, Scored, Audit, Coherence, Typing
        What the phases before gave.
    typed : pandas.DataFrame
        Per unit in scope: the type columns.

    Returns
    -------
    RunResult
        Final in everything ``table()`` shows; the validity audit and the report sections come next.
    """
    chosen = list(settings.indicators)
    coverage = coverage_table(catalog, chosen, read.raw, scored.scores, scored.shares, read.years)
    notes = gap_notes(read.gaps, chosen)
    coverage["user_table_gaps"] = [notes.get(d, "") for d in coverage["dimension"]]
    exclusions = exclusion_table(read.units, read.raw, scored.scores, typed, chosen,
                                 settings.typology.unclassified["key"])
    scope = read.scope
    if not scope.whole:
        exclusions = pd.concat([exclusions, scopes.outside(read.every_unit, scope)], ignore_index=True)
    result = RunResult(thaw(settings.config), catalog, read.units, chosen, read.raw, scored.normalised,
                       scored.scores, typed, scored.weights, coverage, exclusions,
                       [*catalog.extra, *read.loaded.inputs], read.years, read.steps,
                       # unmatched: every input row not used as a unit value, with its reason
                       tables={"audit": checked.table, "imputations": checked.imputations,
                               "unmatched": read.loaded.unmatched},
                       scope={"spec": scope.spec, "ko": scope.describe_ko(), "en": scope.describe_en(),
                              "total": scope.total},
                       run_settings=settings, typing=typing.summary, dimension_weights=scored.dimension_weights,
                       coherence_summary=coherent.line())
    result.tables.update(typing.tables)
    result.tables["unit_attributes"] = read.context.reset_index()
    return result


def audit_validity(result: RunResult, read: Read, scored: Scored, coherent: Coherence) -> None:
    """The validity audit of the typed run: validity.csv (coherence rows first), its section and summary.

    Parameters
    ----------
    result : RunResult
        The assembled run; gets ``tables["validity"]``, ``type_changes``, ``validity_summary``,
        the ``validity`` step and section.
    read, scored, coherent : Read, Scored, Coherence
        What the phases before gave.
    """
    config, settings, chosen, units = result.config, result.settings, result.indicators, result.units
    names = {c: f"{short_sido(s)} {n}" for c, s, n in zip(units["code"], units["sido_ko"], units["name_ko"])}
    criteria = criteria_table(config, result.catalog, read.loaded.variables, read.codes, read.policy)
    audited = validity(read.raw, chosen, settings, result.catalog, scored.scores, scored.normalised,
                       result.typed["type"], read.context, units.set_index("code")["sido_code"], names, criteria,
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
                                   validity_html(audited, settings, Names.of(result))))


def add_sections(result: RunResult, checked: Audit) -> None:
    """The report's other sections: the compared run's crosstab, the statistical audit, the typing.

    Parameters
    ----------
    result : RunResult
        The audited run; gets its sections and figures (and ``tables["type_crosstab"]``).
    checked : Audit
        audit.csv's tables.
    """
    config, catalog = result.config, result.catalog
    compare = result.settings.validation.compare_with
    if compare:
        other = run(load_config(compared_config(config, compare), ["validation.compare_with=null"]))
        result.tables["type_crosstab"] = type_crosstab(result.typed, other.typed, Path(str(compare)).stem)
        result.sections.append(Section("crosstab", "기본 설정과의 유형 비교", "Types beside the compared run",
                                       crosstab_html(result.tables["type_crosstab"], str(compare))))
    audit_names = {d: catalog.dimensions[d]["name_ko"] for d in DIMENSIONS}
    result.sections.append(Section("audit", "통계 감사", "Statistical audit",
                                   audit_html(checked.table, checked.imputations, audit_names)))
    sections, figures = typing_sections(result)
    result.sections += sections
    result.figures.update(figures)


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


def config_keys(config: dict[str, Any]) -> list[str]:
    """The indicator keys the config asks for, dimension by dimension."""
    return [k for dim in DIMENSIONS for k in config["indicators"].get(dim) or []]
