"""A local HTTP server standing in for a city's download portal: it can fail the first requests or answer slowly."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Portal(ThreadingHTTPServer):
    def __init__(self, file: Path, *, failures: int = 0, delay_s: float = 0.0):
        self.file, self.failures, self.delay_s = file, failures, delay_s
        self.requests: list[float] = []  # time.monotonic() of each request
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{self.file.name}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: Portal

    def do_GET(self) -> None:
        self.server.requests.append(time.monotonic())
        if len(self.server.requests) <= self.server.failures:
            self.send_error(503, "portal under maintenance")
            return
        time.sleep(self.server.delay_s)
        body = self.server.file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass
