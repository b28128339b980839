"""An in-memory network for registrar and proxy tests: the proxy core on a transaction
layer, user agents on their own layers, datagrams moved through the real serializer and
parser, and a clock advanced by hand (wall-clock-like seconds, starting at T0).

The proxy's receive path mirrors the transport manager's UDP path without sockets:
parse_datagram (a ParseError is answered with its status hint), Via stamping (18.2.1),
the transaction layer, and its events to `ProxyCore.handle_event`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from uc_signal.directory import InMemoryBindingStore, InMemoryUserDirectory
from uc_signal.local_domains import LocalDomains
from uc_signal.proxy import LayerSender, SipServices, build_services
from uc_signal.proxy.services import ApplicationFactory
from uc_signal.registrar import RegistrarConfig
from uc_signal.sip import (DigestClient, MalformedMessageReceived, ParseError, Request, Response,
                           RequestReceived, ResponseReceived, TransactionLayer, make_response,
                           parse_datagram, parse_message)
from uc_signal.sip.derived_requests import new_branch
from uc_signal.transport.peer import Peer, as_peer
from uc_signal.transport.via_handling import response_peer, stamp_via

T0 = 1_800_000_000.0
DOMAIN = "example.com"
PROXY = Peer("192.0.2.1", 5060, "UDP", "udp0")
SECRET = b"0123456789abcdef-proxy-tests"


class UserAgent:
    """A UA on its own transaction layer: sends requests to the proxy, collects events,
    answers what the test tells it to."""

    def __init__(self, net: Network, name: str, address: Peer) -> None:
        self.net = net
        self.name = name
        self.address = address
        self.layer = TransactionLayer()
        self.events: list[Any] = []
        self.cseq = 0
        self.call_id = f"{name}-{secrets.token_hex(4)}"
        self.digest = DigestClient(name, "secret-" + name)
        # Answers new requests as they arrive (status, headers), or leaves them to the test.
        self.autoanswer: Callable[[RequestReceived], tuple[int, list[tuple[str, str]]] | None] | None = None

    @property
    def contact(self) -> str:
        return f"sip:{self.name}@{self.address.host}:{self.address.port}"

    def request(self, method: str, uri: str, *, to: str | None = None, extra: str = "",
                call_id: str | None = None, cseq: int | None = None, from_user: str | None = None,
                body: str = "", to_tag: str | None = None, contact: str | None = None) -> Request:
        self.cseq = cseq if cseq is not None else self.cseq + 1
        user = from_user or self.name
        to_value = f"<{to or uri}>" + (f";tag={to_tag}" if to_tag else "")
        raw = (f"{method} {uri} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {self.address.host}:{self.address.port};branch={new_branch()};rport\r\n"
               "Max-Forwards: 70\r\n"
               f"From: <sip:{user}@{DOMAIN}>;tag={self.name}-tag\r\n"
               f"To: {to_value}\r\n"
               f"Call-ID: {call_id or self.call_id}\r\n"
               f"CSeq: {self.cseq} {method}\r\n"
               + (f"Contact: <{self.contact}>\r\n" if contact is None else contact) +
               f"{extra}"
               f"Content-Length: {len(body)}\r\n\r\n{body}")
        message = parse_message(raw.encode())
        assert isinstance(message, Request)
        return message

    def send(self, request: Request) -> Any:
        return self.layer.send_request(request, PROXY, self.net.now)

    def send_stateless(self, request: Request) -> None:
        self.layer.send_stateless(request, PROXY)

    def requests(self, method: str | None = None) -> list[RequestReceived]:
        return [e for e in self.events if isinstance(e, RequestReceived)
                and (method is None or e.request.method == method)]

    def responses(self, method: str | None = None) -> list[Response]:
        return [e.response for e in self.events if isinstance(e, ResponseReceived)
                and (method is None or (e.response.cseq and e.response.cseq.method == method))]

    def final(self, method: str | None = None) -> Response:
        finals = [r for r in self.responses(method) if r.status >= 200]
        assert finals, f"{self.name} got no final response: {self.responses(method)}"
        return finals[-1]

    def answer(self, event: RequestReceived, status: int, *, to_tag: str | None = None,
               headers: list[tuple[str, str]] | None = None) -> Response:
        response = make_response(event.request, status, to_tag=to_tag or f"{self.name}-totag")
        if status < 300 and event.request.method == "INVITE":
            response.headers.add("Contact", f"<{self.contact}>")
            for value in event.request.headers.get_all("Record-Route"):  # 12.1.1
                response.headers.add("Record-Route", value)
        for name, value in headers or ():
            response.headers.add(name, value)
        self.layer.send_response(response, self.net.now, event.transaction)
        return response

    def register(self, *, expires: int = 3600, contact_params: str = "", extra: str = "",
                 contact: str | None = None) -> Response:
        """REGISTER, answer the challenge, return the final response."""
        aor = f"sip:{self.name}@{DOMAIN}"
        contact_field = f"Contact: <{contact or self.contact}>{contact_params}\r\n"
        headers = f"Expires: {expires}\r\n{extra}"
        first = self._register_request(aor, contact_field, headers)
        self.send(first)
        self.net.run()
        response = self.final("REGISTER")
        if response.status == 401:
            challenge = response.headers.get_all("WWW-Authenticate")[-1]  # MD5 listed last
            auth = self.digest.authorize(challenge, "REGISTER", f"sip:{DOMAIN}")
            second = self._register_request(aor, contact_field, headers + f"Authorization: {auth}\r\n")
            self.send(second)
            self.net.run()
            response = self.final("REGISTER")
        return response

    def _register_request(self, aor: str, contact_field: str, headers: str) -> Request:
        return self.request("REGISTER", f"sip:{DOMAIN}", to=aor, extra=headers, contact=contact_field)


@dataclass
class Network:
    now: float = T0
    agents: dict[tuple[str, int], UserAgent] = field(default_factory=dict)
    users: InMemoryUserDirectory = field(default_factory=InMemoryUserDirectory)
    store: InMemoryBindingStore = field(default_factory=InMemoryBindingStore)
    proxy_out: list[tuple[bytes, Peer]] = field(default_factory=list)   # everything the proxy sent
    unanswered: list[bytes] = field(default_factory=list)               # datagrams to nowhere
    sinks: dict[str, list[bytes]] = field(default_factory=dict)  # raw receivers, any port of a host
    registrar_config: RegistrarConfig = field(default_factory=RegistrarConfig)
    applications: tuple[ApplicationFactory, ...] = ()   # the chain between registrar and proxy
    # Whether a connection flow token still has its connection (ucd: the transport
    # manager); None: every flow counts as open.
    flow_alive: Callable[[str], bool] | None = None

    def __post_init__(self) -> None:
        self.layer = TransactionLayer(send_100_trying=True, retransmit_2xx=False)
        self.sender = LayerSender(self.layer, self.now)
        self.services: SipServices = self.start_services()

    def start_services(self) -> SipServices:
        """(Re)build the services over the same store: a restart of the daemon."""
        self.services = build_services(
            self.sender, domains=LocalDomains((DOMAIN,), addresses=((PROXY.host, PROXY.port),)),
            users=self.users, store=self.store, secret=SECRET, listen={"UDP": (PROXY.host, PROXY.port)},
            now=self.now, registrar_config=self.registrar_config, applications=self.applications,
            flow_alive=self.flow_alive)
        return self.services

    @property
    def core(self) -> Any:
        return self.services.core

    def agent(self, name: str, host: str, *, user: bool = True) -> UserAgent:
        if user:
            self.users.add_user(name, DOMAIN, "secret-" + name)
        ua = UserAgent(self, name, Peer(host, 5060))
        self.agents[(host, 5060)] = ua
        return ua

    # --- moving datagrams -----------------------------------------------------------------

    def proxy_receive(self, data: bytes, source: Peer) -> None:
        self.sender.now = self.now
        try:
            message = parse_datagram(data)
        except ParseError as error:
            self._reject(error, source)
            return
        if message is None:
            return
        if isinstance(message, Request):
            stamp_via(message.headers, source)
        self.layer.receive(message, source, self.now)
        self.drain()

    def drain(self) -> None:
        self.sender.now = self.now
        for _ in range(10_000):
            event = self.layer.next_event()
            if event is None:
                return
            if isinstance(event, MalformedMessageReceived):
                self._reject(event.error, as_peer(event.source))
            else:
                self.core.handle_event(event, self.now)
        raise AssertionError("event storm")

    def _reject(self, error: ParseError, source: Peer) -> None:
        """What TransportManager.reject does: the status hint, when a response can be built."""
        headers = error.headers
        if not error.can_respond or headers is None or "via" not in headers:
            return
        via = stamp_via(headers, source)
        response = make_response(headers, error.status_hint, to_tag="rejected")
        self.proxy_out.append((bytes(response), response_peer(via, source)))
        self._deliver(PROXY, bytes(response), response_peer(via, source))

    def run(self, rounds: int = 50) -> None:
        """Move every queued datagram until the network is quiet (bounded)."""
        for _ in range(rounds):
            moved = False
            self.drain()
            for data, dest in self.layer.datagrams_to_send(self.now):
                peer = as_peer(dest)
                self.proxy_out.append((data, peer))
                self._deliver(PROXY, data, peer)
                moved = True
            for ua in list(self.agents.values()):
                for data, dest in ua.layer.datagrams_to_send(self.now):
                    self._deliver(ua.address, data, as_peer(dest))
                    moved = True
                while (event := ua.layer.next_event()) is not None:
                    ua.events.append(event)
                    if ua.autoanswer is not None and isinstance(event, RequestReceived) and event.transaction:
                        answer = ua.autoanswer(event)
                        if answer is not None:
                            ua.answer(event, answer[0], headers=answer[1])
                            moved = True
            if not moved:
                return
        raise AssertionError("network did not settle")

    def _deliver(self, source: Peer, data: bytes, dest: Peer) -> None:
        if (dest.host, dest.port) == (PROXY.host, PROXY.port):
            self.proxy_receive(data, Peer(source.host, source.port, "UDP", "udp0"))
        elif dest.host in self.sinks:
            self.sinks[dest.host].append(data)
        elif (dest.host, dest.port) in self.agents:
            ua = self.agents[(dest.host, dest.port)]
            ua.layer.receive(data, (source.host, source.port), self.now)
        else:
            self.unanswered.append(data)

    def advance(self, seconds: float, step: float = 0.5) -> None:
        """Move the clock, firing every layer's timers and the core's on the way."""
        end = self.now + seconds
        for _ in range(int(seconds / step) + 2):
            self.now = min(end, self.now + step)
            self.sender.now = self.now
            self.layer.handle_timer(self.now)
            self.core.handle_timer(self.now)
            for ua in self.agents.values():
                ua.layer.handle_timer(self.now)
            self.run()
            if self.now >= end:
                return

    def sent_by_proxy(self, start_line: str) -> list[bytes]:
        return [data for data, _ in self.proxy_out if data.startswith(start_line.encode())]
