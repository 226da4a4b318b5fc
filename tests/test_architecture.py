"""The package's shape: data flow one way through the stages, no import circles, small modules.

The stages, lowest first: the shared base (errors, paths, version), core, data, scoring,
typologies, validity, uncertainty, render, workflow, and on top the notebook API and the command line. A
module may import from its own stage and the stages below it, never above. Imports inside
functions count as well (a lazy import is still a dependency); imports under
``if TYPE_CHECKING:`` do not count for the stage order, since they never run, but they do for
circles: two modules that name each other's classes are tied together all the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from typology import paths

PACKAGE = paths.ROOT / "typology"
STAGES = ["base", "core", "data", "scoring", "typologies", "validity", "uncertainty", "render", "workflow", "api",
          "entry"]
BASE = {"errors", "paths", "_version"}
ENTRY = {"cli", "__main__", "__init__"}


def module_name(path: Path, package: Path | None = None) -> str:
    parts = list(path.relative_to((package or PACKAGE).parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def stage(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ENTRY:
        return "entry"
    if parts[1] in BASE:
        return "base"
    return parts[1]


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports_of(path: Path, known: set[str], type_checking: bool = False, package: Path | None = None) -> set[str]:
    """The package's modules that ``path`` imports at run time (top level or inside functions), and with
    ``type_checking`` also those it imports under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set() if type_checking else _type_checking_lines(tree)
    me = module_name(path, package)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known and m != me}


def import_graph(package: Path, type_checking: bool = False) -> dict[str, set[str]]:
    """Module → the package's modules it imports."""
    files = {module_name(p, package): p for p in package.rglob("*.py")}
    return {m: imports_of(p, set(files), type_checking, package) for m, p in files.items()}


def circles_in(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import circles, each as the modules around it (depth-first search; a back edge closes a circle)."""
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(m: str, trail: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph[m]):
            if t.startswith(f"{m}.") or m.startswith(f"{t}."):
                continue  # a package and its own modules: importing the package runs its __init__ only
            if state.get(t) == 1:
                circles.append(trail[trail.index(t):] + [t])
            elif t not in state:
                visit(t, [*trail, t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    return circles


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(PACKAGE)


def test_every_module_belongs_to_a_known_stage(graph):
    assert {stage(m) for m in graph} <= set(STAGES)


def test_no_module_imports_from_a_later_stage(graph):
    upward = [f"{m} ({stage(m)}) imports {t} ({stage(t)})" for m, targets in sorted(graph.items())
              for t in sorted(targets) if STAGES.index(stage(t)) > STAGES.index(stage(m))]
    assert not upward, "\n".join(upward)


def test_there_is_no_import_circle_not_even_through_type_checking_imports():
    circles = circles_in(import_graph(PACKAGE, type_checking=True))
    assert not circles, "\n".join(" → ".join(c) for c in circles)


def test_the_checker_finds_a_real_circle(tmp_path):
    # A tiny package of its own: a imports b at the top; b imports a inside a function (a lazy
    # import still ties them); c and d name each other only for type checking.
    root = tmp_path / "typology"
    (root / "data").mkdir(parents=True)
    for name in ("__init__.py", "data/__init__.py"):
        (root / name).write_text("", encoding="utf-8")
    (root / "data" / "a.py").write_text("from . import b\n", encoding="utf-8")
    (root / "data" / "b.py").write_text("def f():\n    from .a import g\n", encoding="utf-8")
    (root / "data" / "c.py").write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                                        "    from .d import D\n", encoding="utf-8")
    (root / "data" / "d.py").write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                                        "    from typology.data.c import C\n", encoding="utf-8")
    (root / "data" / "e.py").write_text("from . import a, c\n", encoding="utf-8")  # imports into them, no circle
    run_time = import_graph(root)
    assert run_time["typology.data.a"] == {"typology.data.b"} and run_time["typology.data.b"] == {"typology.data.a"}
    assert circles_in(run_time) == [["typology.data.a", "typology.data.b", "typology.data.a"]]
    assert circles_in(import_graph(root, type_checking=True)) == [
        ["typology.data.a", "typology.data.b", "typology.data.a"],
        ["typology.data.c", "typology.data.d", "typology.data.c"]]


def test_the_checker_sees_an_upward_import(tmp_path):
    # The stage check must be able to fail: a data module importing the renderer is caught.
    fake = tmp_path / "typology" / "data"
    fake.mkdir(parents=True)
    (fake / "x.py").write_text("def f():\n    from ..render import report\n", encoding="utf-8")
    found = imports_of(fake / "x.py", {"typology.data.x", "typology.render", "typology.render.report"},
                       package=tmp_path / "typology")
    assert found == {"typology.render.report"}
    assert STAGES.index(stage("typology.render.report")) > STAGES.index(stage("typology.data.x"))


def test_modules_stay_small():
    # At most 400 lines, every line counted (docstrings too), for every module without exception:
    # a longer module holds more than one idea.
    lines = {module_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    long = {m: n for m, n in lines.items() if n > 400}
    assert not long, long


def test_the_change_table_is_read_in_small_steps():
    # The administrative changes were read by one function of McCabe complexity 19; split along its
    # phases (merged 시도, recodes, part transfers, predecessors), no step is above 10. The package's C901
    # limit (pyproject.toml) is 12, so this module's lower one is checked here.
    import subprocess
    import sys

    pytest.importorskip("ruff")
    checked = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--select", "C901", "--config",
                              "lint.mccabe.max-complexity=10", "--output-format", "concise",
                              str(PACKAGE / "data" / "admin_changes.py")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
