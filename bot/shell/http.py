"""The HTTP client for Bot API calls: PTB's `BaseRequest` over an aiohttp client session.

Profiled on loopback, PTB's default httpx client spent about two thirds of the bot's event-loop
time in HTTP for the two or three Bot API calls a tap costs; aiohttp (already a dependency for
the webhook server) parses HTTP in C and queues waiting requests in O(1), so the same calls cost
a fraction of that. Behaviour is PTB's: form-encoded parameters (multipart with files), the
same four timeouts, TimedOut and NetworkError for transport failures.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# 8 in flight over ~50 ms real round trips is ~160 calls/s, far above Telegram's 30 msg/s.
MAX_IN_FLIGHT = 8
TOKEN_PATH = re.compile(r"/(?:file/)?bot[^/\s'\"]+")
MEDIA_WRITE_TIMEOUT = 20.0  # PTB's default for uploads (a chart, an export)


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session with at most `connections` requests in flight;
    others wait for a free connection, within the pool timeout."""

    def __init__(
        self,
        connections: int = MAX_IN_FLIGHT,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
        pool_timeout: float = 1.0,
    ) -> None:
        """Keep up to `connections` connections; the timeouts are PTB's defaults."""
        self._connections = connections
        self._timeouts = {
            "connect": connect_timeout,
            "read": read_timeout,
            "write": write_timeout,
            "pool": pool_timeout,
        }
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        """The default read timeout (PTB adds it to a long poll's own timeout)."""
        return self._timeouts["read"]

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
                trust_env=True,  # HTTPS_PROXY and friends, as httpx honours them
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one call; TimedOut or NetworkError when the transport fails."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = bool(request_data and request_data.contains_files)
        read = self._given(read_timeout, "read")
        write = self._given(write_timeout, "write", MEDIA_WRITE_TIMEOUT if files else None)
        connect = self._given(connect_timeout, "connect")
        pool = self._given(pool_timeout, "pool")
        timeout = aiohttp.ClientTimeout(  # aiohttp has no write timeout: `total` bounds it
            total=_total(pool, connect, write, read),
            connect=_total(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout, allow_redirects=False
            ) as response:
                return response.status, await response.read()
        except TimeoutError:  # not chained: aiohttp's errors carry the URL, and so the token
            raise TimedOut(f"Timed out ({method} call)") from None
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {_without_token(err)}") from None

    def _given(self, value: Any, name: str, default: float | None = None) -> float | None:
        """A timeout passed to the call, else `default`, else this client's own."""
        if isinstance(value, type(BaseRequest.DEFAULT_NONE)):
            return default if default is not None else self._timeouts[name]
        return value


def _without_token(err: Exception) -> str:
    """An error's message with any Bot API path (`/bot<token>/...`) masked."""
    return TOKEN_PATH.sub("/bot<token>", str(err))


def _total(*timeouts: float | None) -> float | None:
    """The sum of timeouts, where None means no limit."""
    return None if None in timeouts else sum(t for t in timeouts if t is not None)


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """The call's parameters: form-encoded, or multipart when files are uploaded."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
