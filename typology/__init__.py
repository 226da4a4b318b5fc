"""Regional social-innovation typology for Korean local governments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._version import __version__  # noqa: E402
from .core.config import load_config  # noqa: E402
from .errors import TypologyError  # noqa: E402

if TYPE_CHECKING:  # for type checkers; at run time they come through __getattr__ below
    from .core.result import RunResult  # noqa: F401
    from .workflow.pipeline import run  # noqa: F401

# The pipeline and the notebook API (typology/api/) are imported on first use, so that
# `import typology` and the command line do not pay for pandas, scipy, matplotlib or geopandas
# before they need them: `typology run` starts its maps process first (cli.py).
_LAZY = {"run": ("workflow.pipeline", "run"), "RunResult": ("core.result", "RunResult"),
         "load_results": ("api.loaders", "load"), "Results": ("api.results", "Results"),
         "run_variants": ("api.runs", "run_variants"), "run_panel": ("api.timeseries", "run_panel"),
         "transition_matrix": ("api.transitions", "transition_matrix"), "compare_runs": ("api.runs", "compare_runs")}
__all__ = ["TypologyError", "__version__", "load_config", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module 'typology' has no attribute {name!r}")
