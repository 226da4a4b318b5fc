"""What the config says about each variable table (``data.variables``, ``data.tables``), checked.

A table entry is a path (the original contract: a long CSV with KOSTAT unit codes) or a
mapping that says how to read the table. ``table_spec`` turns one entry into a ``TableSpec``
and stops at the first key it does not understand, naming it; ``load`` then reads the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..core.catalog import Catalog
from ..core.config import resolve_path
from ..errors import TypologyError
from .places import CODE_SYSTEMS

TABLE_KEYS = ("path", "layout", "encoding", "sheet", "header_row", "code_system", "columns", "variable",
              "variables", "year", "reference_date", "vintage", "on_unmatched", "source_id", "multiply", "sido")
COLUMN_KEYS = ("code", "region", "sido", "year", "variable", "item", "value", "unit", "source_id")
VINTAGES = ("report", "harmonise")
ON_UNMATCHED = ("error", "warn")


@dataclass
class TableSpec:
    path: Path
    key: str
    layout: str = "long"
    encoding: str = "auto"
    sheet: Any = None
    header_row: int | None = None
    code_system: str = "auto"
    columns: dict[str, str] = field(default_factory=dict)
    variable: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    years: list[int] | None = None
    reference_date: date | None = None
    vintage: str = "report"
    on_unmatched: str = "error"
    source_id: str = ""
    multiply: float = 1.0
    legacy: bool = False  # a long table of unit codes (the original contract): codes mean today's units
    sido: str | None = None  # the 시도 of a table of bare 시군구 names (rows without a 시도 of their own)


def _choice(value: Any, choices: tuple[str, ...], key: str) -> str:
    if value not in choices:
        raise TypologyError(f"config key {key}: {value!r}; expected one of {', '.join(choices)}")
    return value


def _years(value: Any, key: str) -> list[int] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        raise TypologyError(f"config key {key}: expected a year or a list of years, got {value!r}")
    return [int(v) for v in items]


def table_spec(config: dict[str, Any], entry: Any, key: str, catalog: Catalog) -> TableSpec:
    data = config["data"]
    defaults = {"on_unmatched": _choice(data.get("on_unmatched", "error"), ON_UNMATCHED, "data.on_unmatched"),
                "vintage": _choice(data.get("vintage", "report"), VINTAGES, "data.vintage")}
    if isinstance(entry, str):
        # The original contract: a long table with KOSTAT unit codes.
        return TableSpec(resolve_path(config, entry), key, code_system="kostat", legacy=True, **defaults)
    _check_entry(entry, key)
    spec = TableSpec(resolve_path(config, entry["path"]), key, **defaults)
    # Checked in this order whatever the entry's key order, so an entry with two bad keys always names the same one.
    _read_layout(spec, entry, key)
    _read_variables(spec, entry, key, catalog)
    _read_values(spec, entry, key)
    return spec


def _check_entry(entry: Any, key: str) -> None:
    if not isinstance(entry, dict):
        raise TypologyError(f"config key {key}: expected a path or a mapping with path:, got {entry!r}")
    unknown = [k for k in entry if k not in TABLE_KEYS]
    if unknown:
        raise TypologyError(f"config key {key}.{unknown[0]}: unknown; expected one of {', '.join(TABLE_KEYS)}")
    if not isinstance(entry.get("path"), str):
        raise TypologyError(f"config key {key}.path: a table needs a path (a string)")


def _read_layout(spec: TableSpec, entry: dict[str, Any], key: str) -> None:
    """Where the table's cells are: its layout, encoding, sheet, header row and code system."""
    spec.layout = str(entry.get("layout", "long"))
    spec.encoding = str(entry.get("encoding", "auto")).lower()
    spec.sheet = entry.get("sheet")
    spec.header_row = entry.get("header_row")
    if spec.header_row is not None and (not isinstance(spec.header_row, int) or spec.header_row < 1):
        raise TypologyError(f"config key {key}.header_row: a line number from 1, got {spec.header_row!r}")
    spec.code_system = _choice(entry.get("code_system", "auto"), ("auto", *CODE_SYSTEMS), f"{key}.code_system")


def _read_variables(spec: TableSpec, entry: dict[str, Any], key: str, catalog: Catalog) -> None:
    """Which columns hold what, and the catalogue variables they are (each one the catalogue declares)."""
    columns = entry.get("columns") or {}
    if not isinstance(columns, dict) or any(k not in COLUMN_KEYS for k in columns):
        raise TypologyError(f"config key {key}.columns: a mapping with keys among {', '.join(COLUMN_KEYS)} "
                            f"(role → header text), got {columns!r}")
    spec.columns = {k: str(v) for k, v in columns.items()}
    spec.variable = entry.get("variable")
    variables = entry.get("variables") or {}
    if not isinstance(variables, dict):
        raise TypologyError(f"config key {key}.variables: a mapping (column or item → catalogue variable)")
    spec.variables = {str(k): (v or "") for k, v in variables.items()}
    for name in [spec.variable, *spec.variables.values()]:
        if name:
            check_variable(name, catalog, f"config key {key}")


def _read_values(spec: TableSpec, entry: dict[str, Any], key: str) -> None:
    """How the values are read: their years and date, vintage, unmatched rows, source, factor and 시도."""
    spec.years = _years(entry.get("year"), f"{key}.year")
    ref = entry.get("reference_date")
    if ref is not None:
        try:
            spec.reference_date = ref if isinstance(ref, date) else date.fromisoformat(str(ref))
        except ValueError:
            raise TypologyError(f"config key {key}.reference_date: expected a date YYYY-MM-DD, got {ref!r}") from None
    spec.vintage = _choice(entry.get("vintage", spec.vintage), VINTAGES, f"{key}.vintage")
    spec.on_unmatched = _choice(entry.get("on_unmatched", spec.on_unmatched), ON_UNMATCHED, f"{key}.on_unmatched")
    spec.source_id = str(entry.get("source_id") or spec.path.stem)
    multiply = entry.get("multiply", 1)
    if not isinstance(multiply, (int, float)) or isinstance(multiply, bool) or multiply <= 0:
        raise TypologyError(f"config key {key}.multiply: a positive number, got {multiply!r}")
    spec.multiply = float(multiply)
    sido = entry.get("sido")
    if sido is not None and (not isinstance(sido, str) or not sido.strip()):
        raise TypologyError(f"config key {key}.sido: expected a 시도 name such as 서울특별시, got {sido!r}")
    spec.sido = sido.strip() if sido else None


def check_variable(name: str, catalog: Catalog, where: str) -> None:
    if name in catalog.variables:
        return
    hint = ""
    if name in catalog.indicators:
        refs = sorted({r.variable for r in catalog.indicators[name].refs()})
        hint = f" ({name!r} is an indicator; tables carry its variables: {', '.join(refs)})"
    raise TypologyError(f"{where}: {name!r} is not a variable of the catalogue {catalog.described()}{hint}; "
                        f"declare it in a project catalogue (config key catalog:)")


def table_specs(config: dict[str, Any], catalog: Catalog, bundled: Path) -> list[TableSpec]:
    variables = config["data"]["variables"]
    first = table_spec(config, variables, "data.variables", catalog) if variables else \
        TableSpec(bundled, "data.variables", code_system="kostat", legacy=True)
    return [first] + [table_spec(config, e, f"data.tables[{i}]", catalog)
                      for i, e in enumerate(config["data"]["tables"] or [])]
