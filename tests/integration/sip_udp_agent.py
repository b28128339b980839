"""A small SIP user agent over UDP for daemon tests: REGISTER and MESSAGE with digest
authentication (blocking calls), while a reader thread answers incoming requests (MESSAGE
with `answer`, anything else 200) and collects them. Every wait is bounded; retransmission is not needed on loopback."""

from __future__ import annotations

import queue
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from uc_signal.sip import DigestClient, Request, Response, make_response, parse_message


@dataclass
class UdpAgent:
    user: str
    password: str
    domain: str
    server: tuple[str, int]
    answer: int = 200
    sock: socket.socket = field(init=False)
    received: list[Request] = field(default_factory=list)   # MESSAGEs accepted
    requests: list[Request] = field(default_factory=list)   # every request that came in, as it came

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.digest = DigestClient(self.user, self.password)
        self.call_id = secrets.token_hex(8)
        self.cseq = 0
        self._responses: queue.Queue[Response] = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def close(self) -> None:
        self._closed = True
        self.sock.close()
        self._reader.join(timeout=5)

    def _read(self) -> None:
        self.sock.settimeout(0.2)
        while not self._closed:
            try:
                data, source = self.sock.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            message = parse_message(data)
            if isinstance(message, Response):
                self._responses.put(message)
                continue
            with self._lock:
                self.requests.append(message)
            status = self.answer if message.method == "MESSAGE" else 200
            response = make_response(message, status, to_tag=secrets.token_hex(4))
            try:
                self.sock.sendto(bytes(response), source)
            except OSError:
                return
            if message.method == "MESSAGE" and status < 300:
                with self._lock:
                    self.received.append(message)

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{self.domain}"

    def _request(self, method: str, uri: str, to: str, extra: str = "", body: bytes = b"",
                 call_id: str | None = None) -> bytes:
        self.cseq += 1
        head = (f"{method} {uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{secrets.token_hex(8)};rport\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <{self.aor}>;tag={secrets.token_hex(4)}\r\n"
                f"To: <{to}>\r\n"
                f"Call-ID: {call_id or secrets.token_hex(8)}\r\n"
                f"CSeq: {self.cseq} {method}\r\n"
                f"Contact: <sip:{self.user}@127.0.0.1:{self.port}>\r\n"
                f"{extra}Content-Length: {len(body)}\r\n\r\n")
        return head.encode() + body

    def _transact(self, build, method: str, uri: str, timeout: float) -> Response:  # type: ignore[no-untyped-def]
        self.sock.sendto(build(""), self.server)
        response = self._final(method, timeout)
        if response.status in (401, 407):
            header = "WWW-Authenticate" if response.status == 401 else "Proxy-Authenticate"
            auth_header = "Authorization" if response.status == 401 else "Proxy-Authorization"
            auth = self.digest.authorize(response.headers.get_all(header)[-1], method, uri)
            self.sock.sendto(build(f"{auth_header}: {auth}\r\n"), self.server)
            response = self._final(method, timeout)
        return response

    def register(self, expires: int = 300, timeout: float = 10.0) -> Response:
        uri = f"sip:{self.domain}"
        return self._transact(lambda extra: self._request("REGISTER", uri, self.aor, f"Expires: {expires}\r\n" + extra,
                                                          call_id=self.call_id), "REGISTER", uri, timeout)

    def message(self, to: str, text: str, content_type: str = "text/plain", timeout: float = 20.0) -> Response:
        body = text.encode()
        return self._transact(lambda extra: self._request("MESSAGE", to, to, f"Content-Type: {content_type}\r\n" + extra,
                                                          body), "MESSAGE", to, timeout)

    def _final(self, method: str, timeout: float) -> Response:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self._responses.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if message.status >= 200 and message.cseq is not None and message.cseq.method == method:
                return message
        raise AssertionError(f"{self.user}: no final answer to {method} in {timeout} s")

    def wait_messages(self, count: int, timeout: float = 20.0) -> list[Request]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    break
            time.sleep(0.02)
        with self._lock:
            return list(self.received)


    def wait_requests(self, method: str, until: Callable[[list[Request]], bool], timeout: float = 20.0
                      ) -> list[Request]:
        """The `method` requests that came in, once `until` holds for them (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [r for r in self.requests if r.method == method]
            if until(found) or time.monotonic() >= deadline:
                return found
            time.sleep(0.02)


def udp_agents(server: tuple[str, int], domain: str, *users: str) -> list[UdpAgent]:
    """An agent per user, each with the password `<user>-pw` (ucd_harness's Ucd.add_users)."""
    return [UdpAgent(user, f"{user}-pw", domain, server) for user in users]
