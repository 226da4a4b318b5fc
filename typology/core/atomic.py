"""Writes that never leave a half-written file or folder behind."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..errors import TypologyError


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _formula_like(text: str) -> bool:
    if len(text) < 2 or not text.startswith(_FORMULA_START):
        return False
    try:
        float(text)  # "-3.5" is a number, and Excel reads it as one
    except ValueError:
        return True
    return False


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and header that a spreadsheet would run as a formula quoted.

    Text from configs and user tables (type names, reasons, raw cells) reaches the CSV files that
    people open in Excel; a cell such as ``=HYPERLINK(...)`` would run there. Following OWASP's
    rule for CSV injection, such a cell gets a leading apostrophe, which Excel shows as text.
    """
    def quote(value: object) -> object:
        return f"'{value}" if isinstance(value, str) and _formula_like(value) else value

    columns = [quote(c) for c in frame.columns]
    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    if not text and columns == list(frame.columns):
        return frame
    out = frame.copy()
    for c in text:
        out[c] = out[c].map(quote)
    out.columns = columns
    return out


def write_csv(frame: pd.DataFrame, path: Path, *, bom: bool = False) -> None:
    """CSV with '\\n' line ends and fixed float text, so equal tables are equal bytes.

    ``bom`` writes UTF-8 with a byte-order mark, which Excel needs to show Hangul. Cells that a
    spreadsheet would run as formulas are written as text (``spreadsheet_safe``).
    """
    with atomic_file(path) as tmp:
        spreadsheet_safe(frame).to_csv(tmp, index=False, encoding="utf-8-sig" if bom else "utf-8",
                                       lineterminator="\n", float_format="%.10g")


MARKER = ".typology-run"  # in every run folder: what the tool wrote there, so it never touches the rest


class OutDirError(TypologyError):
    """``--out`` names a place the tool may not write a run folder."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _marker_lines(folder: Path) -> list[str] | None:
    try:
        return (folder / MARKER).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None


# What runs wrote before folders carried a marker: their outputs all have these names.
_LEGACY_OUTPUT = re.compile(r"[\w-]+\.(csv|png)|map\.html|report\.html|maps\.pdf|scores\.(gpkg|xlsx)|manifest\.json")


def written_files(folder: Path) -> set[str] | None:
    """The files a run folder's marker says the tool wrote there; None when it is no run folder.

    A folder written before markers existed is recognised by its manifest (``"tool": "typology"``);
    of its files, those with the name of an output count as the tool's.
    """
    lines = _marker_lines(folder)
    if lines is not None:
        return {line.removeprefix("file ") for line in lines if line.startswith("file ")}
    try:
        legacy = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("tool") == "typology"
        names = [p.name for p in folder.iterdir() if p.is_file() and not p.is_symlink()]
    except (OSError, ValueError, AttributeError):
        return None
    return {n for n in names if _LEGACY_OUTPUT.fullmatch(n)} if legacy else None


def claim_out_dir(path: Path, *, force: bool = False) -> Path:
    """Check that the tool may write a run folder at ``path``; return it as an absolute path.

    Allowed: a new path, an empty folder, or an earlier run folder (its marker present). Any
    other folder is refused unless ``force``; even then only the tool's own files are replaced.
    A regular file is always refused: it cannot hold a run folder.
    """
    path = Path(os.path.abspath(path))
    if path.is_symlink() and not path.exists():
        raise OutDirError(f"--out {path}: a broken symbolic link; give a folder")
    if path.exists() and not path.is_dir():
        raise OutDirError(f"--out {path}: is a file, not a folder; give a new folder, an empty one or an "
                          "earlier run folder")
    if path.is_dir() and not force and written_files(path) is None:
        try:
            entries = sorted(p.name for p in path.iterdir())
        except OSError as exc:
            raise OutDirError(f"--out {path}: cannot read the folder ({exc.strerror})") from None
        if entries:
            raise OutDirError(
                f"--out {path}: the folder holds {len(entries)} entries the tool did not write (e.g. "
                f"{entries[0]!r}); give a new or empty folder or an earlier run folder, or add --force to "
                "write the run's files beside them (nothing of theirs is deleted)")
    return path


def _remove_stale(path: Path) -> None:
    """Temporary folders of earlier runs into ``path`` that were killed before they finished."""
    for prefix in (f".{path.name}.run.", f".{path.name}.old."):
        for tmp in path.parent.glob(f"{prefix}*"):
            lines = _marker_lines(tmp) or []
            pid = next((int(x[4:]) for x in lines if x.startswith("pid ") and x[4:].isdigit()), None)
            if tmp.is_dir() and not tmp.is_symlink() and pid is not None and not _pid_alive(pid):
                shutil.rmtree(tmp, ignore_errors=True)


def _new_dir_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


@contextmanager
def atomic_dir(path: Path, *, force: bool = False) -> Iterator[Path]:
    """Build a whole output folder in a sibling temp folder and put it in place at the end.

    A failed run leaves the previous folder (if any) untouched and no partial one. A new folder
    or an earlier run folder that holds only the tool's files is swapped in whole. Into any other
    folder (an earlier run folder where someone added files, or a foreign folder with ``force``)
    the run's files are moved one by one, each atomically, and the tool's files of the earlier
    run that this run did not write are removed; every other file is left as it was. A file of
    someone else's with the name of an output is never replaced: the run stops first.
    """
    path = claim_out_dir(path, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.run.", dir=path.parent))
    (tmp / MARKER).write_text(f"typology temporary folder\npid {os.getpid()}\n", encoding="utf-8")
    try:
        yield tmp
        names = sorted(p.name for p in tmp.iterdir() if p.name != MARKER)
        (tmp / MARKER).write_text("typology run folder: the tool wrote the files listed here and may replace "
                                  "or remove them; it leaves every other file alone\n"
                                  + "".join(f"file {n}\n" for n in names), encoding="utf-8")
        if not path.exists():
            os.chmod(tmp, _new_dir_mode())
            os.replace(tmp, path)
            return
        mode = path.stat().st_mode & 0o7777
        ours = written_files(path) or set()
        foreign = [p.name for p in path.iterdir() if p.name != MARKER and p.name not in ours]
        if not foreign:
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
            (old / MARKER).write_text(f"typology temporary folder\npid {os.getpid()}\n", encoding="utf-8")
            os.replace(path, old / "prev")
            os.chmod(tmp, mode)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
            return
        clash = sorted(set(foreign) & set(names))
        if clash:
            raise OutDirError(f"--out {path}: {clash[0]!r} there was not written by the tool and has the name "
                              "of an output; move it away or choose another folder")
        for name in names:
            os.replace(tmp / name, path / name)
        for name in sorted(ours - set(names)):
            stale = path / name
            if stale.is_file() and not stale.is_symlink():
                stale.unlink()
        os.replace(tmp / MARKER, path / MARKER)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
