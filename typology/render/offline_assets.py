"""Third-party browser assets for the offline HTML outputs, read from installed packages.

Ministry staff often open the outputs on closed networks (망분리), so nothing may be fetched at
view time. Leaflet comes from the ``django-js-lib-leaflet`` wheel (plain Leaflet 1.9 files,
no Django needed to read them); it is inlined, and the images its CSS points at become data
URIs. Nothing third-party is copied into this repository.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import cache
from importlib import resources
from typing import Any

from ..errors import TypologyError

LEAFLET_PACKAGE = "js_lib_leaflet"
LEAFLET_DIST = "django-js-lib-leaflet"

_CSS_URL = re.compile(r"url\((['\"]?)(images/[A-Za-z0-9_.-]+\.png)\1\)")
# Anything that makes a browser fetch: src/href/url()/@import with a scheme or protocol-relative
# host. <a href> links are navigation, not loads, and are allowed.
_LOADS = re.compile(
    r"""<(?:script|link|img|iframe|source|embed|object|audio|video)\b[^>]*\b(?:src|href|data)\s*=\s*["']?"""
    r"""\s*(?:https?:)?//|url\(\s*['"]?\s*(?:https?:)?//|@import\s+(?:url\()?\s*['"]?\s*(?:https?:)?//""",
    re.IGNORECASE,
)


def _leaflet_dir() -> Any:
    try:
        root = resources.files(LEAFLET_PACKAGE) / "static" / LEAFLET_PACKAGE
    except ModuleNotFoundError:
        raise TypologyError(
            f"map.html: Leaflet not found; install the {LEAFLET_DIST!r} package (a dependency of typology)"
        ) from None
    if not (root / "leaflet.js").is_file():
        raise TypologyError(f"map.html: {LEAFLET_DIST!r} is installed but has no static/{LEAFLET_PACKAGE}/leaflet.js")
    return root


@cache
def leaflet_js() -> str:
    text = (_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    # The source-map comment would make devtools request a file that is not beside the page.
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text)


@cache
def leaflet_css() -> str:
    root = _leaflet_dir()

    def inline(match: re.Match[str]) -> str:
        data = base64.b64encode((root / match.group(2)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return _CSS_URL.sub(inline, (root / "leaflet.css").read_text(encoding="utf-8"))


def leaflet_version() -> str:
    from importlib import metadata

    try:
        return metadata.version(LEAFLET_DIST)
    except metadata.PackageNotFoundError:
        return "not installed"


def json_for_script(value: Any) -> str:
    """JSON that can sit inside a <script> element: no '</script>' or '<!--' can be formed."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def script_hash(code: str) -> str:
    """The CSP source for one inline script, so only our own scripts may run."""
    digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def csp(scripts: list[str], image_host: str | None = None) -> str:
    """A Content-Security-Policy that forbids every network load and any script not listed.

    ``image_host`` (``https://host``) is the one exception a page may make: the tile server of a
    basemap the config asked for (``output.map_tiles``), for images only.
    """
    hashes = " ".join(script_hash(s) for s in scripts)
    images = f"data: {image_host}" if image_host else "data:"
    return (f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src {images}; "
            "font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'")


def external_loads(html: str) -> list[str]:
    """Every place in ``html`` that would make the browser load something from another host."""
    return [m.group(0) for m in _LOADS.finditer(html)]
