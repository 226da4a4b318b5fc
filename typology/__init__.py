"""Regional social-innovation typology for Korean local governments."""

from __future__ import annotations

from ._version import __version__  # noqa: E402
from .core.config import load_config  # noqa: E402
from .core.result import RunResult  # noqa: E402
from .errors import TypologyError  # noqa: E402
from .workflow.pipeline import run  # noqa: E402

__all__ = ["RunResult", "TypologyError", "__version__", "load_config", "run"]

# Notebook API (typology/api/), imported on first use
# so that `import typology` and the CLI do not pay for matplotlib, libpysal or geopandas.
_LAZY = {"load_results": ("api.loaders", "load"), "Results": ("api.results", "Results"),
         "run_variants": ("api.runs", "run_variants"), "run_panel": ("api.timeseries", "run_panel"),
         "transition_matrix": ("api.transitions", "transition_matrix"), "compare_runs": ("api.runs", "compare_runs")}
__all__ += list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module 'typology' has no attribute {name!r}")
