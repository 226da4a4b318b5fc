"""typology uncertainty on a Dask cluster through joblib's dask backend: the same tables as in one process.

Needs dask.distributed (in the test extra); skipped without it, except in CI (CI=true), where a
missing install is a failure.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import run_cli
from tests.test_uncertainty import csv, variant
from typology.uncertainty.analysis import analyse


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"dask test cannot run in CI: {exc}")
        pytest.skip(f"dask.distributed is not installed: {exc}")
    return distributed


SPEC = {"n": 40, "seed": 7, "typology": ["rules", "ward"], "k": [2, 3]}


def test_dask_cluster_gives_the_sequential_tables(default_run):
    distributed = _distributed()
    sequential = analyse(variant(default_run, {**SPEC, "backend": "sequential"}))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        on_dask = analyse(variant(default_run, {**SPEC, "backend": "dask", "scheduler": cluster.scheduler_address}))
        # The work reached the cluster's workers.
        with distributed.Client(cluster.scheduler_address) as client:
            assert sum(client.nthreads().values()) == 2
    for name in ("regions", "sensitivity", "replicates"):
        assert csv(getattr(on_dask, name)) == csv(getattr(sequential, name))
    assert set(on_dask.replicates["typology"]) == {"rules", "ward"}


def test_cli_backend_dask_starts_a_local_cluster(tmp_path):
    _distributed()
    out = tmp_path / "unc"
    proc = run_cli("uncertainty", "--n", "20", "--backend", "dask", "--out", str(out), "--set", "output.report=false",
                   "--set", "output.static_maps=false", "--set", "output.xlsx=false")
    assert proc.returncode == 0, proc.stderr
    assert "on dask" in proc.stdout
    assert (out / "uncertainty.csv").is_file()


def test_unreachable_scheduler_is_a_one_line_error(tmp_path):
    _distributed()
    proc = run_cli("uncertainty", "--n", "4", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o"),
                   "--set", "uncertainty.sensitivity.n=0")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "uncertainty.scheduler" in lines[0] and "tcp://127.0.0.1:9" in lines[0]
