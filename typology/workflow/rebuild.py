"""``typology rebuild <manifest.json>``: run a recorded run again and check it gives the same tables.

A run folder's ``manifest.json`` holds the resolved config and a SHA-256 of every input. Rebuild
refuses to start if any input is missing or has changed since (it would not be the same run),
runs the recorded config on those inputs, writes a new folder, and compares every file with
the original folder's, byte for byte. A manifest whose config section or list of outputs was
edited by hand (their recorded digests no longer match) is refused before anything runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import paths
from ..core.checksums import sha256
from ..core.config import resolve, resolve_path
from ..core.ownership import MARKER, claim_out_dir
from ..errors import TypologyError
from ..render.uncertainty_report import attach
from ..uncertainty.analysis import analyse
from .manifest import PACKAGES, section_digest
from .outputs import write_run
from .pipeline import run


@dataclass
class Rebuilt:
    out: Path
    inputs: int
    identical: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # in the original folder but not rebuilt, or vice versa
    notes: list[str] = field(default_factory=list)


def read_manifest(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise TypologyError(f"{path}: manifest not found")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TypologyError(f"{path}: not a JSON manifest ({exc})") from None
    missing = [k for k in ("config", "inputs", "steps") if not isinstance(manifest, dict) or k not in manifest]
    if missing:
        raise TypologyError(f"{path}: not a typology run manifest; missing {missing}")
    _check_shape(manifest, path)
    return manifest


def _is_map(value: Any, item: type = str) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, item) for k, v in value.items())


def _is_texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_shape(manifest: dict[str, Any], path: Path) -> None:
    """Each section of the type the tool writes, so that a damaged or hand-made manifest is one line."""
    shapes = {"config": (dict, "a mapping"), "inputs": (_is_map, "a mapping file → SHA-256"),
              "steps": (lambda v: isinstance(v, list) and all(isinstance(s, dict) for s in v), "a list of mappings"),
              "outputs": (_is_map, "a mapping file → SHA-256"), "packages": (_is_map, "a mapping package → version"),
              "checksums": (_is_map, "a mapping section → SHA-256"), "config_file": (str, "a file name")}
    for key, (test, what) in shapes.items():
        if key not in manifest or (key in ("outputs", "packages", "config_file") and manifest[key] is None):
            continue
        value = manifest[key]
        ok = isinstance(value, test) if isinstance(test, type) else test(value)
        if not ok:
            raise TypologyError(f"{path}: section {key} is not {what} (got {type(value).__name__}); not a manifest "
                                "written by typology run")
    for step in manifest["steps"]:
        for key in ("tables", "files"):
            if key in step and not _is_texts(step[key]):
                raise TypologyError(f"{path}: steps: {step.get('step')!r}.{key} is not a list of file names")


def input_path(key: str) -> Path:
    """Inputs are recorded relative to the project root when they lie inside it."""
    path = Path(key)
    return path if path.is_absolute() else paths.ROOT / path


def check_inputs(manifest: dict[str, Any], source: Path) -> int:
    """Stop unless every recorded input still exists with the recorded SHA-256."""
    missing, changed = [], []
    for key, digest in sorted(manifest["inputs"].items()):
        path = input_path(key)
        if not path.is_file():
            missing.append(key)
        elif sha256(path) != digest:
            changed.append(key)
    if missing or changed:
        parts = ([f"missing {missing}"] if missing else []) + ([f"changed since the run {changed}"] if changed else [])
        raise TypologyError(f"{source}: inputs {'; '.join(parts)}; refusing to rebuild, the result would not be "
                            f"the recorded run")
    return len(manifest["inputs"])


def check_record(manifest: dict[str, Any], source: Path) -> None:
    """Refuse a manifest whose config or outputs no longer match the digests written with them."""
    sums = manifest.get("checksums")
    if not isinstance(sums, dict):
        raise TypologyError(f"{source}: no checksums section (written by typology 0.1 runs since the output-folder "
                            "safety change); run the config again instead of rebuilding")
    for section, default in (("config", None), ("outputs", {})):
        if sums.get(section) != section_digest(manifest.get(section, default)):
            raise TypologyError(f"{source}: the {section} section was edited after the run (its SHA-256 no longer "
                                "matches the recorded one); refusing to rebuild")


def _table_path(entry: Any) -> str:
    # data.tables entries are paths or mappings with a path (how to read the table)
    return entry["path"] if isinstance(entry, dict) else entry


def _recorded_tables(manifest: dict[str, Any], source: Path) -> list[Path]:
    """The variable tables the run read, located through the inputs (the project may have moved)."""
    load = next((s for s in manifest["steps"] if s.get("step") == "load"), None)
    if load is None:
        raise TypologyError(f"{source}: steps has no 'load' step; cannot tell which tables the run read")
    keys = list(manifest["inputs"])
    located = []
    for text in load["tables"]:
        match = text if text in keys else next((k for k in keys if not Path(k).is_absolute()
                                                and Path(text).parts[-len(Path(k).parts):] == Path(k).parts), None)
        if match is None:
            raise TypologyError(f"{source}: table {text} of the load step is not among the recorded inputs")
        located.append(input_path(match))
    return located


def config_from_manifest(manifest: dict[str, Any], source: Path) -> dict[str, Any]:
    raw = manifest["config"]  # stored as the run resolved it, in its own key order
    config = resolve(raw, f"{source} (config)")
    config["_path"] = str(paths.CONFIGS_DIR / str(manifest.get("config_file") or f"{config['name']}.yaml"))
    tables = _recorded_tables(manifest, source)
    catalogs = _recorded_catalogs(manifest)
    data = config["data"]
    # Every path the config names, beside the file the run read for it.
    named = [(data["variables"], tables[0]), *zip(map(_table_path, data["tables"]), tables[1:]),
             *zip(config.get("catalog") or [], catalogs)]
    as_configured = [resolve_path(config, text) if text else paths.VARIABLES for text, _ in named]
    if [p.resolve() for p in as_configured] != [located.resolve() for _, located in named]:
        # The config named its files relative to its own folder, which is not recorded. Find that
        # folder from where the recorded files are, so the config stays exactly as recorded (it is
        # printed in the report and the manifest, which must come out the same).
        folder = _config_folder(named)
        if folder is not None:
            config["_path"] = str(folder / Path(config["_path"]).name)
        else:
            # No single folder explains every path: use the files the run read (their hashes were just
            # checked), keeping how each is read; the report and manifest then show these paths.
            data["variables"] = str(tables[0])
            data["tables"] = [{**entry, "path": str(path)} if isinstance(entry, dict) else str(path)
                              for entry, path in zip(data["tables"], tables[1:])]
            if catalogs:
                config["catalog"] = [str(p) for p in catalogs]
    return config


def _recorded_catalogs(manifest: dict[str, Any]) -> list[Path]:
    """The project catalogues the run read (its ``catalog`` step; their hashes are among the inputs)."""
    step = next((s for s in manifest["steps"] if s.get("step") == "catalog"), None)
    return [input_path(f) for f in step["files"]] if step else []


def _config_folder(named: list[tuple[str | None, Path]]) -> Path | None:
    """The folder that the config's relative paths, read from it, name the recorded files from."""
    folders = set()
    for text, located in named:
        if not text:
            continue
        relative = Path(text)
        if relative.is_absolute():
            if relative.resolve() != located.resolve():
                return None
            continue
        parts = located.resolve().parts
        if parts[-len(relative.parts):] != relative.parts:
            return None
        folders.add(Path(*parts[: len(parts) - len(relative.parts)]))
    return folders.pop() if len(folders) == 1 else None


