"""Every RFC 4475 torture message sent to a real ucd over UDP gets the answer in the
manifest's `server_should` column, and ucd keeps serving (issue 4; the same checks as
tests/unit/test_proxy_torture.py, here through the daemon's sockets, store and wiring).

ucd serves example.com; `user@example.com` is registered by a raw UDP user agent that
answers as a UAS would (a thread, bounded by a stop flag and socket timeouts). Where
ucd challenges and the manifest expects more, the test creates that user through the
admin API and answers the challenge, as the UA would. After every message an OPTIONS
probe must get its answer: ucd is still serving, and (UDP on loopback being in order)
anything ucd would have said about the corpus message came before it.

Two rewrites make a corpus file testable over real sockets, and touch nothing a row
is about:
- The top Via's sent-by port becomes the tester's port. ucd answers where RFC 3261
  18.2.2 says: the source IP (a `received` is added, the corpus hosts being made-up
  names and TEST-NET addresses) and the sent-by port, which would otherwise be 5060.
- The corpus reuses a few branch values across files; with one running ucd a reused
  branch would match the earlier file's transaction (Timer J holds it for 32 s), so a
  branch already sent in this run gets a unique suffix (magic cookie kept; badbranch.dat
  has none and keeps its bare cookie).
"""

from __future__ import annotations

import re
import secrets
import socket
import threading

import httpx
import pytest

from corpus import judge_server_answer, rfc4475_dir, rfc4475_manifest, rfc4475_message, torture_uas_answer
from ucd_harness import Ucd, start_ucd
from uc_signal.sip import (DigestClient, ParseError, Request, Response, SipUri, Via, make_ack, make_response,
                           parse_datagram)

DOMAIN = "example.com"
PASSWORD = "torture-pw"
WAIT = 10.0

ROWS = rfc4475_manifest()


def test_corpus_is_present() -> None:
    # Fail, never skip: without the corpus the tests below would silently vanish.
    assert len(ROWS) == 49, f"RFC 4475 corpus not found at {rfc4475_dir()}; set UC_SHARED_DIR"


