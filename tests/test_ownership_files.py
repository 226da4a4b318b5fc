"""The one rule for a single file the tool writes (core.ownership): its own may be replaced, any other needs force."""

from __future__ import annotations

import pytest

from typology.core.ownership import FILES_MARKER, OutDirError, owned_file, owned_write


def _write(path, text, **kw):
    with owned_write(path, **kw) as tmp:
        tmp.write_text(text, encoding="utf-8")


def test_owned_write_records_replaces_its_own_and_refuses_the_rest(tmp_path):
    path = tmp_path / "a.json"
    _write(path, "one")
    assert owned_file(path) and f"file {path.name} " in (tmp_path / FILES_MARKER).read_text(encoding="utf-8")
    _write(path, "two")  # the tool's own, unchanged: replaced without force
    assert path.read_text(encoding="utf-8") == "two" and owned_file(path)
    path.write_text("edited", encoding="utf-8")
    with pytest.raises(OutDirError, match=r"a\.json: the file exists and was not written by the tool.*--force"):
        _write(path, "three")
    assert path.read_text(encoding="utf-8") == "edited" and not owned_file(path)
    _write(path, "four", force=True)
    assert path.read_text(encoding="utf-8") == "four" and owned_file(path)


def test_a_failed_write_keeps_the_file_and_its_record(tmp_path):
    path = tmp_path / "a.json"
    _write(path, "one")
    with pytest.raises(RuntimeError):
        with owned_write(path) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("stopped")
    assert path.read_text(encoding="utf-8") == "one" and owned_file(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILES_MARKER, "a.json"]  # no temporary left
