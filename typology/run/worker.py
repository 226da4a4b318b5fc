"""One function run beside the main thread: in a forked process where that is safe, else in a thread.

The static maps are mostly Python (matplotlib's artists and layout), so in a thread they share the
GIL with the files written meanwhile and the run waits for them; a forked child draws them on the
second core. A fork needs nothing pickled on the way in (the child has the parent's memory) and
sends back only the bytes. It is used only on Linux, with more than one core to run on, and when
this process has no other thread (a thread holding a lock at the fork, as a Jupyter kernel's or a
server's may, would leave the child waiting on it for ever); elsewhere a thread does the same work
and the bytes are the same either way.

An exception in the child comes back as one ``TypologyError`` line: a ``TypologyError`` as itself,
anything else with its type and first line.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..errors import TypologyError

# Threads that only write progress to stderr, which the child never touches: typology's progress
# announcer and rich's refresh thread of a progress bar on a terminal.
_HARMLESS = ("typology-progress",)


def _harmless(thread: threading.Thread) -> bool:
    return (thread is threading.main_thread() or thread.name.startswith(_HARMLESS)
            or type(thread).__module__ == "rich.live")


def can_fork() -> bool:
    """Linux, more than one core for this process, and no other Python thread than progress output."""
    if not sys.platform.startswith("linux") or not all(_harmless(t) for t in threading.enumerate()):
        return False
    try:
        return len(os.sched_getaffinity(0)) > 1
    except (AttributeError, OSError):
        return (os.cpu_count() or 1) > 1


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    # Never the parent's streams (a progress thread may have held their lock at the fork), and no
    # exit handlers of the parent: the child ends with os._exit once it has answered.
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    warnings.simplefilter("ignore")
    try:
        answer: tuple[str, Any] = ("ok", fn(*args))
    except TypologyError as exc:
        answer = ("typology", str(exc))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent as one line
        first = (str(exc).strip().splitlines() or [""])[0]
        answer = ("error", f"{type(exc).__name__}: {first}" if first else type(exc).__name__)
    try:
        conn.send(answer)
        conn.close()
    finally:
        os._exit(0)


class Worker:
    """``fn(*args)`` started at once; ``result()`` waits for it. Use as a context manager, so that a
    run that fails before asking for the result does not leave the worker behind."""

    def __init__(self, what: str, fn: Callable[..., Any], *args: Any, fork: bool | None = None) -> None:
        self.what = what
        self._process: Any = None
        self._conn: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._future: Future[Any] | None = None
        if can_fork() if fork is None else fork:
            import multiprocessing

            context = multiprocessing.get_context("fork")
            self._conn, child_end = context.Pipe(duplex=False)
            for stream in (sys.stdout, sys.stderr):  # or the child would print the parent's buffer again
                stream.flush()
            self._process = context.Process(target=_child, args=(child_end, fn, args), daemon=True,
                                            name=f"typology-{what}")
            self._process.start()
            child_end.close()  # the parent's copy: the pipe then ends when the child does
        else:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"typology-{what}")
            self._future = self._pool.submit(fn, *args)

    def result(self) -> Any:
        if self._future is not None:
            return self._future.result()
        try:
            status, value = self._conn.recv()
        except EOFError:
            self._process.join()
            raise TypologyError(f"{self.what}: the process drawing them ended without an answer "
                                f"(exit code {self._process.exitcode}; out of memory?)") from None
        self._process.join()
        if status == "typology":
            raise TypologyError(value)
        if status != "ok":
            raise TypologyError(f"{self.what}: {value}")
        return value

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._conn.close()
