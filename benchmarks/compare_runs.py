"""Prove a change leaves every run folder the same: run configs at two revisions and compare files.

    python benchmarks/compare_runs.py BEFORE_REV [--after REV] [--config default kmeans ...] [--uncertainty N]

Each revision is checked out into a temporary git worktree and run with this interpreter (the
installed dependencies are shared; the package is imported from the worktree). Every file of
every run folder is compared byte for byte. ``manifest.json`` may differ only where its own
content says where the run happened: the absolute path of the checkout, which is replaced by
``<root>`` before comparing, and (for revisions that still had it) the ``key_order`` entry of
the config step, which recorded the key order a sorted manifest lost. The script prints one
line per file that differs and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def checkout(rev: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(where), rev], check=True)
    return where


def run(tree: Path, args: list[str], out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-m", "typology", *args, "--out", str(out)], cwd=tree, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{tree}: typology {' '.join(args)} failed:\n{done.stderr}")


def manifest_view(path: Path, root: Path) -> object:
    data = json.loads(path.read_text(encoding="utf-8").replace(str(root), "<root>"))
    for step in data.get("steps", []):
        if step.get("step") == "config":
            step.pop("key_order", None)
            step.pop("file", None)
    # Key order is compared separately from values: the old writer sorted keys.
    return json.loads(json.dumps(data, sort_keys=True))


def compare(before: Path, after: Path, roots: tuple[Path, Path]) -> list[str]:
    diffs = []
    names = sorted({p.name for p in before.iterdir()} | {p.name for p in after.iterdir()})
    for name in names:
        a, b = before / name, after / name
        if not a.exists() or not b.exists():
            diffs.append(f"{name}: only in {'after' if b.exists() else 'before'}")
        elif name == "manifest.json":
            if manifest_view(a, roots[0]) != manifest_view(b, roots[1]):
                diffs.append(f"{name}: content differs")
        elif a.read_bytes() != b.read_bytes():
            diffs.append(f"{name}: bytes differ")
    return diffs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("--after", default=None, help="a revision (default: the working tree)")
    parser.add_argument("--config", nargs="+", default=["default", "kmeans", "skater", "quadrants"])
    parser.add_argument("--uncertainty", type=int, default=60, help="replicates of one uncertainty run (0: none)")
    args = parser.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        trees = [checkout(args.before, tmp / "before"),
                 checkout(args.after, tmp / "after") if args.after else ROOT]
        try:
            jobs = [(c, ["run", f"configs/{c}.yaml"]) for c in args.config]
            if args.uncertainty:
                jobs.append(("uncertainty", ["uncertainty", "--n", str(args.uncertainty)]))
            for label, job in jobs:
                outs = [tmp / f"{side}-{label}" for side in ("before", "after")]
                for tree, out in zip(trees, outs):
                    run(tree, job, out)
                diffs = compare(*outs, roots=(trees[0], trees[1]))
                files = len(list(outs[0].iterdir()))
                print(f"{label}: {files} files, " + ("all identical" if not diffs else f"{len(diffs)} differ"))
                for d in diffs:
                    print(f"  {d}")
                failed += bool(diffs)
        finally:
            for tree in trees:
                if tree != ROOT:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
