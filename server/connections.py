"""Connections: slow clients are timed out, idle ones cannot crowd out the rest.

uvicorn reads a request for as long as its client takes: a client that sends
its head or body one byte a second (slowloris) holds a connection, a file
descriptor and, once the head is in, a handler waiting on the body, for as long
as it likes. A connection that never sends anything is never closed at all.
Thousands of either use up the process's file descriptors, and then nobody is
served.

So each connection is held to three bounds:

- a request's head and body must arrive within `request_timeout` seconds of its
  first byte (of the connection's opening, for its first request); otherwise
  the client gets 408 and the connection is closed. The clock stops while the
  server itself has stopped reading (a pipelined request waiting its turn);
- between requests a connection is idle, and uvicorn closes it after its
  keep-alive timeout;
- past `max_connections` open connections, the one idle the longest is closed
  to make room; when none is idle, uvicorn's `limit_concurrency` answers the
  new request 503. Past `ceiling` (what the file-descriptor limit allows, less
  what the database and the report workers need) a new connection is closed at
  once.

Behind a reverse proxy (nginx's client_header_timeout and client_body_timeout)
these rarely fire; they are what protects a server that faces clients itself.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections import OrderedDict
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

log = logging.getLogger("minsheng")

# Descriptors kept back from connections: the database (file, WAL and shared memory per
# connection), report workers' pipes and cached PDFs, logs.
RESERVED_DESCRIPTORS = 256

_REQUEST_TIMEOUT = (
    STATUS_LINE[408]
    + b"content-type: text/plain; charset=utf-8\r\n"
    + b"content-length: 16\r\n"
    + b"connection: close\r\n\r\n"
    + b"Request Timeout\n"
)


def raise_open_files_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit; return it.

    Each connection holds a descriptor, and the soft limit is often 1,024 where
    the hard limit allows far more.
    """
    infinity = resource.RLIM_INFINITY
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == infinity:
        return 1 << 20
    # An unlimited hard limit still has a ceiling in the kernel; try large, then less.
    for wanted in [hard] if hard != infinity else [1 << 20, 1 << 16]:
        if wanted <= soft:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            return wanted
        except (ValueError, OSError) as exc:  # a container may refuse; serve with what there is
            log.warning("could not raise the open-file limit from %d to %d: %s", soft, wanted, exc)
    return soft


def guarded_protocol(
    request_timeout: float, max_connections: int, ceiling: int
) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol held to the bounds above (one class per server)."""
    return type(
        "GuardedHttpToolsProtocol",
        (_Guarded,),
        {
            "request_timeout": request_timeout,
            "max_connections": max_connections,
            "ceiling": ceiling,
            "idle": OrderedDict(),
        },
    )


class _Guarded(HttpToolsProtocol):
    request_timeout: ClassVar[float]
    max_connections: ClassVar[int]
    ceiling: ClassVar[int]
    # Connections with no request under way, the one idle longest first: what to close
    # first when connections run short. Shared by one server's connections.
    idle: ClassVar[OrderedDict[_Guarded, None]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_timer: asyncio.TimerHandle | None = None
        self.in_request = False  # a request's first byte has come, its last not yet
        self.head_complete = False  # ... and its head is in: self.cycle is this request's

    # ------------------------------------------------------------ connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.ceiling:
            log.warning("%d connections open: refusing another", len(self.connections))
            self.connections.discard(self)
            transport.abort()
            return
        self._arm()
        self._become_idle()
        while len(self.connections) > self.max_connections and self._evict_oldest_idle():
            pass

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.idle.pop(self, None)
        super().connection_lost(exc)

    def _evict_oldest_idle(self) -> bool:
        for other in self.idle:
            if other is not self:
                break
        else:
            return False  # nobody to close but the newcomer: uvicorn's limit answers 503
        del self.idle[other]
        other._disarm()
        # It no longer counts against the limit, although its close completes later.
        other.connections.discard(other)
        other.transport.close()
        return True

    def _become_idle(self) -> None:
        self.idle[self] = None
        self.idle.move_to_end(self)

    # ------------------------------------------------------------ request timer

    def _arm(self) -> None:
        if self.request_timer is None:
            self.request_timer = self.loop.call_later(self.request_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self.request_timer is not None:
            self.request_timer.cancel()
            self.request_timer = None

    def data_received(self, data: bytes) -> None:
        # Any bytes start the clock, so a client cannot hold an idle connection open with
        # stray line ends that begin no request (uvicorn's keep-alive timer stops on them).
        self._arm()
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_request, self.head_complete = True, False
        self.idle.pop(self, None)
        self._arm()

    def on_headers_complete(self) -> None:
        self.head_complete = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.in_request = self.head_complete = False
        self._disarm()
        if self.cycle.response_complete and not self.transport.is_closing():
            # Answered before its body was all in (413, say): uvicorn armed the keep-alive
            # timer then, and the rest of the body stopped it. The connection is idle now.
            self._become_idle()
            if self.timeout_keep_alive_task is None:
                self.timeout_keep_alive_task = self.loop.call_later(
                    self.timeout_keep_alive, self.timeout_keep_alive_handler
                )

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None and not self.in_request:
            # Nothing more is coming: uvicorn's keep-alive timer takes over.
            self._disarm()
            self._become_idle()

    def _timed_out(self) -> None:
        self.request_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # the server stopped reading, not the client
            self._arm()
            return
        pending = self.cycle is not None and not self.cycle.response_complete
        if not self.in_request:
            if not pending:  # a connection that sent nothing (or stray line ends)
                self.transport.close()
            return  # an answer is still being made; keep-alive follows it
        if self.head_complete and self.cycle is not None:
            # The body is late, and the handler may be waiting for it.
            answer = not self.cycle.response_started
            self.cycle.disconnected = True  # nothing more from the handler is sent
            self.cycle.message_event.set()
        else:  # the head is late; self.cycle, if any, is an earlier request's
            answer = not pending
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.warning(
            "%s: request not received within %g s; connection closed",
            client,
            self.request_timeout,
        )
        if answer:
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()
