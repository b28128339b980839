"""SIP over TCP and TLS: one asyncio Protocol per connection with sipmsg's StreamFramer.

- A message whose extent is known but that does not parse gets its 4xx; the stream
  stays in step for the next one (RFC 3261 18.3 framing by Content-Length).
- A stream that cannot be framed any more (no Content-Length, over the limits, garbage
  in place of a header block) is answered if it can be, then that connection alone is
  closed.
- A CRLFCRLF ping between messages is answered with a CRLF pong (RFC 5626 4.4.1).
- A connection silent for `idle_timeout` is closed; one whose peer stops reading is cut
  off once `max_write_buffer` octets wait to be sent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, cast

from ..sip import (NEED_DATA, ConnectionClosed, FramingError, KeepAliveReceived, MessageReceived,
                   MessageRejected, StreamFramer)
from .connection_table import new_flow_token
from .idle_timer import IdleTimer
from .peer import Peer

if TYPE_CHECKING:
    from .manager import TransportManager

log = logging.getLogger(__name__)

PONG = b"\r\n"


class StreamConnection(asyncio.Protocol):
    """One TCP or TLS connection, accepted or opened by us."""

    def __init__(self, manager: TransportManager, transport_name: str) -> None:
        self.manager = manager
        self.transport_name = transport_name  # "TCP" or "TLS"
        self.peer = Peer("", 0, transport_name, new_flow_token())
        self.transport: asyncio.Transport | None = None
        self.framer = StreamFramer(manager.config.max_head, manager.config.max_body)
        self.idle: IdleTimer | None = None

    # --- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        remote = transport.get_extra_info("peername")
        self.peer = Peer(remote[0], remote[1], self.transport_name, self.peer.flow)
        if not self.manager.connection_made(self):
            self.transport.abort()
            return
        config = self.manager.config
        self.transport.set_write_buffer_limits(high=config.max_write_buffer)
        self.idle = IdleTimer(asyncio.get_running_loop(), config.idle_timeout, self._idle)

    def data_received(self, data: bytes) -> None:
        if self.idle is None:  # refused, or already closed
            return
        self.idle.touch()
        try:
            self.framer.receive_data(data)
            self._drain(len(data) + 2)
        except FramingError as error:
            self.manager.framing_failed(error, self.peer)
            self.close()
        except Exception:  # the daemon never dies of what a peer sends
            self.manager.counters.internal_errors += 1
            log.exception("stream data from %s", self.peer)
            self.close()

    def eof_received(self) -> bool | None:
        return False  # close our side too; a message cut short is simply lost

    def connection_lost(self, exc: Exception | None) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
            self.manager.connection_lost(self)

    # --- what the manager calls -----------------------------------------------------------

    def send(self, data: bytes) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            self.manager.counters.send_failures += 1
            return
        transport.write(data)
        self.manager.counters.messages_sent += 1
        if transport.get_write_buffer_size() > self.manager.config.max_write_buffer:
            self.manager.counters.connections_overflowed += 1
            transport.abort()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    # --- inside ---------------------------------------------------------------------------

    def _drain(self, bound: int) -> None:
        for _ in range(bound):  # each event consumes at least two octets
            event = self.framer.next_event()
            if event is NEED_DATA:
                return
            if isinstance(event, MessageReceived):
                self.manager.message_received(event.message, self.peer)
            elif isinstance(event, MessageRejected):
                self.manager.reject(event.error, self.peer)
            elif isinstance(event, KeepAliveReceived):
                if event.ping and self.transport is not None:
                    self.transport.write(PONG)
                    self.manager.counters.keepalives_answered += 1
            elif isinstance(event, ConnectionClosed):
                self.close()
                return
            if self.transport is None or self.transport.is_closing():
                return

    def _idle(self) -> None:
        self.manager.counters.connections_idle_closed += 1
        self.close()
