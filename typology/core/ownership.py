"""What the tool wrote, so that it never replaces or removes anything else, and the atomic run folder.

A run folder holds a marker (``.typology-run``) listing the files the tool wrote there with their
SHA-256; a file written outside a run folder (``fetch``, a list beside a run) is recorded in the
folder's ``.typology-files``. Only a file listed there and unchanged since counts as the tool's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import TypologyError
from .atomic import atomic_file, write_csv
from .checksums import sha256

if TYPE_CHECKING:  # pandas is imported where a frame is used: the command line starts without it
    import pandas as pd

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


def _marker_lines_of(path: Path) -> list[str] | None:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None


def _marker_lines(folder: Path) -> list[str] | None:
    return _marker_lines_of(folder / MARKER)


_SHA = re.compile(r"[0-9a-f]{64}")


def plain_name(name: str) -> bool:
    """A file of the folder itself, named plainly: no separator, no '..', not absolute, no control character."""
    return bool(name) and name not in (".", "..") and not any(c in name for c in "/\\") \
        and not os.path.isabs(name) and all(c.isprintable() for c in name)


def _escaped(text: str, limit: int = 60) -> str:
    shown = repr(text[:limit])
    return shown if len(text) <= limit else f"{shown}… ({len(text):,} characters)"


def _marker_entries(folder: Path, lines: list[str], warn: bool) -> dict[str, set[str]]:
    """Marker lines ``file NAME [SHA-256]`` → name → the checksums recorded for it (empty: none recorded)."""
    out: dict[str, set[str]] = {}
    for line in lines:
        if not line.startswith("file "):
            continue
        rest = line[5:]
        name, _, last = rest.rpartition(" ")
        if not (name and _SHA.fullmatch(last)):
            name, last = rest, ""
        if not plain_name(name):
            # A marker could be edited to point the tool's cleanup at a file outside the folder.
            if warn:
                warnings.warn(f"{folder / MARKER}: ignored {_escaped(name)}, which is not the plain name of a file "
                              "in the folder", stacklevel=3)
            continue
        out.setdefault(name, set()).update({last} if last else set())
    return out


def _manifest(folder: Path) -> dict | None:
    try:
        record = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("tool") == "typology" else None


def _manifest_outputs(record: dict | None) -> dict[str, str]:
    outputs = record.get("outputs") if record else None
    if not isinstance(outputs, dict):
        return {}
    return {n: s for n, s in outputs.items() if isinstance(n, str) and plain_name(n) and isinstance(s, str)}


def _unchanged(folder: Path, name: str, sums: set[str]) -> bool:
    path = folder / name
    if path.is_symlink() or not path.is_file():
        return False
    try:
        return sha256(path) in sums
    except OSError:
        return False


def written_files(folder: Path, *, warn: bool = False) -> set[str] | None:
    """The files of a run folder that the tool wrote and nobody changed since; None when it is no run folder.

    A file counts only if the marker names it plainly and its checksum is one the tool recorded
    (in the marker, or for a marker line without one, in the manifest's ``outputs``). A folder
    written before markers existed is recognised by its manifest (``"tool": "typology"``); of its
    files, only the outputs that manifest records (with their checksums) and the manifest count.
    """
    lines = _marker_lines(folder)
    record = _manifest(folder)
    if lines is None and record is None:
        return None
    recorded = _marker_entries(folder, lines, warn) if lines is not None else \
        {**{n: set() for n in _manifest_outputs(record)}, "manifest.json": set()}
    sums = _manifest_outputs(record)
    ours = set()
    for name, listed in recorded.items():
        if not listed and name in sums:
            listed = {sums[name]}
        if listed and _unchanged(folder, name, listed):
            ours.add(name)
        elif not listed and name == "manifest.json" and record is not None:
            ours.add(name)  # the manifest records no checksum of itself; it says it is the tool's
    return ours


def _marker_text(folder: Path, names: list[str], earlier: dict[str, set[str]] | None = None) -> str:
    lines = [f"file {n} {sha256(folder / n)}\n" for n in names]
    lines += [f"file {n} {s}\n" for n, sums in sorted((earlier or {}).items()) for s in sorted(sums)]
    return ("typology run folder: the tool wrote the files listed here (with their SHA-256) and may replace or "
            "remove them while they are unchanged; it leaves every other file alone\n" + "".join(lines))


def _out_path(path: Path, what: str) -> Path:
    """``path`` made absolute; a symbolic link is followed (the run goes into its target), never replaced."""
    path = Path(os.path.abspath(path))
    if any(not c.isprintable() for c in str(path)):
        raise OutDirError(f"{what} {_escaped(str(path))}: the path holds a control character (a line break, a tab, "
                          "...); give a plain path")
    if path.is_symlink():
        if not path.exists():
            raise OutDirError(f"{what} {path}: a broken symbolic link; give a folder")
        path = Path(os.path.realpath(path))
    return path


def claim_out_dir(path: Path, *, force: bool = False) -> Path:
    """Check that the tool may write a run folder at ``path``; return it as an absolute path.

    Allowed: a new path, an empty folder, or an earlier run folder (its marker present). Any
    other folder is refused unless ``force``; even then only the tool's own files are replaced.
    A regular file is always refused: it cannot hold a run folder. A symbolic link is followed.
    An earlier run that a killed swap left in a hidden ``.old`` folder is put back first.
    """
    path = _out_path(path, "--out")
    recover_swap(path)
    if path.exists() and not path.is_dir():
        raise OutDirError(f"--out {path}: is a file, not a folder; give a new folder, an empty one or an "
                          "earlier run folder")
    if path.is_dir() and not force and written_files(path, warn=True) is None:
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


def _dead_temporary(tmp: Path) -> bool:
    """A temporary folder of the tool whose process is gone."""
    if not tmp.is_dir() or tmp.is_symlink():
        return False
    lines = _marker_lines(tmp) or []
    pid = next((int(x[4:]) for x in lines if x.startswith("pid ") and x[4:].isdigit()), None)
    return pid is not None and not _pid_alive(pid)


def recover_swap(path: Path) -> None:
    """Put back an earlier run that a run killed between the two renames of its swap left in ``.NAME.old.*``.

    When ``path`` exists again the swap finished (the new run is in place) and the old copy is the
    superseded run, which the killed run was about to remove.
    """
    for old in sorted(path.parent.glob(f".{path.name}.old.*")):
        if not _dead_temporary(old):
            continue
        prev = old / "prev"
        if prev.is_dir() and not prev.is_symlink() and not os.path.lexists(path):
            os.replace(prev, path)
            warnings.warn(f"--out {path}: put back the earlier run, which a run stopped during its folder swap had "
                          f"left in {old.name}", stacklevel=2)
        shutil.rmtree(old, ignore_errors=True)


def _remove_stale(path: Path) -> None:
    """Temporary folders of earlier runs into ``path`` that were killed before they finished."""
    recover_swap(path)
    for tmp in path.parent.glob(f".{path.name}.run.*"):
        if _dead_temporary(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


def _new_dir_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


def _write_marker(folder: Path, text: str) -> None:
    with atomic_file(folder / MARKER) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextmanager
def atomic_dir(path: Path, *, force: bool = False) -> Iterator[Path]:
    """Build a whole output folder in a sibling temp folder and put it in place at the end.

    A failed run leaves the previous folder (if any) untouched and no partial one. A new folder
    or an earlier run folder that holds only the tool's files is swapped in whole (a kill between
    the swap's two renames leaves the earlier run in ``.NAME.old.*``, which the next run puts
    back). Into any other folder (an earlier run folder where someone added or changed files, or
    a foreign folder with ``force``) the run's files are moved one by one, each atomically, and
    the tool's unchanged files of the earlier run that this run did not write are removed; every
    other file is left as it was. A file of someone else's with the name of an output is never
    replaced: the run stops first.
    """
    path = claim_out_dir(path, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.run.", dir=path.parent))
    (tmp / MARKER).write_text(f"typology temporary folder\npid {os.getpid()}\n", encoding="utf-8")
    try:
        yield tmp
        names = sorted(p.name for p in tmp.iterdir() if p.name != MARKER)
        (tmp / MARKER).write_text(_marker_text(tmp, names), encoding="utf-8")
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
            raise OutDirError(f"--out {path}: {clash[0]!r} there was not written by the tool (or was changed since) "
                              "and has the name of an output; move it away or choose another folder")
        # Until the last file is in place, the marker lists the earlier run's checksums too, so that a
        # kill half way leaves every file of the tool recognisable as the tool's.
        earlier = {n: {sha256(path / n)} for n in ours if n != MARKER}
        _write_marker(path, _marker_text(tmp, names, earlier))
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


FILES_MARKER = ".typology-files"  # beside files the tool writes outside a run folder: their names and SHA-256


def _files_record(folder: Path) -> dict[str, set[str]]:
    return _marker_entries(folder, _marker_lines_of(folder / FILES_MARKER) or [], warn=False)


def claim_file(path: Path, *, force: bool = False, what: str = "--out") -> Path:
    """Check that the tool may write the single file ``path`` (a ``fetch`` table, a list beside a run folder).

    The one rule for every single file the tool writes: a new path, or a file the tool wrote
    there and nobody changed since (recorded in the folder's ``.typology-files``), may be
    replaced; any other file only with ``force``. A symbolic link is followed. Returns the
    absolute path.
    """
    path = _out_path(path, what)
    if path.is_dir():
        raise OutDirError(f"{what} {path}: is a folder; give a file name")
    if path.exists() and not force and not owned_file(path):
        raise OutDirError(f"{what} {path}: the file exists and was not written by the tool (or was changed since); "
                          "move it away or choose another name, or add --force to replace it")
    return path


def owned_file(path: Path) -> bool:
    """``path`` is a file the tool wrote (recorded in the folder's ``.typology-files``) and nobody changed."""
    sums = _files_record(path.parent).get(path.name)
    return bool(sums) and _unchanged(path.parent, path.name, sums)


def record_owned(path: Path) -> None:
    """Record ``path``, just written by the tool, with its checksum in the folder's ``.typology-files``."""
    record = _files_record(path.parent)
    record[path.name] = {sha256(path)}
    text = "typology files: the tool wrote the files listed here and may replace them while they are unchanged\n"
    text += "".join(f"file {n} {s}\n" for n, sums in sorted(record.items()) for s in sorted(sums))
    with atomic_file(path.parent / FILES_MARKER) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextmanager
def owned_write(path: Path, *, force: bool = False, what: str = "--out") -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` on success, after ``claim_file``; then record it."""
    path = claim_file(path, force=force, what=what)
    with atomic_file(path) as tmp:
        yield tmp
    record_owned(path)


def write_owned_csv(frame: pd.DataFrame, path: Path, *, force: bool = False, bom: bool = True,
                    what: str = "--out") -> Path:
    """``write_csv`` to a file outside a run folder, after ``claim_file``; its checksum is recorded."""
    path = claim_file(path, force=force, what=what)
    write_csv(frame, path, bom=bom)
    record_owned(path)
    return path


def remove_owned(path: Path) -> None:
    """Delete ``path`` only if it is a file the tool wrote and nobody changed since."""
    if path.is_file() and not path.is_symlink() and owned_file(path):
        path.unlink()
