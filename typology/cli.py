"""Command line: ``typology run``, ``typology uncertainty``, ``typology rebuild``, ``typology build-data``,
``typology fetch``.

A ``TypologyError`` becomes one line on stderr and exit code 2; nothing else is caught, so
a real bug still shows its traceback.
"""

from __future__ import annotations

import gc
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from . import paths
from ._version import __version__
from .core import progress
from .errors import TypologyError

try:  # newer typer carries its own copy of click, whose exceptions are not click's
    from typer import _click as _clk
except ImportError:  # pragma: no cover - typer before it vendored click
    import click as _clk

_NO_ARGS = getattr(_clk.exceptions, "NoArgsIsHelpError", ())
# typer's own copy of click has no Abort; an except clause naming a missing attribute would turn
# every other exception into an AttributeError, so look it up once ( () matches nothing).
_ABORT = getattr(_clk.exceptions, "Abort", None) or getattr(_clk, "Abort", ())


class _NoFlagTypes:
    """typer shows each parameter's Python type beside it (``--help <bool>``, ``config <path>``): a flag
    takes no value, so it shows none, options name their value with a metavar (``--out DIR``), and an
    argument's name and help say what it is."""

    def get_params(self, ctx: typer.Context) -> list:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if isinstance(param, TyperArgument):
                param.display_type_rich = _no_type  # typer reads no metavar for an argument's type column
            elif getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


def _no_type(ctx: typer.Context) -> None:
    return None


class _Command(_NoFlagTypes, TyperCommand):
    pass


class _Group(_NoFlagTypes, TyperGroup):
    def main(self, *args: object, standalone_mode: bool = True, **kwargs: object) -> object:
        """A usage error (unknown option, missing argument, a value of the wrong type) is one line,
        ``error: ...`` and exit code 2, like the tool's own errors, not typer's framed box."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except _NO_ARGS:
            return super().main(*args, **kwargs)  # the help, as before
        except _clk.exceptions.UsageError as exc:
            where = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
            typer.echo(f"error: {' '.join(exc.format_message().split())}{where}", err=True)
            sys.exit(2)
        except _clk.exceptions.ClickException as exc:
            typer.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
            sys.exit(exc.exit_code)
        except _ABORT:
            typer.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(add_completion=False, no_args_is_help=True, cls=_Group,
                  help="Regional social-innovation typology for Korean local governments "
                       "(지역맞춤형 사회혁신 유형화).")
command = app.command


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"typology {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Regional social-innovation typology for Korean local governments (지역맞춤형 사회혁신 유형화)."""
    # A command's progress mode ends with it: a caller that runs commands in-process (the tests, a
    # notebook) goes back to the library's silence.
    ctx.call_on_close(lambda: progress.configure("off"))


Config = Annotated[Path | None, typer.Argument(help="YAML config (default configs/default.yaml)",
                                               show_default=False)]
Overrides = Annotated[list[str] | None, typer.Option("--set", metavar="KEY=VALUE",
                                                     help="override a config value; repeat for several")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="no progress on stderr (the summary is still printed)")]


def _progress(quiet: bool) -> None:
    """A bar on a terminal, one line per step in a log, nothing with --quiet (see core.progress)."""
    progress.configure(progress.auto_mode(quiet))


def _fail(exc: TypologyError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code=2)


def _cannot_write(exc: OSError, target: Path | None) -> None:
    # A read-only parent, a full disk, a name too long, a busy file: one line, not a traceback.
    # The run folder is written through a temporary folder that is removed on failure.
    where = exc.filename or target
    _fail(TypologyError(f"cannot write {where}: {exc.strerror or exc}"))


def _claim(path: Path, force: bool) -> Path:
    """``claim_out_dir``, its warnings (an ignored marker line, an earlier run put back) as plain lines."""
    from .core.ownership import claim_out_dir

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        target = claim_out_dir(path, force=force)
    for warning in caught:
        typer.echo(f"warning: {warning.message}", err=True)
    return target


Force = Annotated[bool, typer.Option("--force", help="write into a folder that holds files the tool did not write "
                                                     "(they are kept; only the run's own files are replaced)")]


