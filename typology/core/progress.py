"""Progress of the long steps: Monte Carlo replicates, bootstrap, panels, fetch, build-data.

The steps only say what they are doing (``task``, ``track``); where that goes is chosen once by
the caller, so a step never decides whether it is on a terminal:

- ``bar``: a rich progress bar on stderr, for a person at a terminal;
- ``lines``: one plain line when a step has run for ``LINES_AFTER`` seconds and one when it ends,
  on stderr, for logs and CI (a bar redrawn in a log file is unreadable);
- ``off``: nothing. The library's default, so notebooks and tests see no output they did not ask
  for; the command line picks ``bar`` or ``lines`` (``auto_mode``), or ``off`` with ``--quiet``.

Work done in worker processes reports through the parent: the parent advances the bar as
results come back.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO, TypeVar

T = TypeVar("T")
MODES = ("off", "lines", "bar")
_state: dict[str, Any] = {"mode": "off", "bar": None}
# ``lines``: a step says it started only once it has run this long (seconds), and then says when it ended.
LINES_AFTER = 2.0


def configure(mode: str) -> None:
    """Where progress goes from now on in this process: one of ``MODES``."""
    if mode not in MODES:
        raise ValueError(f"progress mode {mode!r}; expected one of {', '.join(MODES)}")
    _state["mode"] = mode


def current_mode() -> str:
    return _state["mode"]


def auto_mode(quiet: bool = False, stream: TextIO | None = None) -> str:
    """``off`` when quiet, ``bar`` when ``stream`` (default stderr) is a terminal, else ``lines``."""
    if quiet:
        return "off"
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return "bar" if isatty is not None and isatty() else "lines"


def _ignore(n: int = 1) -> None:
    return None


@contextmanager
def _announced(text: str) -> Iterator[threading.Event]:
    """Write ``text`` once the step has run ``LINES_AFTER`` seconds. A quick step, and a bad input that
    fails at once, leave no line: an error stays the one line on stderr."""
    shown, lock = threading.Event(), threading.Lock()

    def announce() -> None:
        with lock:
            shown.set()
            _line(text)

    timer = None
    if LINES_AFTER <= 0:
        announce()
    else:
        timer = threading.Timer(LINES_AFTER, announce)
        timer.daemon = True
        timer.start()
    try:
        yield shown
    finally:
        if timer is not None:
            timer.cancel()
        lock.acquire()  # an announcement under way finishes before the step's end is reported
        lock.release()


def _line(text: str) -> None:
    # sys.stderr looked up at each call: a test (or a caller) may have replaced it.
    print(text, file=sys.stderr, flush=True)


def _count(done: float, total: float, unit: str) -> str:
    # A count only where there are parts to count: one step shows its spinner and elapsed time.
    return f"{int(done)}/{int(total)} {unit}".rstrip() if total > 1 else ""


def _advance(bar: Any, task_id: Any, n: int, unit: str) -> None:
    bar.advance(task_id, n)
    state = next(t for t in bar.tasks if t.id == task_id)
    bar.update(task_id, count=_count(state.completed, state.total or 0, unit))


class _Quarters:
    """``advance`` in ``lines`` mode: a line at each quarter of a counted step, once it has been announced."""

    def __init__(self, label: str, total: int, unit: str, shown: threading.Event) -> None:
        self.label, self.total, self.unit, self.shown = label, total, unit, shown
        self.done = self.quarter = 0

    def __call__(self, n: int = 1) -> None:
        self.done += n
        quarter = 4 * self.done // self.total
        if quarter > self.quarter and self.done < self.total and self.shown.is_set():
            _line(f"{self.label}: {self.done}/{self.total} {self.unit}".rstrip())
        self.quarter = max(self.quarter, quarter)


@contextmanager
def task(label: str, total: int, unit: str = "") -> Iterator[Callable[[int], None]]:
    """A step of ``total`` units of work; yields ``advance(n=1)`` to call as units finish."""
    mode = _state["mode"]
    if mode == "off" or total <= 0:
        yield _ignore
        return
    started = time.perf_counter()
    if mode == "lines":
        with _announced(f"{label}: {' '.join(filter(None, [str(total), unit]))} …" if total > 1 or unit
                        else f"{label} …") as shown:
            yield _Quarters(label, total, unit, shown)
        if shown.is_set():
            _line(f"{label}: done in {time.perf_counter() - started:.1f} s")
        return
    if _state["bar"] is not None:
        # A step inside a step (a panel year's bootstrap): one more row in the bar already shown,
        # since rich allows one live display at a time.
        bar = _state["bar"]
        task_id = bar.add_task(label, total=total, count=_count(0, total, unit))
        try:
            yield lambda n=1: _advance(bar, task_id, n, unit)
        finally:
            bar.remove_task(task_id)
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(file=sys.stderr)
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[count]}"),
                   TimeElapsedColumn(), console=console)
    with bar:
        _state["bar"] = bar
        try:
            task_id = bar.add_task(label, total=total, count=_count(0, total, unit))
            yield lambda n=1: _advance(bar, task_id, n, unit)
        finally:
            _state["bar"] = None


@contextmanager
def step(label: str) -> Iterator[None]:
    """One piece of work without parts to count (writing the outputs): its start, elapsed time and end."""
    with task(label, 1) as advance:
        yield
        advance(1)


def track(items: Iterable[T], label: str, total: int | None = None, unit: str = "") -> Iterator[T]:
    """``items`` one by one, advancing a step's progress after each."""
    if total is None:
        items = list(items)
        total = len(items)
    with task(label, total, unit) as advance:
        for item in items:
            yield item
            advance(1)
