"""A local HTTP server for the connector tests: answers recorded in each API's format, no network.

``answer(path, params)`` returns (status, body bytes); every request is kept (path and
parameters) so a test can count what reached the "API"."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = Callable[[str, dict[str, str]], tuple[int, bytes]]


class Served:
    def __init__(self, answer: Answer) -> None:
        self.answer, self.requests = answer, []
        self.url = ""


@contextmanager
def serve(answer: Answer) -> Iterator[Served]:
    served = Served(answer)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            parsed = urllib.parse.urlsplit(self.path)
            params = dict(urllib.parse.parse_qsl(parsed.query))
            served.requests.append((parsed.path, params))
            status, body = served.answer(parsed.path, params)
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