@command(cls=_Command)
def run(
    config: Config = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="DIR", help="output folder (default out/<config name>/)")]
    = None,
    set_: Overrides = None,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Score, type and map every local government; write the run folder."""
    from .core.config import load_config
    from .workflow.maps_process import claim

    _progress(quiet)
    started = time.perf_counter()
    target = maps = None
    try:
        cfg = load_config(config or paths.DEFAULT_CONFIG, set_ or [])
        # Refused before the run, not after it: --out must be new, empty or an earlier run folder.
        target = _claim(out or Path(cfg["output"]["dir"] or Path("out") / cfg["name"]), force)
        # Started (by main(), or now) before the pipeline's modules are imported (pandas, scipy, …), so
        # that the maps process's own start-up overlaps them on the other core; ended below, used or not.
        maps = claim(cfg["output"]["static_maps"] is True)
        from .core.ownership import OutDirError, remove_owned, write_owned_csv
        from .data.load import UnmatchedRowsError
        from .workflow.outputs import draw_maps, write_run
        from .workflow.pipeline import run as run_pipeline
        from .workflow.summary import run_lines
        if _WHOLE_PROCESS:  # these modules live as long as the process: no full collection need walk them
            gc.freeze()
        # A failed run writes no run folder, so rows that stopped it are listed beside it.
        side = target.parent / f"{target.name}.unmatched.csv"
        try:
            # Warnings (e.g. how islands are joined for a spatial method) are part of the
            # result: printed as plain lines, not as Python's file:line warning format.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = run_pipeline(cfg, on_typed=None if maps is None else lambda r: draw_maps(maps, r))
            for warning in caught:
                typer.echo(f"warning: {warning.message}", err=True)
        except UnmatchedRowsError as exc:
            try:  # never over a file of someone else's that has this name
                write_owned_csv(exc.unmatched, side, force=force)
            except OutDirError:
                raise TypologyError(f"{exc.summary}; the {len(exc.unmatched)} rows set aside are not listed in "
                                    f"{side}: a file the tool did not write has that name") from None
            raise TypologyError(f"{exc.summary}; all {len(exc.unmatched)} rows set aside are listed in {side}") \
                from None
        with progress.step("출력 쓰기 writing outputs"):
            write_run(result, target, force=force, maps=maps)
        remove_owned(side)  # it described an earlier failed run of this folder (only if the tool wrote it)
    except TypologyError as exc:
        _fail(exc)
        return
    except OSError as exc:
        _cannot_write(exc, target)
        return
    finally:
        if maps is not None:
            maps.close()
    for line in run_lines(result, target):
        typer.echo(line)
    typer.echo(f"wrote {target}/ in {time.perf_counter() - started:.1f} s")


@command(cls=_Command)
def uncertainty(
    config: Config = None,
    n: Annotated[int | None, typer.Option("--n", metavar="N", help="replicates (default uncertainty.n)")] = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="DIR",
                                             help="output folder (default out/<config name>-uncertainty/)")] = None,
    set_: Overrides = None,
    backend: Annotated[str | None, typer.Option("--backend", metavar="NAME",
                                                help="loky | threading | sequential | dask")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", metavar="ADDRESS",
                                                  help="Dask scheduler address (backend dask)")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", metavar="N", help="workers on this machine (-1 = every core)")]
    = None,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Monte Carlo over the config's alternatives: rank intervals, type probabilities, sensitivity."""
    from .core.config import load_config
    from .render.uncertainty_report import attach
    from .uncertainty.analysis import analyse
    from .workflow.outputs import write_run
    from .workflow.pipeline import run as run_pipeline
    from .workflow.summary import summary_lines, uncertainty_lines
    from .workflow.validate import check_uncertainty

    _progress(quiet)
    started = time.perf_counter()
    # The switches are config keys (the manifest records them as any other); --scheduler alone means Dask.
    switches = {"n": n, "backend": backend or ("dask" if scheduler else None), "scheduler": scheduler, "n_jobs": jobs}
    overrides = [*(set_ or []), *(f"uncertainty.{k}={v}" for k, v in switches.items() if v is not None)]
    target = None
    try:
        cfg = load_config(config or paths.DEFAULT_CONFIG, overrides)
        target = _claim(out or Path(cfg["output"]["dir"] or Path("out") / f"{cfg['name']}-uncertainty"), force)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run_pipeline(check_uncertainty(cfg))  # the whole config, what it varies too, before any work
            mc_started = time.perf_counter()
            unc = analyse(result)
            mc_seconds = time.perf_counter() - mc_started
        for warning in caught:
            typer.echo(f"warning: {warning.message}", err=True)
        with progress.step("출력 쓰기 writing outputs"):
            write_run(attach(result, unc), target, force=force)
    except TypologyError as exc:
        _fail(exc)
        return
    except OSError as exc:
        _cannot_write(exc, target)
        return
    for line in summary_lines(result):  # the nominal run, which the replicates vary around
        typer.echo(line)
    for line in uncertainty_lines(unc, mc_seconds):
        typer.echo(line)
    typer.echo(f"wrote {target}/ in {time.perf_counter() - started:.1f} s")


