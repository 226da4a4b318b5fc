"""Results from a config (run in-process), a run folder, or a RunResult: ``load`` (``typology.load_results``).

``from_run`` attaches the bundled unit geometry to an in-process run; ``from_folder`` reads
what ``typology run`` wrote (scores.gpkg, or scores.csv plus the bundled geometry, with
indicators.csv and manifest.json) and refuses files edited after the run unless told.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..core.catalog import DIMENSIONS, load_catalog
from ..errors import TypologyError
from .analyses import LABEL
from .results import Results

if TYPE_CHECKING:
    from ..core.result import RunResult


RUN_FILES = ("indicators.csv", "manifest.json")  # as api.run_folder.RUN_FILES
INDICATOR_META = ["name_ko", "name_en", "dimension", "unit", "direction", "weight", "years", "year_status"]

def load(source: object = None, overrides: list[str] | None = None, *, accept_edited: bool = False) -> Results:
    """Results from a config (run in-process), a run folder, or a RunResult (``typology.load_results``).

    Parameters
    ----------
    source : str, pathlib.Path, dict or RunResult, optional
        None (the default config), a config path (.yaml/.yml), a resolved config dict, a run
        folder written by ``typology run`` (scores.gpkg or scores.csv, with indicators.csv and
        manifest.json), or a ``RunResult``.
    overrides : list of str, optional
        ``--set`` strings such as ``"scoring.normalise.method=minmax"`` (configs only).
    accept_edited : bool, default False
        A run folder whose scores or indicators differ from the checksums its manifest records
        is refused unless this is set (then it is a warning).

    Returns
    -------
    Results

    Raises
    ------
    TypologyError
        If the source is neither a config nor a run folder, or a run folder lacks its files.

    Examples
    --------
    >>> import typology as tp
    >>> res = tp.load_results()                                   # default config, bundled data
    >>> res = tp.load_results("out/default")                      # a finished run folder
    >>> res = tp.load_results(None, ["scoring.normalise.method=minmax"])
    """
    from ..core.config import load_config
    from ..core.result import RunResult
    from ..workflow.pipeline import run

    if isinstance(source, RunResult):
        _no_overrides(overrides, "a RunResult")
        return from_run(source)
    if source is None or isinstance(source, dict):
        if isinstance(source, dict):
            config = copy.deepcopy(source)
            if overrides:
                from ..core.config import apply_overrides

                config = apply_overrides(config, overrides)
        else:
            config = load_config(None, overrides)
        return from_run(run(config))
    path = Path(str(source))
    if path.is_dir():
        _no_overrides(overrides, f"run folder {path}")
        return from_folder(path, accept_edited=accept_edited)
    if path.suffix.lower() in (".yaml", ".yml"):
        return from_run(run(load_config(path, overrides)))
    raise TypologyError(f"{path}: expected a config file (.yaml) or a run folder written by `typology run`")


def _no_overrides(overrides: list[str] | None, what: str) -> None:
    if overrides:
        raise TypologyError(f"--set {overrides[0]!r}: overrides apply to configs, not to {what}")


def from_run(result: RunResult) -> Results:
    """Results of an in-process run, with the bundled unit geometry attached.

    Parameters
    ----------
    result : RunResult
        What ``typology.run`` returned.

    Returns
    -------
    Results
    """
    from ..data.geometry import attach, load_unit_geometry

    frame = attach(result.table(), load_unit_geometry())
    years = result.years.set_index("indicator")
    meta = pd.DataFrame([{
        "key": ind.key, "name_ko": ind.spec["name_ko"], "name_en": ind.spec["name_en"],
        "dimension": ind.dimension, "unit": ind.spec["unit"], "direction": ind.direction,
        "weight": float(result.weights[ind.key]), "years": years.at[ind.key, "years"],
        "year_status": years.at[ind.key, "year_status"]} for ind in result.indicators]).set_index("key")
    names = {d: dict(result.catalog.dimensions[d]) for d in DIMENSIONS}
    results = Results(frame, meta, result.config, f"run of config {result.config.get('name')!r}", names)
    results.cached("settings", lambda: result.settings)  # the run's own, not made again from its config
    return results


def from_folder(folder: Path, *, accept_edited: bool = False) -> Results:
    """Results from a run folder: scores.gpkg (or scores.csv plus the bundled geometry).

    Parameters
    ----------
    folder : pathlib.Path
        A folder written by ``typology run``.
    accept_edited : bool, default False
        Load outputs edited after the run, with a warning.

    Returns
    -------
    Results

    Raises
    ------
    TypologyError
        If a file is missing, unreadable, edited, or lacks required columns.
    """
    from ..data.geometry import attach, load_unit_geometry
    from .run_folder import check_outputs, read_csv, read_frame, read_manifest

    for name in RUN_FILES:
        if not (folder / name).is_file():
            raise TypologyError(f"{folder / name}: not found; a run folder written by `typology run` has it")
    manifest = read_manifest(folder)
    check_outputs(folder, manifest, accept_edited)
    gpkg, csv = folder / "scores.gpkg", folder / "scores.csv"
    if gpkg.is_file():
        frame = read_frame(gpkg)
        where = gpkg
    elif csv.is_file():
        frame = attach(_read_scores_csv(csv), load_unit_geometry())
        where = csv
    else:
        raise TypologyError(f"{folder}: neither scores.gpkg nor scores.csv found")
    required = ["code", "name", "sido", LABEL, "type_ko", *DIMENSIONS]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise TypologyError(f"{where}: missing columns {missing}")
    frame["code"] = frame["code"].astype(str).str.zfill(5)
    config = manifest["config"]
    meta = read_csv(folder / "indicators.csv")
    missing = [c for c in ["indicator", *INDICATOR_META] if c not in meta.columns]
    if missing:
        raise TypologyError(f"{folder / 'indicators.csv'}: missing columns {missing}")
    meta = meta.rename(columns={"indicator": "key"}).set_index("key")[INDICATOR_META]
    absent = [k for k in meta.index if k not in frame.columns or f"{k}_norm" not in frame.columns]
    if absent:
        raise TypologyError(f"{where}: indicators {absent} listed in indicators.csv have no raw/_norm columns")
    catalog = load_catalog()
    names = {d: dict(catalog.dimensions[d]) for d in DIMENSIONS}
    return Results(frame, meta, config, f"run folder {folder}", names)


def _read_scores_csv(path: Path) -> pd.DataFrame:
    from .run_folder import read_csv

    return read_csv(path, dtype={"code": str, "code_std5": str}, keep_default_na=True)