class Uas(threading.Thread):
    """user@example.com: answers requests per uas_answer, ignores ACKs and responses."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                data, source = self.sock.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            try:
                request = parse_datagram(data)
            except ParseError:
                continue
            if not isinstance(request, Request) or request.method in ("ACK", "CANCEL"):
                continue
            try:
                status, headers = torture_uas_answer(request)
            except ParseError:
                status, headers = 400, []
            response = make_response(request, status, to_tag="uas")
            for name, value in headers:
                response.headers.add(name, value)
            self.sock.sendto(bytes(response), source)


class UdpTester:
    def __init__(self, ucd: Ucd) -> None:
        self.ucd = ucd
        self.server = ucd.sip_address("UDP")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(WAIT)
        self.port = self.sock.getsockname()[1]
        self.branches: set[str] = set()
        self.probes = 0

    def unique_branches(self, data: bytes) -> bytes:
        def renumber(match: re.Match[bytes]) -> bytes:
            branch = match.group(1).decode("latin-1")
            if branch in self.branches:
                branch = f"{branch}-{secrets.token_hex(4)}"
            self.branches.add(branch)
            return b"branch=" + branch.encode("latin-1")
        return re.sub(rb"branch=(z9hG4bK[^;\s,]*)", renumber, data)

    def answer_here(self, data: bytes) -> bytes:
        """The first Via's sent-by with this socket's port (see the module docstring)."""
        via = re.search(rb"^(?:Via|v)[ \t]*:", data, re.MULTILINE | re.IGNORECASE)
        if via is None:
            return data
        sent_by = re.compile(rb"(SIP\s*/\s*\d\.\d\s*/\s*\w+\s+)([^;,\s:]+)(:\d+)?")
        return data[:via.end()] + sent_by.sub(lambda m: m.group(1) + m.group(2) + b":%d" % self.port,
                                              data[via.end():], count=1)

    def exchange(self, data: bytes) -> list[Response]:
        """Send `data`, then a probe; the final responses to `data` that came before the
        probe's answer (or with the UAS's hop, until one arrives or the bound expires)."""
        request: Request | Response | None
        try:
            request = parse_datagram(data)
        except ParseError:
            request = None
        # From the raw octets: a message that fails to parse is still answered by Call-ID.
        found = re.search(rb"^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)", data, re.MULTILINE | re.IGNORECASE)
        call_id = found.group(1).decode("latin-1") if found else None
        self.sock.sendto(data, self.server)
        self.probes += 1
        probe_id = f"probe-{self.probes}-{secrets.token_hex(4)}"
        probe = (f"OPTIONS sip:{self.server[0]}:{self.server[1]} SIP/2.0\r\n"
                 f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{secrets.token_hex(8)}\r\n"
                 "Max-Forwards: 70\r\nFrom: <sip:probe@example.net>;tag=p\r\n"
                 f"To: <sip:{self.server[0]}:{self.server[1]}>\r\nCall-ID: {probe_id}\r\n"
                 f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        self.sock.sendto(probe.encode(), self.server)
        finals: list[Response] = []
        probe_answered = False
        # A request (other than ACK) gets a final response, maybe after the UAS's hop, so
        # after the probe's; a response or an ACK gets none, so the probe's answer ends it.
        expects_final = isinstance(request, Request) and request.method != "ACK" or (
            request is None and re.match(rb"^[A-Za-z]+ ", data) is not None)
        for _ in range(50):
            if probe_answered and (finals or not expects_final):
                break
            try:
                raw, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                break
            message = parse_datagram(raw)
            if not isinstance(message, Response) or message.status < 200:
                continue
            if message.call_id == probe_id:
                probe_answered = True
            elif (message.call_id == call_id or call_id is None) and message not in finals:
                # (insuf.dat has no Call-ID: then any answer that is not the probe's)
                finals.append(message)
                if isinstance(request, Request) and request.method == "INVITE" and message.status >= 300:
                    try:
                        self.sock.sendto(bytes(make_ack(request, message)), self.server)
                    except ValueError:
                        pass  # insuf.dat: no From to build the ACK from
        assert probe_answered, "ucd stopped answering"
        return finals

    def add_user(self, user: str) -> bool:
        """Create user@example.com; False when the admin API refuses the name (422)."""
        with self.ucd.api() as api:
            response = api.post("/api/v1/users", json={"user": f"{user}@{DOMAIN}", "password": PASSWORD})
        assert response.status_code in (201, 409, 422), response.text
        return response.status_code != 422

    def retry_with_credentials(self, data: bytes, challenge: Response) -> list[Response]:
        request = parse_datagram(data)
        assert isinstance(request, Request)
        header, answer = (("WWW-Authenticate", "Authorization") if challenge.status == 401
                          else ("Proxy-Authenticate", "Proxy-Authorization"))
        who = request.to if challenge.status == 401 else request.from_
        assert who is not None and isinstance(who.uri, SipUri) and who.uri.user
        if not self.add_user(who.uri.user):
            # escnull.dat's "null-%00-null" cannot be a ucd user: the challenge is as far
            # as normal processing goes for a name no user can have.
            return [challenge]
        client = DigestClient(who.uri.user, PASSWORD)
        request.headers.add(answer, client.authorize(challenge.headers.get_all(header)[-1], request.method,
                                                     request.uri_text))
        top = request.top_via
        assert top is not None and request.cseq is not None
        request.headers.pop_first("Via")
        params = {k: v for k, v in top.params.items() if k not in ("branch", "received", "rport")}
        params["branch"] = "z9hG4bK" + secrets.token_hex(8)
        request.headers.prepend("Via", str(Via(top.transport, top.host, top.port, params)))
        request.headers.set("CSeq", f"{request.cseq.seq + 1} {request.cseq.method}")
        return self.exchange(bytes(request))


# The tests share one ucd (the module fixture below): under pytest-xdist they run on one
# worker, in order (make test: --dist loadgroup), rather than each worker making its own.
pytestmark = pytest.mark.xdist_group("test_ucd_rfc4475_udp")


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ucd-4475")
    ucd = start_ucd(tmp, {"sip": {"domain": DOMAIN}})
    uas = Uas()
    uas.start()
    tester = UdpTester(ucd)
    tester.add_user("user")
    register = (f"REGISTER sip:{DOMAIN} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{tester.port};branch=z9hG4bK{secrets.token_hex(8)}\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:user@{DOMAIN}>;tag=r\r\nTo: <sip:user@{DOMAIN}>\r\n"
                f"Call-ID: reg-{secrets.token_hex(4)}\r\nCSeq: 1 REGISTER\r\n"
                f"Contact: <sip:user@127.0.0.1:{uas.port}>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n").encode()
    challenge = tester.exchange(register)
    assert [r.status for r in challenge] == [401]
    assert [r.status for r in tester.retry_with_credentials(register, challenge[0])] == [200]
    yield ucd, tester
    uas.stopping.set()
    uas.join(timeout=WAIT)
    uas.sock.close()
    tester.sock.close()
    assert ucd.stop() == 0, ucd.output()


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_server_should_over_udp(running, row):
    ucd, tester = running
    data = tester.answer_here(tester.unique_branches(rfc4475_message(row["file"])))
    problem = judge_server_answer(row, data, tester.exchange, tester.retry_with_credentials)
    assert problem is None, f"{row['file']} ({row['server_should']}): {problem}"


def test_no_exception_escaped_to_the_transport(running):
    ucd, _ = running
    assert re.search(r"^ucd_errors_total 0\.0$", ucd.metrics(), re.MULTILINE), ucd.metrics()
    assert httpx.get(ucd.admin_url + "/healthz", timeout=WAIT).status_code == 200