def _version_notes(manifest: dict[str, Any]) -> list[str]:
    notes = []
    for name, recorded in sorted((manifest.get("packages") or {}).items()):
        if name not in PACKAGES:  # recorded by an older release, no longer one that can change a run
            continue
        try:
            now = metadata.version(name)
        except metadata.PackageNotFoundError:
            now = "not installed"
        if now != recorded:
            notes.append(f"{name} {recorded} at the run, {now} now: results may differ in the last digits")
    return notes


def default_out(manifest_path: Path) -> Path:
    run_dir = manifest_path.resolve().parent
    return run_dir.parent / f"{run_dir.name}-rebuild"


def rebuild(manifest_path: Path, out: Path | None = None, *, force: bool = False) -> Rebuilt:
    manifest = read_manifest(manifest_path)
    target = out or default_out(manifest_path)
    original = manifest_path.resolve().parent
    if target.resolve() == original:
        raise TypologyError(f"--out {target}: that is the folder being rebuilt; choose another folder")
    claim_out_dir(target, force=force)  # refused now, not after the run
    check_record(manifest, manifest_path)
    n_inputs = check_inputs(manifest, manifest_path)
    config = config_from_manifest(manifest, manifest_path)
    result = run(config)
    notes = _version_notes(manifest)
    if any(s.get("step") == "uncertainty" for s in manifest["steps"]):  # a run of typology uncertainty
        if config["uncertainty"]["backend"] == "dask":  # the cluster may be gone; every backend gives the same tables
            config["uncertainty"].update(backend="loky", scheduler=None)
            notes.append("uncertainty replicates rerun on loky instead of the recorded Dask cluster")
        result = attach(result, analyse(result))
    write_run(result, target, force=force)
    report = Rebuilt(target, n_inputs, notes=notes)
    # Every file the run recorded, not only the tables (the marker is bookkeeping, not output).
    before = set(manifest.get("outputs") or {}) | {"manifest.json"}
    after = {p.name for p in target.iterdir() if p.is_file() and p.name != MARKER}
    for name in sorted(before & after):
        mine = original / name
        same = mine.is_file() and mine.read_bytes() == (target / name).read_bytes()
        (report.identical if same else report.different).append(name)
    report.absent = sorted(before ^ after)
    return report
