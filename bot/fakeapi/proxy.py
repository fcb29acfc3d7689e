"""A tiny round-robin reverse proxy on loopback, standing in for nginx in front of bot workers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import aiohttp
from aiohttp import web

from bot.fakeapi.lifecycle import Service

# Per-connection headers that a proxy must not pass on (RFC 9110 section 7.6.1), plus Host and
# Content-Length, which the outgoing request and response set for themselves.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer"}
    | {"transfer-encoding", "upgrade", "host", "content-length"}
)


def _end_to_end(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers a proxy forwards: all but hop-by-hop ones."""
    return [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP]


class RoundRobinProxy(Service):
    """Forwards each request to the next upstream in turn, skipping those that refuse to connect.

    Upstreams are base URLs such as "http://127.0.0.1:8081"; the request's path and query are
    appended. Like nginx's default upstream settings, a request goes on to the next upstream only
    when the connection itself fails (nothing was sent), and each request uses a new connection.
    """

    def __init__(
        self, upstreams: Iterable[str] = (), *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """Configure the proxy; port 0 picks a free one at start()."""
        self.upstreams: list[str] = [url.rstrip("/") for url in upstreams]
        self.host = host
        self.port = port
        self.forwarded: Counter[str] = Counter()  # answered requests per upstream
        self.refused: Counter[str] = Counter()  # failed connection attempts per upstream
        self._turn = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    def add(self, upstream: str) -> None:
        """Start sending requests to another upstream."""
        self.upstreams.append(upstream.rstrip("/"))

    def remove(self, upstream: str) -> None:
        """Stop sending requests to an upstream."""
        self.upstreams.remove(upstream.rstrip("/"))

    @property
    def url(self) -> str:
        """The proxy's base URL (append the path, e.g. the webhook's)."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Start listening; the chosen port is then in .port."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True, limit=0),
            auto_decompress=False,
        )
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening and close upstream connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _next_upstreams(self) -> list[str]:
        """Every upstream once, starting with the one whose turn it is."""
        count = len(self.upstreams)
        start = self._turn % count if count else 0
        self._turn = start + 1
        return self.upstreams[start:] + self.upstreams[:start]

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        """Pass the request to the first upstream that accepts a connection; 502 if none does."""
        assert self._session is not None, "start() the proxy first"
        body = await request.read()
        headers = _end_to_end(request.headers.items())
        headers.append(("X-Forwarded-For", request.remote or ""))
        for upstream in self._next_upstreams():
            try:
                async with self._session.request(
                    request.method,
                    upstream + request.path_qs,
                    headers=headers,
                    data=body,
                    allow_redirects=False,
                ) as answer:
                    content = await answer.read()
            except aiohttp.ClientConnectorError:
                self.refused[upstream] += 1
                continue
            except aiohttp.ClientError as exc:
                return web.Response(status=502, text=f"upstream {upstream} failed: {exc}")
            self.forwarded[upstream] += 1
            return web.Response(
                status=answer.status,
                reason=answer.reason,
                headers=_end_to_end(answer.headers.items()),
                body=content,
            )
        return web.Response(status=502, text="no upstream accepted the connection")
