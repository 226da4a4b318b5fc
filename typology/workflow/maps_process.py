"""The static maps drawn in a second Python process, on another core, while this one works.

The static maps (two PNGs and maps.pdf) are mostly Python (matplotlib's artists, layout and the
PDF's font subsetting): in a thread they share the GIL with everything else and the run waits
for them. A new interpreter (``subprocess``, not ``fork``: nothing of this process's threads or
locks is inherited, so it works the same on Linux, macOS, Windows and in a Jupyter kernel) is
started as the command line starts, when its command is ``run`` (``start_early``): before typer
parses the arguments (0.3 s, most of it importing pydantic) and before the config is read, while the
other core is idle; the run takes it (``claim``), or ends it at once if its config wants no static
maps. A run called otherwise (a notebook, ``write_run``) starts its own. While the run scores and
types, it does all the work that does not depend on the types: it imports matplotlib and geopandas,
reads the bundled geometry, simplifies the whole country's frames and turns them into paths, and
draws a small figure so that the backends, PIL, fontTools and the Hangul font are ready. It then waits for
the run's table and map layers (pickled through its stdin) and answers with the files' bytes
(pickled through its stdout). Its memory is its own: matplotlib never enters the main process.

Asked to (``draw(..., gpkg=True)``), it also writes scores.gpkg, after the maps, from the geometry
it has already read: GDAL then never enters the main process either. It answers with the file's
bytes, which the main process writes into the run folder with the other files.

Every failure is one line: an error in the child comes back as a ``TypologyError`` (a
``TypologyError`` as itself, anything else with its type and first line); a child that dies
without answering (killed, out of memory) is reported with its exit code. The child ends when
its stdin closes without a request, so a run that fails before asking leaves nothing behind;
``MapsProcess`` is a context manager that ends it in any case.
"""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import TypologyError, one_line

WHAT = "static maps"
# The child registers the typology package without running its __init__, which imports the whole
# pipeline (scipy, scikit-learn, statsmodels: 0.6 s and 80 MiB the maps do not use); the modules
# it imports are this package's own, found through the package's path.
_BOOT = ("import importlib.util, os, sys; package = sys.argv[1]; "
         "spec = importlib.util.spec_from_file_location('typology', os.path.join(package, '__init__.py'), "
         "submodule_search_locations=[package]); "
         "sys.modules['typology'] = importlib.util.module_from_spec(spec); "
         "from typology.workflow.maps_process import main; main()")


