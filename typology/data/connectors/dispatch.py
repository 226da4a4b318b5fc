"""``typology fetch``: which connector fetches a catalogue variable, and what a config still lacks.

A variable says where it lives with one of ``kosis:``, ``ordinance:``, ``lofin:`` or ``datago:``
in the catalogue. A config names the fetched tables under ``data.tables`` by path; a table whose
file does not exist yet and whose name (without .csv) is such a variable is what
``typology fetch --config`` fetches, and what ``typology run`` reports as missing in one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.catalog import Catalog
from ...core.config import resolve_path
from ...core.ownership import claim_file
from ...errors import TypologyError
from . import http
from .datago import ListSpec, fetch_list
from .law import fetch_ordinances
from .lofin import LofinSpec, fetch_lofin
from .places import write_long

SOURCES = ("kosis", "ordinance", "lofin", "datago")
KEY_OF = {"kosis": "KOSIS_API_KEY", "ordinance": "LAW_OC", "lofin": "LOFIN_KEY", "datago": None}


@dataclass
class Fetched:
    path: Path
    rows: int
    lines: list[str] = field(default_factory=list)


def source_of(catalog: Catalog, variable: str) -> str | None:
    spec = catalog.variables.get(variable, {})
    found = [s for s in SOURCES if spec.get(s)]
    return found[0] if found else None


def _spec(catalog: Catalog, variable: str, source: str) -> dict[str, Any]:
    spec = catalog.variables[variable][source]
    if not isinstance(spec, dict):
        raise TypologyError(f"{catalog.path}: variables.{variable}.{source}: expected a mapping")
    return spec


def _claim(out: Path, force: bool, provenance: bool = True) -> None:
    """Before any request: ``out`` (and the provenance record beside it) may be written, by the rule of
    ``core.ownership`` -- the tool's own earlier file is replaced, any other only with ``force``."""
    claim_file(out, force=force)
    if provenance:
        claim_file(http.provenance_path(out), force=force, what=http.PROVENANCE_WHAT)


def _finish(table, prov: dict[str, Any], assign, out: Path, force: bool) -> Fetched:
    write_long(table, out, force)
    http.write_provenance(out, prov, force)
    lines = [f"wrote {len(table)} rows to {out} (provenance in {http.provenance_path(out).name})"]
    if assign.summary():
        lines.append(f"note: {assign.summary()}")
    return Fetched(out, len(table), lines)


def ordinances(keywords: list[str], variable: str, out: Path, cache: Path | None, refresh: bool = False,
               force: bool = False) -> Fetched:
    _claim(out, force)
    result = fetch_ordinances(keywords, variable, cache, refresh)
    done = _finish(result.table, result.provenance, result.aside, out, force)
    done.lines.insert(1, f"{result.ordinances} 조례 matching {', '.join(keywords)} in {result.table['code'].nunique()} "
                         f"units ({result.items} versions read), years {result.table['year'].min()}–"
                         f"{result.table['year'].max()}")
    return done


def variable(catalog: Catalog, name: str, out: Path, cache: Path | None, years: list[int], refresh: bool = False,
             force: bool = False, file: Path | None = None) -> Fetched:
    """Fetch one catalogue variable from the source its entry names (KOSIS goes through data.fetch)."""
    source = source_of(catalog, name)
    if source is None:
        raise TypologyError(f"variable {name!r} has none of {', '.join(SOURCES)} in {catalog.path}, so it cannot be "
                            f"fetched; its source is {catalog.variables[name].get('source')!r}")
    _claim(out, force, provenance=source != "kosis")  # a KOSIS table has no provenance record beside it
    spec = _spec(catalog, name, source)
    if source == "ordinance":
        return ordinances(list(spec.get("keywords") or []), name, out, cache, refresh, force=force)
    if source == "lofin":
        lofin = LofinSpec(name, str(spec["service"]), str(spec["field"]), float(spec.get("divide", 1)))
        table, prov, assign = fetch_lofin(lofin, years, cache, refresh)
        return _finish(table, prov, assign, out, force)
    if source == "datago":
        listed = ListSpec(name, str(spec["dataset"]), str(spec["list_date"]), str(spec.get("file_path") or ""),
                          **{k: str(spec[k]) for k in ("sido_column", "sigungu_column", "address_column")
                             if k in spec})
        table, prov, assign = fetch_list(listed, file, cache, refresh)
        return _finish(table, prov, assign, out, force)
    from ..fetch import fetch as fetch_kosis

    result = fetch_kosis(catalog, name, years, out, cache or http.DEFAULT_CACHE, refresh=refresh, force=force)
    return Fetched(out, result.rows, [f"wrote {result.rows} rows to {out} ({result.downloaded} downloaded, "
                                      f"{result.cached} from the cache)"])


