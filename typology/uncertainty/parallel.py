"""Run independent tasks through joblib, on the backend the config names.

- ``loky`` (default): worker processes on this machine, ``n_jobs`` of them (−1 = every core);
- ``threading``: threads in this process (NumPy releases the GIL for part of the work);
- ``sequential``: one after the other in this process, for debugging and timing;
- ``dask``: a Dask cluster through joblib's dask backend. ``scheduler`` is the address of a
  running scheduler (``tcp://host:8786``); without one, a local cluster is started for the run.
  Every worker needs the same typology version installed (the tasks refer to its functions).

The tasks are pure functions of their arguments, so every backend gives the same results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..core import progress
from ..errors import TypologyError

DASK_HINT = "install it with: pip install 'typology[dask]' (dask and distributed)"


@contextmanager
def _dask_client(scheduler: str | None) -> Iterator[Any]:
    try:
        from dask.distributed import Client
    except ImportError:
        raise TypologyError(f"config key uncertainty.backend: dask is not installed; {DASK_HINT}") from None
    try:
        client = Client(scheduler, timeout="5s") if scheduler else Client(processes=False)
    except OSError as exc:
        raise TypologyError(f"config key uncertainty.scheduler: cannot reach the Dask scheduler {scheduler!r} "
                            f"({exc})") from None
    try:
        yield client
    finally:
        client.close()


def chunks(rows: int, parallel: int, per_worker: int = 4) -> list[tuple[int, int]]:
    """Split ``rows`` into about ``per_worker`` chunks per worker: few enough that the shared data are sent
    a handful of times, enough that a slow chunk does not hold up the rest."""
    count = max(1, min(rows, parallel * per_worker if parallel > 1 else 1))
    edges = [round(i * rows / count) for i in range(count + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def run_chunked(func: Callable[[Any, int, int], Any], shared: Any, rows: int, backend: str, n_jobs: int = -1,
                scheduler: str | None = None, label: str | None = None, unit: str = "") -> list[Any]:
    """``[func(shared, start, stop) for each chunk of range(rows)]``, in order, on ``backend``.

    With a ``label``, the rows done are shown as progress (``core.progress``) as chunks come back.
    """
    from joblib import Parallel, delayed, effective_n_jobs, parallel_config

    if backend == "dask":
        # Connected before the progress starts: a scheduler that cannot be reached is one error line.
        with _dask_client(scheduler) as client, parallel_config(backend="dask"):
            parts = chunks(rows, sum(client.nthreads().values()) or 1)
            with progress.task(label or "", rows if label else 0, unit) as advance:
                # Results come back in order as a generator, so the bar moves while workers run.
                done = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(func)(shared, a, b) for a, b in parts)
                return [_done(out, advance, b - a) for out, (a, b) in zip(done, parts)]
    with progress.task(label or "", rows if label else 0, unit) as advance:
        if backend == "sequential":
            return [_done(func(shared, a, b), advance, b - a) for a, b in chunks(rows, 1)]
        parts = chunks(rows, effective_n_jobs(n_jobs))
        done = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator")(
            delayed(func)(shared, a, b) for a, b in parts)
        return [_done(out, advance, b - a) for out, (a, b) in zip(done, parts)]


def _done(out: Any, advance: Callable[[int], None], n: int) -> Any:
    advance(n)
    return out
