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
