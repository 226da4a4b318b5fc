"""What a run hands its renderers: the tables, scores and types of one run, and report sections.

It lives apart from the pipeline so that renderers and the notebook API depend on the result,
not on the computation that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .catalog import DIMENSIONS, Catalog, Indicator
from .ranks import rank
from .settings import RunSettings, thaw


@dataclass
class Section:
    """A block of the run's HTML report, contributed by a pipeline step.

    ``html`` must already be escaped: build it with ``html.escape`` or ``DataFrame.to_html``.

    Attributes
    ----------
    key : str
        Identifies the section (an anchor in the report).
    title_ko, title_en : str
        Its heading in Korean and English.
    html : str
        The escaped HTML body.
    """

    key: str
    title_ko: str
    title_en: str
    html: str


@dataclass(frozen=True)
class TypingSummary:
    """The typing step as its readers need it; its full record stays in ``RunResult.steps`` (manifest.json).

    Attributes
    ----------
    method : str
        ``typology.method`` as run.
    thresholds : dict of str to list of dict
        Type key → one entry per condition of its rule: ``axis``, ``op``, ``ref`` and the fitted ``value``.
    k, k_range, k_rule, k_auto, features
        For clusters and latent classes: k, the k tried, how k was chosen, whether it was chosen
        (``typology.k: auto``) and what was clustered; None, empty or False for the rules.
    agreement : dict
        Adjusted Rand indices of the clusters against the rule types (empty for the rules).
    bootstrap : dict
        ``n`` replicates (0: none), and with replicates ``unstable_regions`` and ``unstable_below``.
    warnings : tuple of str
        What the method warned about (islands, clusters that fit no rule); shown in the report.
    latent : dict
        For latent classes: ``bic``, ``relative_entropy``, ``covariates``, ``excluded`` and
        ``most_decisive_indicator``; empty otherwise.
    """

    method: str
    thresholds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    k: int | None = None
    k_range: tuple[int, ...] = ()
    k_rule: str | None = None
    k_auto: bool = False
    features: str | None = None
    agreement: dict[str, float] = field(default_factory=dict)
    bootstrap: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    latent: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, record: dict[str, Any]) -> TypingSummary:
        """The summary of the typing step's record (``{"step": "classify", ...}``).

        Parameters
        ----------
        record : dict
            The typing step's entry of the run's log.

        Returns
        -------
        TypingSummary
            Its fields, with the defaults above for what the method does not record.
        """
        # Latent classes are the method that records a BIC.
        latent = {key: record[key] for key in ("bic", "relative_entropy", "covariates", "excluded",
                                                "most_decisive_indicator") if key in record} if "bic" in record else {}
        return cls(record["method"], record.get("thresholds") or {}, record.get("k"),
                   tuple(record.get("k_range") or ()), record.get("k_rule"), bool(record.get("k_auto")),
                   record.get("features"), record.get("agreement") or {}, record.get("bootstrap") or {},
                   tuple(record.get("warnings") or ()), latent)


@dataclass
class RunResult:
    """One run's tables in memory (``typology.run``); ``table()`` is what scores.csv holds.

    Attributes
    ----------
    config : dict
        The resolved config.
    catalog : Catalog
        The indicator catalogue the run read.
    units : pandas.DataFrame
        The units in scope (code, names, 시도).
    indicators : list of Indicator
        The indicators in use.
    raw, normalised, scores, typed : pandas.DataFrame
        Per unit: indicators in their units, normalised indicators, dimension and composite
        scores, and the type with its reason.
    weights : pandas.Series
        Weight per indicator.
    coverage, exclusions : pandas.DataFrame
        How well each dimension is measured; every unit left out, with the reason.
    inputs : list of pathlib.Path
        The data files read.
    years : pandas.DataFrame
        Per indicator: the variable years used and their gap from ``reference_year``.
    steps : list of dict
        The log of the run (written to manifest.json).
    tables, figures : dict
        Extra outputs of later steps: name → table (written as <name>.csv) or PNG bytes (<name>.png).
    sections : list of Section
        Blocks of the HTML report.
    scope : dict
        ``units.scope``: the selection (or None), how to say it in Korean and English, all units.
    type_changes : dict of str to list of str
        The validity audit's leave-one-out: indicator key → codes whose type changes without it.
    typing : TypingSummary or None
        What the typing step reports (method, thresholds, k, bootstrap); None for a result not typed.
    dimension_weights : pandas.Series or None
        The weight of each dimension in the composite.
    coherence_summary, validity_summary : str
        One line each of the coherence check before typing and of the validity audit (empty if not run).

    Examples
    --------
    >>> import typology as tp
    >>> result = tp.run(tp.load_config())
    >>> len(result.table()) == len(result.units)
    True
    """

    config: dict[str, Any]
    catalog: Catalog
    units: pd.DataFrame
    indicators: list[Indicator]
    raw: pd.DataFrame
    normalised: pd.DataFrame
    scores: pd.DataFrame
    typed: pd.DataFrame
    weights: pd.Series
    coverage: pd.DataFrame
    exclusions: pd.DataFrame
    inputs: list[Path]
    years: pd.DataFrame  # per indicator: the variable years used and their gap from reference_year
    steps: list[dict[str, Any]] = field(default_factory=list)
    # Extra outputs that later steps contribute without touching the writer: each table is
    # written as <name>.csv, each figure as <name>.png, and each section is rendered by the
    # report.
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    figures: dict[str, bytes] = field(default_factory=dict)  # PNG bytes, written as <name>.png
    # units.scope: {"spec": the config's selection or None, "ko"/"en": how to say it, "total": all units}
    scope: dict[str, Any] = field(default_factory=dict)
    # The validity audit's leave-one-out: indicator key → codes of the units whose type changes without it
    type_changes: dict[str, list[str]] = field(default_factory=dict)
    # What readers need of the log, typed (the pipeline sets them; ``steps`` stays the manifest's record)
    typing: TypingSummary | None = None
    dimension_weights: pd.Series | None = None
    coherence_summary: str = ""
    validity_summary: str = ""
    # The typed settings the run was made with (``typology.workflow.validate`` builds them); read ``settings``.
    run_settings: RunSettings | None = field(default=None, repr=False)

    @property
    def settings(self) -> RunSettings:
        """Each stage's typed, frozen settings (from ``config``, for a result rebuilt without them).

        Returns
        -------
        RunSettings
            The settings the run was made with; rebuilt (and checked) from ``config`` when the result
            carries none or was copied with another config.
        """
        # A result copied with another config (``dataclasses.replace``) gets settings of that config.
        if self.run_settings is None or thaw(self.run_settings.config) != self.config:
            self.run_settings = RunSettings.checked(self.config, self.indicators)
        return self.run_settings

    def table(self) -> pd.DataFrame:
        """The flat results table: one row per unit (what scores.csv holds).

        Returns
        -------
        pandas.DataFrame
            Code, names, raw and normalised indicators, dimension scores, composite and its
            rank, the type with its reason, and ``missing_indicators``.

        Examples
        --------
        >>> result.table().loc[lambda t: t["name"] == "전주시", "type_ko"].item()
        '자원결합형'
        """
        u = self.units.set_index("code")
        out = pd.DataFrame({"code": u.index, "name": u["name_ko"], "name_en": u["name_en"],
                            "sido": u["sido_ko"], "sido_en": u["sido_en"], "code_std5": u["code_std5"]},
                           index=u.index)
        for ind in self.indicators:
            out[ind.key] = self.raw[ind.key]
        for ind in self.indicators:
            out[f"{ind.key}_norm"] = self.normalised[ind.key]
        for dim in DIMENSIONS:
            out[dim] = self.scores[dim]
        out["composite"] = self.scores["composite"]
        out["composite_rank"] = rank(out["composite"])
        out = out.join(self.typed)
        missing = self.raw.isna().reindex(out.index)
        out["missing_indicators"] = [";".join(c for c, gap in zip(missing.columns, row) if gap)
                                     for row in missing.to_numpy(dtype=bool)]
        return out.reset_index(drop=True)
