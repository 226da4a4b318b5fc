"""One home for each thing: a constant, a rule or a class is defined once and imported from there.

A second definition drifts: EPSG:5179 under three names, two code-system tables, ranks taken
four ways. These tests read the package's source (AST, no import) and fail when one reappears.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from typology import paths
from typology.core.ranks import percentile_rank, rank, rank_rows

PACKAGE = paths.ROOT / "typology"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def module_of(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


TREES = {module_of(p): ast.parse(p.read_text(encoding="utf-8")) for p in SOURCES}
IS_PACKAGE = {module_of(p): p.name == "__init__.py" for p in SOURCES}


def top_level_names(tree: ast.Module) -> set[str]:
    """What a module defines itself (not what it imports)."""
    defined: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined.update(n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
    return defined


def absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if IS_PACKAGE.get(module) else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def assignments_of(value_test) -> list[str]:
    """Modules with a top-level assignment whose value passes ``value_test``."""
    found = []
    for module, tree in TREES.items():
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and value_test(node.value):
                found.append(module)
    return found


def test_the_projected_crs_is_defined_once():
    def epsg(value: ast.AST) -> bool:
        return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and "EPSG:" in n.value
                   for n in ast.walk(value))

    assert assignments_of(epsg) == ["typology.data.geometry"]
    numbers = [m for m, tree in TREES.items()
               for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value == 5179]
    assert numbers == [], f"EPSG code as a bare number in {numbers}; use data.geometry.METRIC_CRS"


def test_the_code_systems_are_one_table():
    homes = [m for m, tree in TREES.items() for node in tree.body
             if isinstance(node, (ast.Assign, ast.AnnAssign))
             and any(isinstance(t, ast.Name) and t.id == "CODE_SYSTEMS"
                     for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))]
    assert homes == ["typology.data.places"]


def test_contiguity_is_built_in_one_place():
    builders = sorted({m for m, tree in TREES.items() for n in ast.walk(tree)
                       if isinstance(n, ast.Attribute) and n.attr == "build_contiguity"})
    assert builders == ["typology.typologies.contiguity"]


def test_score_ranks_are_taken_in_one_place():
    # The tie rule ``method="min"`` (ties share the better rank) lives in core.ranks alone.
    takers = sorted({m for m, tree in TREES.items() for n in ast.walk(tree)
                     if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "rank"
                     and any(k.arg == "method" and isinstance(k.value, ast.Constant) and k.value.value == "min"
                             for k in n.keywords)})
    assert takers == ["typology.core.ranks"]


def test_nothing_is_imported_through_a_module_that_only_re_exports_it():
    # ``from .units import Place`` where ``units`` only imports Place: each name has one home to import
    # it from. The package root (typology.__init__) is the public surface and may gather names.
    defined = {m: top_level_names(tree) for m, tree in TREES.items()}
    through: list[str] = []
    for module, tree in TREES.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            source = absolute(module, node)
            if source not in defined or source == "typology":
                continue
            for alias in node.names:
                if alias.name not in defined[source] and f"{source}.{alias.name}" not in TREES:
                    through.append(f"{module}: {alias.name} from {source}")
    assert not through, through


@pytest.mark.parametrize("values, expected", [
    ([5.0, 9.0, 7.0, 7.0], [4, 1, 2, 2]),
    ([1.0, None, 1.0, 3.0], [2, None, 2, 1]),
])
def test_rank_gives_ties_the_better_rank_and_keeps_missing_missing(values, expected):
    got = rank(pd.Series(values, dtype=float))
    assert [None if pd.isna(v) else int(v) for v in got] == expected
    rows = rank_rows(pd.Series(values, dtype=float).to_numpy()[None, :])[0]
    assert [None if pd.isna(v) else int(v) for v in rows] == expected


def test_rank_can_put_the_lowest_first_and_missing_last():
    got = rank(pd.Series([0.3, None, 0.1, 0.1]), higher_first=False, missing_last=True)
    assert got.tolist() == [3, 4, 1, 1]


def test_percentile_rank_shares_the_mean_rank_of_a_tie():
    assert percentile_rank(pd.Series([1.0, 2.0, 2.0, 4.0, None])).tolist()[:4] == [25.0, 62.5, 62.5, 100.0]
