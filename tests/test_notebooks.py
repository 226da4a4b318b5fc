"""The planner notebooks are stored without outputs and run top to bottom in this environment."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from typology import paths

NOTEBOOKS = sorted((paths.ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "python3"  # the ipykernel installed in this environment (jupyter_client runs it with sys.executable)


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=600, resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def test_the_three_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_compare_regions.ipynb", "03_robustness.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear outputs before committing"
    assert nb.metadata["kernelspec"]["name"] == KERNEL


def test_kernel_is_this_environment(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.prefix)")])
    out = execute(nb, tmp_path).cells[0].outputs
    assert out and out[0]["text"].strip() == sys.prefix


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path):
    nb = execute(nbformat.read(path, as_version=4), path.parent)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    # The charts render as images, not as a bare repr.
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name}: no chart was displayed"


FONT_PROBE = r'''
import io, json, sys, warnings
from matplotlib import font_manager
from typology.render.fonts import covers_hangul, hangul_font_path
from pathlib import Path

# A font cache as on a machine with no Hangul font: every system font that has Hangul is dropped.
mgr = font_manager.fontManager
mgr.ttflist = [f for f in mgr.ttflist if not covers_hangul(Path(f.fname))]
left = len(mgr.ttflist)

from typology.api.loaders import from_folder

res = from_folder(Path(sys.argv[1]))
figures = [res.compare(["전주시", "순천시", "서울 중구"], lang="ko").figure, res.plot(lang="ko"),
           res.plot("composite", lang="ko")]
families = set()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for fig in figures:  # drawn after the chart call returned, as a notebook displays it
        fig.savefig(io.BytesIO(), format="png")
        for text in fig.findobj(lambda a: hasattr(a, "get_fontproperties") and hasattr(a, "get_text")):
            if any("\uac00" <= ch <= "\ud7a3" for ch in text.get_text()):
                families.add(font_manager.findfont(text.get_fontproperties(), fallback_to_default=False))
print(json.dumps({"left": left, "warnings": [str(w.message) for w in caught], "fonts": sorted(families),
                  "bundled": str(hangul_font_path())}))
'''


def test_charts_render_hangul_without_a_system_hangul_font(default_run_folder, tmp_path):
    """A fresh matplotlib cache in a process of its own, with every system Hangul font removed from it:
    the notebook charts still draw Hangul, with the bundled NanumGothic, and matplotlib warns of no
    missing glyph."""
    import json
    import os
    import subprocess

    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-c", FONT_PROBE, str(default_run_folder)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["left"] > 0  # the cache still has fonts (DejaVu), just none with Hangul
    assert not [w for w in out["warnings"] if "missing from font" in w or "Glyph" in w], out["warnings"][:3]
    assert out["fonts"] == [out["bundled"]] and out["bundled"].endswith("NanumGothic.ttf")
    assert "koreanize_matplotlib" in out["bundled"]  # the wheel's copy, not a system font