def pending(config: dict[str, Any], catalog: Catalog, every: bool = False) -> list[tuple[str, Path]]:
    """(variable, path) of the config's fetchable tables whose file does not exist yet (``every``: all)."""
    out = []
    for entry in config["data"].get("tables") or []:
        raw = entry if isinstance(entry, str) else entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(raw, str):
            continue
        path = _target(config, raw)
        if (every or not path.exists()) and path.suffix == ".csv" and source_of(catalog, path.stem):
            out.append((path.stem, path))
    return out


def _target(config: dict[str, Any], raw: str) -> Path:
    """Where a fetched table goes: an existing file where the run will read it, else beside the config
    (never the project-root fallback of resolve_path, which could lie outside the project)."""
    found = resolve_path(config, raw)
    return found if found.exists() else Path(config["_path"]).parent / raw


def missing_message(config: dict[str, Any], catalog: Catalog, chosen: list[Any]) -> str | None:
    """One line for a run whose fetched tables are not there yet, or None."""
    todo = dict(pending(config, catalog))
    if not todo:
        return None
    names = [i.key for i in chosen if any(r.variable in todo for r in i.refs())]
    keys = sorted({KEY_OF[source_of(catalog, v) or ""] or "" for v in todo} - {""})
    where = _shown(config.get("_path") or "CONFIG")
    return (f"indicators {', '.join(names) or '(none selected)'} have no data yet: {len(todo)} tables named in "
            f"data.tables are not fetched ({', '.join(sorted(todo))}); get them with `typology fetch --config "
            f"{where}` (keys in {', '.join(keys)})")


def _shown(path: object) -> str:
    try:
        return str(Path(str(path)).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def fetch_config(config: dict[str, Any], catalog: Catalog, cache: Path | None, refresh: bool = False,
                 force: bool = False) -> list[Fetched]:
    """Every table the config names that is not there yet (with --force: every fetchable one again)."""
    todo = pending(config, catalog, every=force)
    years = [int(config["reference_year"])]
    return [variable(catalog, name, path, cache, years, refresh, force) for name, path in todo]


def provenance_of(path: Path) -> dict[str, Any] | None:
    """The provenance record beside a fetched table, for the run's manifest (None if there is none)."""
    side = http.provenance_path(path)
    if not side.is_file():
        return None
    try:
        return json.loads(side.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise TypologyError(f"{side}: not a readable provenance record (JSON)") from None


def command_lines(catalog: Catalog, cfg: dict[str, Any] | None, key: str | None, year: list[int] | None,
                  out: Path | None, cache: Path, refresh: bool, keyword: list[str] | None, variable_name: str | None,
                  file: Path | None, list_items: bool, force: bool) -> list[str]:
    """``typology fetch`` for the connectors (law.go.kr, 지방재정365, data.go.kr, KOSIS items): its output lines."""
    if list_items:
        from ..fetch import kosis_queries
        from .kosis import list_items as items

        lines = []
        for query in kosis_queries(catalog, key or ""):
            table = items(query.org_id, query.tbl_id, cache, refresh)
            lines.append(f"{query.variable}: KOSIS {query.org_id}/{query.tbl_id}, {len(table)} items "
                         f"(set item: to an itm_id)")
            lines += [f"  {r.itm_id}\t{r.itm_nm}\t{r.unit}" for r in table.itertuples()]
        return lines
    if key == "ordinances":
        if out is None:
            raise TypologyError("fetch ordinances needs --out FILE")
        return ordinances(keyword or [], variable_name or "ordinances", out, cache, refresh, force).lines
    if key is not None:
        target = out or Path("out") / "fetched" / f"{key}.csv"
        return variable(catalog, key, target, cache, year or [], refresh, force, file).lines
    if cfg is None:
        raise TypologyError("give a variable to fetch, `ordinances --keyword WORD --out FILE`, or --config CONFIG")
    done = fetch_config(cfg, catalog, cache, refresh, force)
    if not done:
        return [f"every fetchable table of {config_name(cfg)} is there already (--force fetches them again)"]
    return [line for fetched in done for line in fetched.lines]


def config_name(cfg: dict[str, Any]) -> str:
    return str(cfg.get("_path") or cfg.get("name"))
