"""Many SIP user agents on UDP in one process, for presence: REGISTER, SUBSCRIBE and
PUBLISH with digest credentials, and every NOTIFY answered 200 and kept with the kernel's
arrival time (SO_TIMESTAMPNS), so a fan-out's latency is measured at the socket and not
after this process's own queueing.

Synchronous, one epoll selector over all sockets; every wait bounded. Requests of a batch
are retransmitted every 0.5 s (at most 6 times). Used by benchmarks/presence_fanout.py
and by the ucd presence integration test.
"""

from __future__ import annotations

import secrets
import selectors
import socket
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from uc_signal.sip import DigestClient, Request, Response, parse_message

SO_TIMESTAMPNS = 35          # Linux <asm-generic/socket.h>; also the cmsg type (SCM_TIMESTAMPNS)
_TIMESPEC = struct.Struct("@ll")
RETRANSMIT = 0.5
MAX_SENDS = 6


@dataclass(eq=False)
class Agent:
    user: str
    password: str
    domain: str
    sock: socket.socket
    tag: str = field(default_factory=lambda: secrets.token_hex(4))
    cseq: int = 0
    notifies: list[tuple[float, bytes]] = field(default_factory=list)   # (kernel arrival, raw)
    seen: set[tuple[bytes, bytes]] = field(default_factory=set)          # (Call-ID, CSeq) of NOTIFYs
    pending: tuple[str, int] | None = None     # (method, cseq) of the transaction in flight
    response: Response | None = None

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{self.domain}"

    @property
    def contact(self) -> str:
        return f"sip:{self.user}@127.0.0.1:{self.port}"

    def build(self, method: str, uri: str, *, to: str | None = None, to_tag: str = "", call_id: str,
              extra: str = "", body: str = "") -> bytes:
        self.cseq += 1
        self.pending = (method, self.cseq)
        self.response = None
        return (f"{method} {uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{secrets.token_hex(8)};rport\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <{self.aor}>;tag={self.tag}\r\n"
                f"To: <{to or uri}>" + (f";tag={to_tag}" if to_tag else "") + "\r\n"
                f"Call-ID: {call_id}\r\n"
                f"CSeq: {self.cseq} {method}\r\n"
                f"Contact: <{self.contact}>\r\n"
                f"{extra}Content-Length: {len(body.encode())}\r\n\r\n{body}").encode()


# Builds one request; the argument is an Authorization/Proxy-Authorization line or "".
Builder = Callable[[str], bytes]


class Agents:
    def __init__(self, server: tuple[str, int], domain: str) -> None:
        self.server = server
        self.domain = domain
        self.selector = selectors.DefaultSelector()
        self.agents: list[Agent] = []

    def add(self, user: str, password: str) -> Agent:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        agent = Agent(user, password, self.domain, sock)
        self.selector.register(sock, selectors.EVENT_READ, agent)
        self.agents.append(agent)
        return agent

    def close(self) -> None:
        for agent in self.agents:
            self.selector.unregister(agent.sock)
            agent.sock.close()
        self.selector.close()

    # --- receiving ---------------------------------------------------------------------------

    def pump(self, timeout: float) -> int:
        """Read what arrives for up to `timeout` s (returns early once a read finds nothing
        more); answers NOTIFYs; returns how many datagrams were read."""
        count = 0
        for key, _ in self.selector.select(timeout):
            agent: Agent = key.data
            while True:
                try:
                    data, ancillary, _, _ = agent.sock.recvmsg(65535, socket.CMSG_SPACE(_TIMESPEC.size))
                except BlockingIOError:
                    break
                arrived = time.time()
                for level, kind, value in ancillary:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= _TIMESPEC.size:
                        seconds, nanoseconds = _TIMESPEC.unpack_from(value)
                        arrived = seconds + nanoseconds / 1e9
                count += 1
                self._received(agent, data, arrived)
        return count

    def _received(self, agent: Agent, data: bytes, arrived: float) -> None:
        if data.startswith(b"NOTIFY "):
            key = (raw_header(data, b"call-id"), raw_header(data, b"cseq"))
            if key not in agent.seen:   # a retransmission is answered again, not counted again
                agent.seen.add(key)
                agent.notifies.append((arrived, data))
            agent.sock.sendto(ok_for(data), self.server)
            return
        if not data.startswith(b"SIP/2.0 "):
            return
        message = parse_message(data)
        if not isinstance(message, Response) or message.status < 200 or message.cseq is None:
            return
        if agent.pending == (message.cseq.method, message.cseq.seq):
            agent.response = message
            agent.pending = None

    def wait(self, until: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not until():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.pump(min(left, 0.05))
        return True

    # --- transactions -----------------------------------------------------------------------------

    def transact(self, work: Iterable[tuple[Agent, Builder]], *, window: int = 200, method: str,
                 uri_of: Callable[[Agent], str]) -> dict[Agent, Response]:
        """Each agent sends its request; a 401/407 is answered once with credentials;
        returns each agent's final response (agents with none are left out)."""
        queue = list(work)
        results: dict[Agent, Response] = {}
        for start in range(0, len(queue), window):
            batch = queue[start:start + window]
            for auth_round in range(2):
                live = [(agent, build) for agent, build in batch if agent not in results]
                sent: dict[Agent, bytes] = {}
                for agent, build in live:
                    header = ""
                    if auth_round == 1:
                        challenge = agent.response
                        assert challenge is not None
                        name = "WWW-Authenticate" if challenge.status == 401 else "Proxy-Authenticate"
                        value = challenge.headers.get_all(name)[-1]
                        header = ("Authorization" if challenge.status == 401 else "Proxy-Authorization") + ": " + \
                            DigestClient(agent.user, agent.password).authorize(value, method, uri_of(agent)) + "\r\n"
                    sent[agent] = build(header)
                for _ in range(MAX_SENDS):
                    for agent, data in sent.items():
                        if agent.pending is not None:
                            agent.sock.sendto(data, self.server)
                    if self.wait(lambda: all(a.pending is None for a in sent), RETRANSMIT):
                        break
                for agent in sent:
                    response = agent.response
                    if response is not None and (auth_round == 1 or response.status not in (401, 407)):
                        results[agent] = response
        return results


def raw_header(message: bytes, name: bytes) -> bytes:
    """The value of the first header `name` (lower case, long form) of a raw message."""
    for line in message.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, colon, value = line.partition(b":")
        if colon and key.strip().lower() == name:
            return value.strip()
    return b""


def ok_for(notify: bytes) -> bytes:
    """200 OK to a NOTIFY, from its raw head: Via, From, To, Call-ID and CSeq copied
    (RFC 3261 8.2.6.2; the To tag is there already, it is our dialog)."""
    head = notify.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    keep = [line for line in head[1:] if line[:4].lower() in (b"via:", b"from", b"to: ", b"call", b"cseq")
            or line[:2].lower() in (b"v:", b"f:", b"t:", b"i:")]
    return b"SIP/2.0 200 OK\r\n" + b"\r\n".join(keep) + b"\r\nContent-Length: 0\r\n\r\n"


def notify_request(raw: bytes) -> Request:
    message = parse_message(raw)
    assert isinstance(message, Request)
    return message
