"""An HTTP proxy in front of the moto server that fails chosen S3 writes: real faults over real HTTP."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class FaultyS3Proxy:
    """Forwards every request to ``upstream``; the k-th distinct object written (PUT) fails every attempt.

    ``writes`` records the distinct keys written, in order, so a test can first count a clean run's writes
    and then fail each of them in turn.
    """

    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream)
        self.fail_at: int | None = None  # index into the distinct written keys, or None for no faults
        self.writes: list[str] = []
        self.failed: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = (
                "HTTP/1.1"  # answers boto's "Expect: 100-continue" at once (1.0 makes it wait 1 s)
            )

            def log_message(self, *args):  # keep test output clean
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                key = self.path.split("?")[0]
                if self.command == "PUT" and "x-id=CreateBucket" not in self.path:
                    if key not in proxy.writes:
                        proxy.writes.append(key)
                    if proxy.fail_at is not None and proxy.writes.index(key) == proxy.fail_at:
                        proxy.failed.append(key)
                        msg = b"<Error><Code>InternalError</Code><Message>injected fault</Message></Error>"
                        self.send_response(500)
                        self.send_header("Content-Type", "application/xml")
                        self.send_header("Content-Length", str(len(msg)))
                        self.end_headers()
                        self.wfile.write(msg)
                        return
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                length = resp.getheader("Content-Length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultyS3Proxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