class MapsProcess:
    """A started maps process: ``draw(...)`` hands it the run's data, ``result()`` waits for the maps and
    ``gpkg()`` (if asked for) for scores.gpkg."""

    def __init__(self) -> None:
        package = str(Path(__file__).resolve().parents[1])  # this process's typology, wherever it lies
        # One BLAS/OpenMP thread: the maps need none, and spinning threads would take the core the run
        # itself computes on.
        env = {**os.environ, **dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")}
        self._proc = subprocess.Popen([sys.executable, "-c", _BOOT, package], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.seconds: float | None = None  # the child's own drawing time, once answered
        self.gpkg_seconds: float | None = None  # and its time writing scores.gpkg
        self.requested = self.gpkg_wanted = False

    def draw(self, table: Any, layers: list[Any], config: dict[str, Any], dpi: int, *, gpkg: bool = False) -> None:
        """Send what the maps are drawn from; the child starts drawing as soon as it has read it.
        ``gpkg``: also write scores.gpkg from ``table`` (then ask for it with ``gpkg()``)."""
        assert self._proc.stdin is not None
        self.requested, self.gpkg_wanted = True, gpkg
        try:
            self._proc.stdin.write(pickle.dumps((table, layers, config, dpi, gpkg), protocol=pickle.HIGHEST_PROTOCOL))
            self._proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # the child is gone: result() says how it ended

    def _answer(self, what: str) -> tuple[Any, float]:
        assert self._proc.stdout is not None
        try:
            answer = pickle.load(self._proc.stdout)
        except Exception:  # noqa: BLE001 - a child that ended, or was cut off mid-answer
            answer = None
        if not isinstance(answer, tuple) or not answer:
            code = self._proc.wait()
            raise TypologyError(f"{what}: the process drawing the static maps ended without an answer "
                                f"(exit code {code}; out of memory or killed?)")
        if answer[0] == "typology":
            raise TypologyError(answer[1])
        if answer[0] != "ok":
            raise TypologyError(f"{what}: {answer[1]}")
        return answer[1], answer[2]

    def result(self) -> dict[str, bytes]:
        """File name → bytes of map_type.png, map_dimensions.png and maps.pdf."""
        files, self.seconds = self._answer(WHAT)
        return files

    def gpkg(self) -> bytes:
        """scores.gpkg's bytes (asked for with ``draw(..., gpkg=True)``; after ``result()``)."""
        data, self.gpkg_seconds = self._answer("scores.gpkg")
        return data

    def close(self) -> None:
        """End the child if it still runs (a run that failed or did not ask) and release its pipes."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()

    def __enter__(self) -> MapsProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_early: MapsProcess | None = None  # started by start_early, not yet claimed


def start_early(args: list[str]) -> None:
    """Start the maps process now if ``args`` (the command line's, without the program) are those of
    ``typology run``, not its help: ``claim`` then takes it, and ``end_early`` ends it if nothing did.

    Parameters
    ----------
    args : list of str
        The command line's arguments, ``sys.argv[1:]``.
    """
    global _early
    if _early is None and args[:1] == ["run"] and not {"--help", "-h"} & set(args):
        _early = MapsProcess()


def claim(wanted: bool) -> MapsProcess | None:
    """The maps process for a run: the one ``start_early`` started, or a new one; None if not ``wanted``
    (the config asks for no static maps), and then the early one is ended.

    Parameters
    ----------
    wanted : bool
        Whether the run draws static maps.

    Returns
    -------
    MapsProcess or None
        A started maps process, which the caller ends (``close``).
    """
    global _early
    early, _early = _early, None
    if not wanted:
        if early is not None:
            early.close()
        return None
    return early if early is not None else MapsProcess()


def end_early() -> None:
    """End the process ``start_early`` started if no run claimed it (the command failed before)."""
    claim(False)


def _serve(request: list[bytes], reader: threading.Thread, answer: Callable[[tuple[Any, ...]], None]) -> None:
    # Everything that does not depend on the run's types first, while the parent is still scoring:
    # imports, the geometry, the whole country's simplified frames and paths, the backends and fonts.
    from ..data.geometry import attach, gpkg_bytes, load_sido_geometry, load_unit_geometry
    from ..render.static_maps import FigureFrames, frame_for, warm_up
    from ..render.static_split import render_split

    every, sido = load_unit_geometry(), load_sido_geometry()
    country = FigureFrames.of(frame_for(every.assign(name=""), sido))
    warm_up(draw=reader.is_alive)  # the small drawing only while the request is not here yet
    gc.freeze()  # all of the above lives until the process ends: no full collection need walk it again
    reader.join()
    if not request or not request[0]:
        return  # the parent closed the pipe without a request: nothing to draw
    table, layers, config, dpi, gpkg = pickle.loads(request[0])
    started = time.perf_counter()
    geo = attach(table, every)
    if table["code"].tolist() == every["code"].tolist():
        # The whole country in the geometry's order: the frames frame_for would make, but for the names.
        frames = country.named(geo["name"])
    else:
        # A scoped run (units.scope) shows the rest of Korea in grey around its units.
        context = every if len(geo) < len(every) else None
        frames = FigureFrames.of(frame_for(geo, sido, context))
    answer(("ok", render_split(frames, layers, config, dpi), time.perf_counter() - started))
    if gpkg:  # after the maps, which the parent waits for first (its report shows one)
        started = time.perf_counter()
        answer(("ok", gpkg_bytes(geo), time.perf_counter() - started))


def main() -> None:
    """The child: read one request from stdin, answer on stdout (nothing else is ever written there)."""
    answer_to = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the answer
    request: list[bytes] = []
    # Read the request as soon as it comes, so the parent never waits on a full pipe.
    reader = threading.Thread(target=lambda: request.append(sys.stdin.buffer.read()), daemon=True)
    reader.start()

    def answer(message: tuple[Any, ...]) -> None:
        answer_to.write(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        answer_to.flush()  # the parent goes on as soon as it has the maps

    with answer_to:
        try:
            _serve(request, reader, answer)
        except TypologyError as exc:
            answer(("typology", str(exc)))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent as one line
            answer(("error", one_line(exc)))
    gc.freeze()  # as the command line's main(): no last collection of every object at exit, which the parent waits for