@command(cls=_Command)
def rebuild(
    manifest: Annotated[Path, typer.Argument(help="manifest.json of the run to rebuild",
                                             show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", metavar="DIR",
                                             help="output folder (default <run folder>-rebuild/)")] = None,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Run a recorded run again from its manifest; check the inputs and compare the tables byte for byte."""
    from .workflow.rebuild import rebuild as rebuild_run

    _progress(quiet)
    try:
        report = rebuild_run(manifest, out, force=force)
    except TypologyError as exc:
        _fail(exc)
        return
    except OSError as exc:
        _cannot_write(exc, out)
        return
    typer.echo(f"{report.inputs} inputs match their recorded SHA-256; wrote {report.out}/")
    for note in report.notes:
        typer.echo(f"note: {note}")
    if report.absent:
        typer.echo(f"note: tables in only one of the two folders: {', '.join(report.absent)}")
    if report.identical:
        typer.echo(f"identical to the original run: {', '.join(report.identical)}")
    if not report.identical and not report.different:
        typer.echo("no files beside the manifest to compare with")
    if report.different:
        typer.echo(f"error: differ from the original run: {', '.join(report.different)}", err=True)
        raise typer.Exit(code=1)


@command("build-data", cls=_Command)
def build_data(
    no_geometry: Annotated[bool, typer.Option("--no-geometry", help="skip rebuilding the geometry")] = False,
    quiet: Quiet = False,
) -> None:
    """Rebuild units, the variable table and the geometry from the bundled sources."""
    from .data.bundle.build import build_all

    _progress(quiet)
    try:
        counts = build_all(with_geometry=not no_geometry)
    except TypologyError as exc:
        _fail(exc)
        return
    typer.echo(f"built {counts['units']} units, {counts['rows']} variable rows, {counts['log']} log rows")


@command(cls=_Command)
def fetch(
    key: Annotated[str | None, typer.Argument(help="catalogue variable (or indicator) to fetch, or `ordinances` with "
                                              "--keyword; omit with --config", show_default=False)] = None,
    year: Annotated[list[int] | None, typer.Option("--year", metavar="YEAR", help="year to fetch; repeat for several")]
    = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE",
                                             help="table to write (default out/kosis/<key>.csv; other sources "
                                                  "out/fetched/<key>.csv)")] = None,
    cache: Annotated[Path, typer.Option("--cache", metavar="DIR", help="folder for raw API answers")]
    = Path("out/kosis_cache"),
    refresh: Annotated[bool, typer.Option("--refresh", help="ask the API again even when cached")] = False,
    config: Annotated[Path | None, typer.Option("--config", metavar="CONFIG",
                                                help="read the config's project catalogues (catalog:) too; without a "
                                                     "key, fetch every table of data.tables not there yet")] = None,
    keyword: Annotated[list[str] | None, typer.Option("--keyword", metavar="WORD",
                                                      help="ordinances: a word of the 자치법규명; repeat for several")]
    = None,
    variable: Annotated[str | None, typer.Option("--variable", metavar="NAME",
                                                 help="ordinances: variable name in the table, a catalogue variable "
                                                      "such as ordin_jumin_council for a run (default ordinances)")]
    = None,
    file: Annotated[Path | None, typer.Option("--file", metavar="FILE",
                                              help="data.go.kr lists: count a file already downloaded")] = None,
    list_items: Annotated[bool, typer.Option("--list-items", help="KOSIS: list the items of the variable's table "
                                                                  "(to choose item:) instead of fetching")] = False,
    force: Annotated[bool, typer.Option("--force", help="replace a file at --out that the tool did not write")] = False,
    quiet: Quiet = False,
) -> None:
    """Download official tables (KOSIS, law.go.kr 조례, 지방재정365, data.go.kr lists) as tables for data.tables."""
    from .core.catalog import catalog_for, load_catalog
    from .core.config import load_config
    from .data.connectors import dispatch
    from .data.fetch import fetch as fetch_table

    _progress(quiet)
    try:
        cfg = load_config(config) if config else None
        catalog = catalog_for(cfg) if cfg else load_catalog()
        if key is None or key == "ordinances" or list_items or dispatch.source_of(catalog, key or "") not in (None,
                                                                                                           "kosis"):
            for line in dispatch.command_lines(catalog, cfg, key, year, out, cache, refresh, keyword, variable, file,
                                                     list_items, force):
                typer.echo(line)
            return
        if key not in catalog.variables and key not in catalog.indicators:
            raise TypologyError(f"{key!r} is neither a variable nor an indicator of the catalogue {catalog.path}")
        if not year:
            raise TypologyError("give at least one year, e.g. --year 2020")
        target = out or Path("out") / "kosis" / f"{key}.csv"
        result = fetch_table(catalog, key, year, target, cache, refresh=refresh, force=force)
    except TypologyError as exc:
        _fail(exc)
        return
    except OSError as exc:
        _cannot_write(exc, out)
        return
    typer.echo(f"wrote {result.rows} rows to {result.path} ({result.downloaded} downloaded, {result.cached} "
               f"from the cache {cache}); add to a config:")
    typer.echo(result.snippet.rstrip())


_WHOLE_PROCESS = False  # set by main(): the command is this process's whole life (not a notebook's call)


def main() -> None:
    """The ``typology`` command (``python -m typology``), which ends the process."""
    global _WHOLE_PROCESS
    _WHOLE_PROCESS = True
    from .workflow.maps_process import end_early, start_early
    start_early(sys.argv[1:])  # before typer's parsing (0.3 s), while the other core is idle
    try:
        app()
    finally:
        end_early()
        # The interpreter's last collections would walk every object of a run (0.4 s) for nothing.
        gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
