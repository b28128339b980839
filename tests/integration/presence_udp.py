"""What the presence and resource-list tests against ucd share: a UDP endpoint that
answers every NOTIFY 200 and keeps the new ones, a user's endpoint on it that sends
requests with digest credentials, a PIDF document, and the state a presence NOTIFY
shows. Every wait is bounded."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from uc_signal.sip import DigestClient, Request, Response, make_response, parse_message

DOMAIN = "example.test"


class NotifyAnsweringSocket:
    """A UDP socket on loopback towards `server`: NOTIFYs answered 200 and kept in
    `notifies` (a retransmission, the same CSeq again, only answered)."""

    def __init__(self, server: tuple[str, int], poll: float) -> None:
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(poll)
        self.port = self.sock.getsockname()[1]
        self.cseq = 0
        self.notifies: list[Request] = []

    def close(self) -> None:
        self.sock.close()

    def response(self, timeout: float = 20.0) -> Response:
        """The next final response."""
        found = self.receive(lambda m: isinstance(m, Response) and m.status >= 200, timeout, "final response")
        assert isinstance(found, Response)
        return found

    def notify(self, timeout: float = 20.0) -> Request:
        """The next new NOTIFY."""
        found = self.receive(lambda m: isinstance(m, Request) and m.method == "NOTIFY", timeout, "NOTIFY")
        assert isinstance(found, Request)
        return found

    def receive(self, wanted: Callable[[Request | Response], bool], timeout: float, what: str) -> Request | Response:
        """The first message `wanted` within `timeout` seconds; AssertionError if none."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data, _ = self.sock.recvfrom(70000)
            except socket.timeout:
                continue
            message = parse_message(data)
            if isinstance(message, Request) and message.method == "NOTIFY":
                self.sock.sendto(bytes(make_response(message, 200)), self.server)
                if any(n.cseq == message.cseq for n in self.notifies):
                    continue   # a retransmission
                self.notifies.append(message)
            if wanted(message):
                return message
        raise AssertionError(f"no {what} within {timeout} s")


class UdpUser(NotifyAnsweringSocket):
    """One user's UDP endpoint (password `<user>-pw`): requests answered once with
    digest credentials (401 or 407), NOTIFYs answered 200."""

    def __init__(self, user: str, server: tuple[str, int], poll: float = 0.2) -> None:
        super().__init__(server, poll)
        self.user = user

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{DOMAIN}"

    def _send(self, method: str, uri: str, call_id: str, headers: str, body: str, to: str) -> None:
        self.cseq += 1
        content = "Content-Type: application/pidf+xml\r\n" if body else ""
        message = (f"{method} {uri} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK-{self.user}-{self.cseq};rport\r\n"
                   f"Max-Forwards: 70\r\nFrom: <{self.aor}>;tag={self.user}-tag\r\nTo: {to}\r\n"
                   f"Call-ID: {call_id}\r\nCSeq: {self.cseq} {method}\r\n"
                   f"Contact: <sip:{self.user}@127.0.0.1:{self.port}>\r\n{headers}{content}"
                   f"Content-Length: {len(body.encode())}\r\n\r\n{body}")
        self.sock.sendto(message.encode(), self.server)

    def request(self, method: str, uri: str, call_id: str, headers: str = "", body: str = "",
                to: str | None = None) -> Response:
        """Send; a 401 or 407 is answered once with credentials. The final response."""
        to = to or f"<{uri}>"
        self._send(method, uri, call_id, headers, body, to)
        response = self.response()
        if response.status in (401, 407):
            challenge, field = ("WWW-Authenticate", "Authorization") if response.status == 401 else \
                ("Proxy-Authenticate", "Proxy-Authorization")
            auth = DigestClient(self.user, f"{self.user}-pw").authorize(
                response.headers.get_all(challenge)[-1], method, uri)
            self._send(method, uri, call_id, headers + f"{field}: {auth}\r\n", body, to)
            response = self.response()
        return response

    def register(self) -> Response:
        return self.request("REGISTER", f"sip:{DOMAIN}", f"reg-{self.user}", "Expires: 600\r\n",
                            to=f"<{self.aor}>")

    def quiet(self, seconds: float) -> list[Request]:
        """The NOTIFYs that arrive within `seconds` (answered)."""
        before = len(self.notifies)
        try:
            self.receive(lambda m: False, seconds, "message")
        except AssertionError:
            pass
        return self.notifies[before:]


def pidf(user: str, activities: str = "") -> str:
    """`user`'s PIDF document: open, with the RPID activities given (none: Available)."""
    person = (f'<dm:person id="p"><rpid:activities>{activities}</rpid:activities></dm:person>'
              if activities else "")
    return ('<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
            'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" '
            f'entity="sip:{user}@{DOMAIN}"><tuple id="t"><status><basic>open</basic></status></tuple>{person}'
            '</presence>')


def shown_state(body: bytes) -> str:
    """The availability a presence NOTIFY's body shows (<ucs:state>), or "" if none."""
    text = body.decode()
    start = text.find("<ucs:state>")
    return text[start + 11:text.index("</ucs:state>")] if start >= 0 else ""
