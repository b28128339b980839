"""The transport manager: binds the listening sockets, feeds what arrives to the sans-IO
transaction layer, sends what the layer produces, keeps its one timer.

This is the thin asyncio adapter of aioquic's asyncio/protocol.py for SIP: every input
(a message, a timer, a send from the TU) ends in `_process()`, which hands the layer's
events to the TU callback, puts the layer's datagrams on the wire and re-arms the single
loop timer (a `DeadlineTimer`), moved only when the layer's deadline moves.

What the transport itself answers, so nothing above sees it: malformed requests (their
4xx from the ParseError status hint, RFC 3261 8.2.6.2 / 21.4), CRLF keep-alive pings
(RFC 5626 4.4.1; in stream.py). Where replies go: via_handling.py (18.2.1/18.2.2,
RFC 3581) and the connection table (reuse of TCP/TLS/WS connections by flow token).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
from typing import TYPE_CHECKING, Callable

from ..deadline_timer import DeadlineTimer
from ..sip import (MalformedMessageReceived, ParseError, Request, Response, TransactionEvent,
                   TransactionKey, TransactionLayer, make_response, parse_datagram)
from .certificates import ensure_certificate, server_context
from .config import TransportConfig
from .connection_table import Connection, ConnectionTable
from .counters import TransportCounters
from .http_server import HttpServer, bind_tcp_socket
from .peer import Peer, as_peer
from .stream import StreamConnection
from .udp import UdpEndpoint, bind_udp_socket
from .via_handling import response_peer, stamp_via
from .websocket import sip_websocket_app

if TYPE_CHECKING:
    from .._sipfront import SipFront

log = logging.getLogger(__name__)

EventHandler = Callable[[TransactionEvent], None]

# The loop timer wakes on a 20 ms grid (a deadline is rounded up to it): under load the
# transaction timers of many transactions (Timer J alone: two per registration, 32 s on)
# then end in one wake-up instead of one each (a wake-up, the layer's event drain and a
# re-arm, ~20 us apiece), and most inputs leave the armed wake-up where it is. A timer
# fires at most 20 ms late; the layer schedules retransmissions from the deadline, not from
# the late firing (transaction.py), so the RFC 3261 17.1.1.2 schedule is kept. Kamailio's
# own timers tick at 62.5 ms (TIMER_TICKS_HZ 16).
TIMER_GRANULARITY = 0.02


class TransportManager:
    """All of one server's SIP transports around one TransactionLayer.

    `on_event` receives every transaction-layer event except malformed messages (which
    the transport answers or drops itself); it may call `send_response`, `send_request`
    and `send_stateless` at once.
    """

    def __init__(self, config: TransportConfig, on_event: EventHandler,
                 layer: TransactionLayer | None = None) -> None:
        self.config = config
        self.layer = layer if layer is not None else TransactionLayer()  # an empty layer is falsy (__len__)
        self.on_event = on_event
        self.counters = TransportCounters()
        self.connections = ConnectionTable()
        # Where each transport listens, as bound: {"UDP": [("127.0.0.1", 5060)], ...}
        self.listening: dict[str, list[tuple[str, int]]] = {}
        self.udp_rcvbuf_granted: list[int] = []
        self.tls_files: tuple[str, str] | None = None
        self._udp: dict[str, UdpEndpoint] = {}
        self._servers: list[asyncio.Server] = []
        self._http: list[HttpServer] = []
        self._pending: dict[Peer, list[bytes]] = {}   # outbound connections being opened
        self._connects: set[asyncio.Task[None]] = set()
        self._client_tls: ssl.SSLContext | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # The transaction layer's clock: the running loop's time(), bound once start() knows
        # the loop (a builtin call per read, several per datagram, instead of a Python one).
        self._now: Callable[[], float] = self._running_loop_time
        self._timer: DeadlineTimer | None = None   # made by start(), on the running loop
        self._busy = False
        # The C front every UDP datagram meets first (challenge_front.py), when the owner
        # sets one: it answers digest challenges before anything here parses them.
        self.front: SipFront | None = None
        # Requests over UDP answered without a server transaction, by method: the function
        # returns the final response, or None to leave the request to the transaction layer
        # and the TU (ucd: REGISTER, the registrar's stateless lane).
        self.stateless_lanes: dict[str, Callable[[Request, Peer], Response | None]] = {}

    # --- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = loop = asyncio.get_running_loop()
        self._now = loop.time
        # keep_earlier: the layer's handle_timer() acts only on what is due, so a deadline
        # that moved later need not move the loop timer (an early wake-up re-arms it).
        self._timer = DeadlineTimer(self._on_timer, granularity=TIMER_GRANULARITY, keep_earlier=True, loop=loop)
        config = self.config
        tls: ssl.SSLContext | None = None
        if config.tls_port is not None or config.wss_port is not None:
            cert, key = ensure_certificate(config.tls_cert, config.tls_key, config.data_dir, config.domain)
            self.tls_files = (str(cert), str(key))
            tls = server_context(cert, key)
        try:
            for host in config.hosts:
                if config.udp_port is not None:
                    sock, granted = bind_udp_socket(host, config.udp_port, config.udp_rcvbuf)
                    endpoint = UdpEndpoint(self, f"udp{len(self._udp)}")
                    await loop.create_datagram_endpoint(lambda: endpoint, sock=sock)
                    self._udp[endpoint.name] = endpoint
                    self.udp_rcvbuf_granted.append(granted)
                    self._listen("UDP", endpoint.local)
                for transport, port, context in (("TCP", config.tcp_port, None), ("TLS", config.tls_port, tls)):
                    if port is None:
                        continue
                    server = await loop.create_server(
                        lambda t=transport: StreamConnection(self, t), sock=bind_tcp_socket(host, port),
                        ssl=context, ssl_handshake_timeout=config.connect_timeout if context else None)
                    self._servers.append(server)
                    self._listen(transport, server.sockets[0].getsockname()[:2])
                for transport, port in (("WS", config.ws_port), ("WSS", config.wss_port)):
                    if port is None:
                        continue
                    sock = bind_tcp_socket(host, port)
                    files = self.tls_files if transport == "WSS" else None
                    http = HttpServer(sip_websocket_app(self, config.ws_path), [sock],
                                      certfile=files[0] if files else None,
                                      keyfile=files[1] if files else None,
                                      max_message=config.max_head + config.max_body)
                    self._http.append(http)
                    await http.start()
                    self._listen(transport, sock.getsockname()[:2])
        except BaseException:
            await self.stop()
            raise
        log.info("SIP listening on %s; UDP receive buffers granted %s", self.listening, self.udp_rcvbuf_granted)

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in list(self._connects):
            task.cancel()
        for server in self._servers:
            server.close()
        for connection in self.connections:
            connection.close()
        for http in self._http:
            await http.stop()
        for server in self._servers:
            await server.wait_closed()
        for endpoint in self._udp.values():
            endpoint.close()
        self._servers.clear()
        self._http.clear()
        self._udp.clear()

    def stop_accepting(self) -> None:
        """Graceful shutdown, first step: close the TCP/TLS listening sockets so no new
        connection comes in; open connections and the UDP sockets keep serving the
        transactions in progress until `stop()`."""
        for server in self._servers:
            server.close()

    def add_listener(self, transport: str, address: tuple[str, int]) -> None:
        """Record a listener bound outside the manager (the daemon's one HTTP server carries
        SIP over WebSocket on its own socket), so `listening` names every SIP address."""
        self._listen(transport, address)

    def _listen(self, transport: str, address: tuple[str, int]) -> None:
        self.listening.setdefault(transport, []).append((address[0], address[1]))

    def address(self, transport: str) -> tuple[str, int]:
        """The first address `transport` listens on (tests, logs)."""
        return self.listening[transport][0]

    # --- what the TU calls ----------------------------------------------------------------

    def send_request(self, request: Request, target: Peer) -> TransactionKey | None:
        """Start a client transaction to `target`: a Peer with a flow token reuses that
        connection; without one, any open connection to that address, or a new one."""
        key = self.layer.send_request(request, target, self._now())
        self._process()
        return key

    def send_response(self, response: Response, transaction: TransactionKey | None = None,
                      *, stateless: bool = False) -> None:
        self.layer.send_response(response, self._now(), transaction, stateless=stateless)
        self._process()

    def send_stateless(self, message: Request | Response, target: Peer) -> None:
        self.layer.send_stateless(message, target)
        self._process()

    def send_encoded(self, data: bytes, method: str, branch: str, target: Peer,
                     reliable: bool) -> TransactionKey | None:
        """A client transaction for a request the TU encoded itself (TransactionLayer.send_encoded)."""
        key = self.layer.send_encoded(data, method, branch, target, reliable, self._now())
        self._process()
        return key

    def flow(self, token: str) -> Connection | None:
        """The live connection behind a flow token (RFC 5626), or None once it closed."""
        return self.connections.by_token(token)

    # --- what the transports call ---------------------------------------------------------

    def packet_received(self, data: bytes, peer: Peer) -> None:
        """One whole message: a UDP datagram or a WebSocket message."""
        try:
            message = parse_datagram(data)
        except ParseError as error:
            self.reject(error, peer)
            return
        if message is not None:  # None: a CRLF keep-alive, nothing to answer over UDP
            self.message_received(message, peer)

    def message_received(self, message: Request | Response, peer: Peer) -> None:
        self.counters.messages_received += 1
        if isinstance(message, Request):
            stamp_via(message.headers, peer)
            lane = self.stateless_lanes.get(message.method) if self.stateless_lanes else None
            if lane is not None and peer.transport == "UDP" and self._answer_in_lane(message, peer, lane):
                self._process()
                return
        self.layer.receive(message, peer, self._now())
        self._process()

    def _answer_in_lane(self, request: Request, peer: Peer,
                        lane: Callable[[Request, Peer], Response | None]) -> bool:
        try:
            return self.layer.receive_stateless(request, peer, self._now(), lambda r: lane(r, peer))
        except Exception:
            # As a TU failure (_dispatch): counted, logged, the request left unanswered.
            self.counters.internal_errors += 1
            log.exception("stateless lane failed on %s", request.method)
            return True

    def reject(self, error: ParseError, peer: Peer) -> None:
        """Answer a malformed request with the status its error hints at (400, 505, 413...)
        when its headers are readable enough to build a response; else drop it."""
        headers = error.headers
        if not error.can_respond or headers is None or "via" not in headers:
            self.counters.malformed_dropped += 1
            return
        try:
            via = stamp_via(headers, peer)
            response = make_response(headers, error.status_hint, to_tag=secrets.token_hex(6))
            data = bytes(response)
        except (ParseError, ValueError):
            self.counters.malformed_dropped += 1
            return
        self.counters.malformed_answered += 1
        self._transmit(data, response_peer(via, peer))

    def framing_failed(self, error: ParseError, peer: Peer) -> None:
        """A stream that cannot be framed: answer if possible; the caller closes it."""
        self.counters.framing_errors += 1
        self.reject(error, peer)

    def connection_made(self, connection: Connection) -> bool:
        """Register a new connection; False when over max_connections (refuse it)."""
        if len(self.connections) >= self.config.max_connections:
            self.counters.connections_refused += 1
            return False
        self.connections.add(connection)
        self.counters.connections_accepted += 1
        return True

    def connection_lost(self, connection: Connection) -> None:
        self.connections.remove(connection)

    # --- the adapter core -------------------------------------------------------------------

    def _running_loop_time(self) -> float:
        """Before start() (a manager driven by tests or a harness): the clock of the loop it
        was given, else of the running loop."""
        loop = self._loop or asyncio.get_running_loop()
        return loop.time()

    def _process(self) -> None:
        """Drain the layer: events to the TU, datagrams to the wire; then the timer."""
        if self._busy:
            return  # a send from inside on_event: the outer call drains it
        self._busy = True
        layer = self.layer
        now: float | None = None
        try:
            for _ in range(100_000):  # bounded; each pass consumes queued output
                event = layer.next_event()
                if event is not None:
                    self._dispatch(event)
                    continue
                if now is None:
                    now = self._now()
                datagrams = layer.datagrams_to_send(now)
                if not datagrams:
                    break
                for data, addr in datagrams:
                    # Most addresses are the Peers the datagrams came from (as_peer as is).
                    self._transmit(data, addr if type(addr) is Peer else as_peer(addr))
        finally:
            self._busy = False
        self._arm_timer()

    def _dispatch(self, event: TransactionEvent) -> None:
        if isinstance(event, MalformedMessageReceived):
            self.reject(event.error, as_peer(event.source))
            return
        try:
            self.on_event(event)
        except Exception:
            self.counters.internal_errors += 1
            log.exception("TU failed on %r", event)

    def _arm_timer(self) -> None:
        if self._timer is not None:
            self._timer.arm(self.layer.get_timer())

    def _on_timer(self) -> None:
        self.layer.handle_timer(self._now())
        self._process()

    # --- sending --------------------------------------------------------------------------

    def _transmit(self, data: bytes, peer: Peer) -> None:
        if peer.transport == "UDP":
            endpoint = self._udp.get(peer.flow) or self._default_udp(peer.host)
            if endpoint is None:
                self._send_failed(peer)
            else:
                endpoint.send(data, (peer.host, peer.port))
            return
        connection = self.connections.find(peer)
        if connection is not None:
            connection.send(data)
        elif not peer.flow and peer.transport in ("TCP", "TLS") and self._loop is not None:
            self._connect_and_send(peer, data)
        else:
            # The flow is gone (RFC 5626: a response or request for a closed flow fails;
            # the peer behind a NAT cannot be reached by a new connection).
            self._send_failed(peer)

    def _default_udp(self, host: str) -> UdpEndpoint | None:
        want_v6 = ":" in host
        for endpoint in self._udp.values():
            if (":" in endpoint.local[0]) == want_v6:
                return endpoint
        return None

    def _send_failed(self, peer: Peer) -> None:
        self.counters.send_failures += 1
        self.layer.handle_transport_error(peer, self._now())  # 17.1.4 / 17.2.4
        self._process()

    def _connect_and_send(self, peer: Peer, data: bytes) -> None:
        queued = self._pending.get(peer)
        if queued is not None:
            queued.append(data)
            return
        self._pending[peer] = [data]
        assert self._loop is not None
        task = self._loop.create_task(self._connect(peer))
        self._connects.add(task)
        task.add_done_callback(self._connects.discard)

    async def _connect(self, peer: Peer) -> None:
        loop = asyncio.get_running_loop()
        context = self._client_context() if peer.transport == "TLS" else None
        try:
            _, connection = await asyncio.wait_for(loop.create_connection(
                lambda: StreamConnection(self, peer.transport), peer.host, peer.port, ssl=context),
                self.config.connect_timeout)
        except (OSError, asyncio.TimeoutError, ssl.SSLError):
            self._pending.pop(peer, None)
            self._send_failed(peer)
            return
        for data in self._pending.pop(peer, []):
            connection.send(data)

    def _client_context(self) -> ssl.SSLContext:
        if self._client_tls is None:
            self._client_tls = ssl.create_default_context(
                cafile=str(self.config.tls_ca) if self.config.tls_ca else None)
        return self._client_tls
