"""What the presence and resource-list tests against ucd share: a UDP endpoint that
answers every NOTIFY 200 and keeps the new ones, a PIDF document, and the state a
presence NOTIFY shows. Every wait is bounded."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from uc_signal.sip import Request, Response, make_response, parse_message

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
