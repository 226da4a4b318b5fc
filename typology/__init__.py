"""Regional social-innovation typology for Korean local governments."""

from __future__ import annotations

__version__ = "0.1.0"

from .config import load_config  # noqa: E402
from .errors import TypologyError  # noqa: E402
from .pipeline import RunResult, run  # noqa: E402

__all__ = ["RunResult", "TypologyError", "__version__", "load_config", "run"]
