"""`storylog serve`: preview a story's public site on localhost.

Pages are rendered in memory, exactly as `storylog export` would write them, and
rendered again when the story has changed since (a new event or checkpoint).

Each connection has a thread of its own and a socket timeout, so one idle or slow
reader cannot hold up the others; a reader that goes away mid-answer is forgotten
quietly. Only requests addressed to the names the preview was started for are
answered (its address, and localhost), so that a web page elsewhere cannot reach it
through a DNS name rebound to 127.0.0.1.
"""

from __future__ import annotations

import http.server
import sys
import threading
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from storylog.app.service import StoryApp
from storylog.projections.queries import Views
from storylog.site.pages import CSP, latest_checkpoint_of, render_site
from storylog.site.public_view import SiteOptions

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".json": "application/json",
    ".py": "text/plain; charset=utf-8",
}
PLAIN = "text/plain; charset=utf-8"  # the public log's notes and proofs
HOST = "127.0.0.1"
# Seconds a connection may stay silent (between requests, or mid-request).
TIMEOUT = 10


class Preview:
    """The site of one story, kept current with the store."""

    def __init__(self, app: StoryApp, slug: str, options: SiteOptions,
                 log_key: Path | None = None, origin: str | None = None):
        self.app = app
        self.log_key = log_key  # with a key, the public log is served as export writes it
        self.origin = origin
        self.slug = slug
        self.options = options
        self._key: Any = None
        self._files: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def files(self) -> dict[str, bytes]:
        with self._lock:  # one store connection, one render at a time
            return self._current()

    def _current(self) -> dict[str, bytes]:
        views = Views(self.app)  # catches the read models up
        story_id = views.story(self.slug)["story_id"]
        key = (views.head_position(story_id), len(views.versions(self.slug)),
               latest_checkpoint_of(views, self.options))
        if key != self._key:
            if self.log_key is not None:
                from storylog.site.publiclog import site_files

                self._files = site_files(self.app, self.slug, self.options, self.log_key,
                                         self.origin)[0]
            else:
                self._files = render_site(views, self.slug, self.options)
            self._key = key
        return self._files


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers a preview bound to ``host``:``port`` answers: that address, and
    the loopback names when it is a loopback address (the port left out only for 80)."""
    names = {host}
    if host in ("127.0.0.1", "::1", "localhost"):
        names |= {"127.0.0.1", "localhost", "[::1]"}
    names = {f"[{n}]" if ":" in n and not n.startswith("[") else n for n in names}
    allowed = {f"{n}:{port}" for n in names}
    if port == 80:
        allowed |= names
    return frozenset(allowed)


def handler(files: Callable[[], dict[str, bytes]],
            hosts: Collection[str] = ()) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "storylog-preview"
        timeout = TIMEOUT

        def do_GET(self) -> None:
            self._respond(body=True)

        def do_HEAD(self) -> None:
            self._respond(body=False)

        def _respond(self, *, body: bool) -> None:
            host = (self.headers.get("Host") or "").strip().lower()
            if not host:
                self._send(400, "text/plain; charset=utf-8", b"no Host header\n", body)
                return
            if host not in hosts:
                self._send(421, "text/plain; charset=utf-8",
                           b"this preview answers only to its own address\n", body)
                return
            path = unquote(urlsplit(self.path).path).lstrip("/")
            if path == "" or path.endswith("/"):
                path += "index.html"
            try:
                site = files()
            except Exception as error:  # show the problem in the browser, keep serving
                self._send(500, "text/plain; charset=utf-8",
                           f"storylog could not render the site: {error}\n".encode(), body)
                return
            if path not in site and f"{path}/index.html" in site:
                self.send_response(301)
                self.send_header("Location", f"/{path}/")
                self.end_headers()
                return
            if path not in site:
                self._send(404, "text/plain; charset=utf-8", b"not found\n", body)
                return
            suffix = path[path.rfind("."):] if "." in path else ""
            kind = TYPES.get(suffix, PLAIN if path.startswith(".well-known/storylog/")
                             else "application/octet-stream")
            self._send(200, kind, site[path], body)

        def _send(self, code: int, kind: str, data: bytes, body: bool) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if body:
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a preview: the terminal stays quiet

    return Handler


class PreviewServer(http.server.ThreadingHTTPServer):
    """A thread per connection; threads never keep the process alive or block its stop."""

    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return  # the reader went away or fell silent: nothing to say
        print(f"storylog serve: a request failed: {error!r}", file=sys.stderr)


def preview_server(app: StoryApp, slug: str, options: SiteOptions,
                   port: int, log_key: Path | None = None,
                   origin: str | None = None) -> http.server.HTTPServer:
    """A server on 127.0.0.1:``port`` (0: any free port); renders once before returning,
    so that a story that cannot be shown fails here, not in the browser. With
    ``log_key``, the public log is served too, exactly as `export --key` writes it."""
    preview = Preview(app, slug, options, log_key, origin)
    preview.files()
    server = PreviewServer((HOST, port), handler(preview.files))
    server.RequestHandlerClass = handler(preview.files,
                                         allowed_hosts(HOST, server.server_address[1]))
    return server
