"""Writes that never leave a half-written file or folder behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


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


def write_csv(frame: pd.DataFrame, path: Path, *, bom: bool = False) -> None:
    """CSV with '\\n' line ends and fixed float text, so equal tables are equal bytes.

    ``bom`` writes UTF-8 with a byte-order mark, which Excel needs to show Hangul.
    """
    with atomic_file(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig" if bom else "utf-8",
                     lineterminator="\n", float_format="%.10g")


@contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Build a whole output folder in a sibling temp folder and swap it in at the end.

    A failed run leaves the previous folder (if any) untouched and no partial one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        old = None
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
            os.replace(path, old / "prev")
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
