"""Read a run folder for ``load_results``: its files checked against the manifest's checksums first.

A run folder is input like any other: a file may be damaged, truncated or edited by hand. Each
problem is one line naming the file; an output whose SHA-256 differs from the one the manifest
records is refused unless the caller accepts edited outputs, and then it is a warning.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.checksums import sha256
from ..errors import TypologyError

RUN_FILES = ("indicators.csv", "manifest.json")


def read_manifest(folder: Path) -> dict[str, Any]:
    """A run folder's manifest.json, checked to be a typology manifest.

    Parameters
    ----------
    folder : pathlib.Path
        The run folder.

    Returns
    -------
    dict
        The manifest (its ``config`` section is a dict).

    Raises
    ------
    TypologyError
        If the file is missing, not JSON or has no config section.
    """
    path = folder / "manifest.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not valid JSON in UTF-8"
        raise TypologyError(f"{path}: not a typology manifest ({reason})") from None
    if not isinstance(record, dict) or not isinstance(record.get("config"), dict):
        raise TypologyError(f"{path}: not a typology manifest (expected a JSON object with a config section)")
    return record


def edited_outputs(folder: Path, record: dict[str, Any], names: list[str]) -> list[str]:
    """Of ``names``, the files whose SHA-256 is not the one ``record["outputs"]`` holds (absent: not checked).

    Parameters
    ----------
    folder : pathlib.Path
        The run folder.
    record : dict
        Its manifest.
    names : list of str
        File names to check.

    Returns
    -------
    list of str
        The edited files.
    """
    outputs = record.get("outputs")
    if not isinstance(outputs, dict):
        return []
    return [n for n in names if n in outputs and (folder / n).is_file() and sha256(folder / n) != outputs[n]]


def check_outputs(folder: Path, record: dict[str, Any], accept_edited: bool) -> None:
    """Refuse (or, if ``accept_edited``, warn about) outputs edited after the run.

    Parameters
    ----------
    folder : pathlib.Path
        The run folder.
    record : dict
        Its manifest.
    accept_edited : bool
        Warn instead of raising ``TypologyError``.
    """
    used = [n for n in ("scores.gpkg", "scores.csv", "indicators.csv") if (folder / n).is_file()]
    edited = edited_outputs(folder, record, used)
    if not edited:
        return
    what = (f"{folder}: {', '.join(edited)} differ from the SHA-256 that manifest.json records (edited after the "
            "run)")
    if not accept_edited:
        raise TypologyError(f"{what}; pass accept_edited=True to load them anyway")
    warnings.warn(f"{what}; loaded as they are (accept_edited=True)", stacklevel=3)


def read_frame(path: Path) -> Any:
    """scores.gpkg as a GeoDataFrame, or one line naming the file.

    Parameters
    ----------
    path : pathlib.Path
        The GeoPackage.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    import geopandas as gpd

    try:
        return gpd.read_file(path)
    except Exception as exc:  # GDAL's errors have no common base that pyogrio exports for every version
        raise TypologyError(f"{path}: not a readable GeoPackage ({type(exc).__name__})") from None


def read_csv(path: Path, **options: Any) -> pd.DataFrame:
    """A CSV of a run folder (UTF-8, with or without BOM), or one line naming the file.

    Parameters
    ----------
    path : pathlib.Path
        The table.
    **options
        Passed to ``pandas.read_csv``.

    Returns
    -------
    pandas.DataFrame
    """
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **options)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, OSError) as exc:
        raise TypologyError(f"{path}: not a readable table ({type(exc).__name__})") from None
