"""What every connector shares: where the API is, the key, the disk cache, retries, provenance.

The base URL of each API can be replaced through an environment variable (a mirror inside a
closed government network, or a local server in the tests). Answers are cached on disk under a
name made from the request without its key, so a second fetch of the same request never reaches
the network. The key goes into the URL only: never into a cache name, a file, an error or the
provenance record.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...core.atomic import atomic_file
from ...core.ownership import owned_write
from ...errors import TypologyError

TIMEOUT = 60.0
RETRIES = 3          # attempts after the first, on 5xx answers and timeouts
BACKOFF = 1.0        # seconds before the first retry; doubles each time
DEFAULT_CACHE = Path("out/fetch_cache")


@dataclass(frozen=True)
class Api:
    """One API family: its name in messages, default base URL and the variables that change it."""

    label: str
    default_url: str
    url_env: str
    key_env: str
    key_param: str
    signup: str

    @property
    def base_url(self) -> str:
        return (os.environ.get(self.url_env, "").strip() or self.default_url).rstrip("/")

    def key(self, required: bool = True) -> str | None:
        value = os.environ.get(self.key_env, "").strip() or None
        if value is None and required:
            raise TypologyError(f"{self.label}: environment variable {self.key_env} is not set and the answer is "
                                f"not cached; get a key at {self.signup} and export {self.key_env}=<key>")
        return value


@dataclass
class Provenance:
    """What was asked, where and when, and how many records came back (for the run's manifest)."""

    source: str
    requests: list[dict[str, Any]] = field(default_factory=list)

    def add(self, url: str, params: dict[str, str], records: int, cached: bool) -> None:
        self.requests.append({"url": url, "params": dict(sorted(params.items())), "records": records,
                              "from_cache": cached,
                              "time": datetime.now(UTC).isoformat(timespec="seconds")})

    def record(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"source": self.source, "requests": self.requests,
                "records": sum(r["records"] for r in self.requests), **(extra or {})}


def cache_file(cache_dir: Path, api: Api, path: str, params: dict[str, str]) -> Path:
    # The request without the key and without the host: a mirror shares the cache of the original.
    text = json.dumps({"api": api.label, "path": path, "params": params}, sort_keys=True, ensure_ascii=False)
    return cache_dir / f"{api.url_env.lower()}_{hashlib.sha256(text.encode()).hexdigest()[:24]}.body"


def _open(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def get(api: Api, path: str, params: dict[str, str], cache_dir: Path | None, *, refresh: bool = False,
        where: str = "") -> tuple[bytes, bool, str]:
    """The body of one request, from the cache or the API: (body, from cache, URL without the key).

    The caller checks the body and calls ``store`` only when it is a good answer, so an error
    answer is never cached.
    """
    where = where or api.label
    shown = f"{api.base_url}/{path}".rstrip("/") + (f"?{urllib.parse.urlencode(params)}" if params else "")
    cached = cache_file(cache_dir, api, path, params) if cache_dir else None
    if cached is not None and cached.is_file() and not refresh:
        return cached.read_bytes(), True, shown
    key = api.key() if api.key_env else None
    query = {**params, api.key_param: key} if api.key_param else dict(params)
    url = f"{api.base_url}/{path}".rstrip("/") + f"?{urllib.parse.urlencode(query)}"
    for attempt in range(RETRIES + 1):
        try:
            return _open(url, TIMEOUT), False, shown
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or attempt == RETRIES:
                raise TypologyError(f"{where}: {api.label} answered HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            timed_out = isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError)
            if not timed_out or attempt == RETRIES:
                raise TypologyError(f"{where}: network failure reaching {api.label} ({_scrub(str(reason), key)}); "
                                    f"nothing was cached, try again when online") from None
        time.sleep(BACKOFF * 2 ** attempt)
    raise AssertionError("unreachable")


def _scrub(text: str, key: str | None) -> str:
    return text.replace(key, "***") if key else text


def store(api: Api, path: str, params: dict[str, str], cache_dir: Path | None, body: bytes) -> None:
    if cache_dir is not None:
        with atomic_file(cache_file(cache_dir, api, path, params)) as tmp:
            tmp.write_bytes(body)


def read_json(body: bytes, where: str, label: str) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TypologyError(f"{where}: {label} did not answer with JSON (starts {body[:60]!r})") from None


PROVENANCE_WHAT = "the provenance record beside --out"


def provenance_path(table: Path) -> Path:
    """The record written beside a fetched table; the run's manifest copies it."""
    return table.with_name(f"{table.name}.provenance.json")


def write_provenance(table: Path, record: dict[str, Any], force: bool = False) -> None:
    """The record beside ``table``, under the same rule as the table (``core.ownership``)."""
    with owned_write(provenance_path(table), force=force, what=PROVENANCE_WHAT) as tmp:
        tmp.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
