"""The C front of SIP over UDP (csrc/sip_front.c, uc_signal.transport.challenge_front)
against the pure Python path, differentially.

Two servers for example.com (registrar, caller authentication, proxy) sit behind the real
UDP entry (`UdpEndpoint.datagram_received`, no socket: the endpoint's `send` is a list):
one with the front, one without. For every datagram of a corpus (hand-written cases for
each condition the front checks, the RFC 4475 torture messages, hypothesis-made variants),
the front either passes it (the server with the front then answers exactly as the one
without), or its answer is the Python path's final answer to the same datagram: same status
line and headers in the same order, the nonce and the To tag's random part aside, and the
nonce verifies in Python's DigestAuthenticator. A retransmission gets the same bytes; the
ACK to a 407 is absorbed; /metrics counts what the front answered.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest
from corpus import rfc4475_dir, rfc4475_manifest, rfc4475_message
from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal._sipfront import ABSORB, ANSWER, PASS, RESEND, SipFront
from uc_signal.directory import InMemoryBindingStore, InMemoryUserDirectory
from uc_signal.local_domains import LocalDomains
from uc_signal.proxy import build_services
from uc_signal.sip import DigestAlgorithm, TransactionLayer, parse_datagram
from uc_signal.sip.transaction_layer import STATELESS_TAG_PREFIX
from uc_signal.transport import TransportConfig, TransportManager
from uc_signal.transport.challenge_front import challenge_front, configure_front
from uc_signal.transport.udp import UdpEndpoint

DOMAIN = "example.com"
SECRET = b"front-differential-secret-0123456789"
SOURCE = ("192.0.2.10", 5062)
LOCAL = ("127.0.0.1", 5060)


class Server:
    """Registrar + caller authentication + proxy behind the UDP entry, without sockets."""

    def __init__(self, *, front: bool, algorithms: tuple[DigestAlgorithm, ...] = (DigestAlgorithm.SHA_256,
                                                                                   DigestAlgorithm.MD5)) -> None:
        self.loop = asyncio.new_event_loop()
        config = TransportConfig(hosts=(LOCAL[0],), udp_port=LOCAL[1], tcp_port=None, tls_port=None,
                                 data_dir=Path("/nonexistent"), domain=DOMAIN)
        self.manager = TransportManager(config, self._on_event, TransactionLayer(retransmit_2xx=False))
        self.manager._loop = self.loop   # its clock; nothing runs on it
        self.endpoint = UdpEndpoint(self.manager, "udp0")
        self.endpoint.local = LOCAL
        self.manager._udp["udp0"] = self.endpoint
        self.sent: list[tuple[bytes, tuple[str, int]]] = []
        self.endpoint.send = lambda data, address: self.sent.append((data, address))  # type: ignore[method-assign]
        users = InMemoryUserDirectory()
        for user in ("alice", "bob"):
            users.add_user(user, DOMAIN, f"{user}-pw")
        self.services = build_services(
            self.manager, domains=LocalDomains((DOMAIN,), addresses=(LOCAL,)), users=users,
            store=InMemoryBindingStore(), secret=SECRET, listen={"UDP": LOCAL}, now=time.time(),
            digest_algorithms=algorithms)
        if front:
            self.manager.front = challenge_front(SECRET, self.services.registrar.authenticators,
                                                 self.services.applications.caller_auth.authenticators)

    def _on_event(self, event: object) -> None:
        self.services.core.handle_event(event, time.time())  # type: ignore[arg-type]

    def feed(self, data: bytes, source: tuple[str, int] = SOURCE) -> list[tuple[bytes, tuple[str, int]]]:
        self.sent.clear()
        self.endpoint.datagram_received(data, source)
        return list(self.sent)

    def close(self) -> None:
        self.loop.close()


@pytest.fixture
def servers():
    python, fronted = Server(front=False), Server(front=True)
    yield python, fronted
    python.close()
    fronted.close()


def request(method: str = "REGISTER", *, uri: str | None = None, via: str | None = None,
            from_: str = "<sip:alice@example.com>;tag=f1", to: str | None = None, cseq: int = 1,
            extra: str = "", body: bytes = b"", call_id: str = "c1@host", branch: str = "z9hG4bKb1") -> bytes:
    if uri is None:
        uri = f"sip:{DOMAIN}" if method == "REGISTER" else f"sip:bob@{DOMAIN}"
    if to is None:
        to = "<sip:alice@example.com>" if method == "REGISTER" else "<sip:bob@example.com>"
    via = via or f"SIP/2.0/UDP {SOURCE[0]}:{SOURCE[1]};branch={branch};rport"
    head = (f"{method} {uri} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\nFrom: {from_}\r\nTo: {to}\r\n"
            f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContact: <sip:alice@{SOURCE[0]}:{SOURCE[1]}>\r\n"
            f"{extra}Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


SDP = b"v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"

# (name, datagram, whether the front must answer it): each condition the front checks.
CASES = [
    ("register", request(), True),
    ("register-no-rport", request(via="SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKnr"), True),
    ("register-other-host", request(via="SIP/2.0/UDP host.example.net;branch=z9hG4bKoh;rport"), True),
    ("register-user-uri", request(uri="sip:alice@example.com"), True),
    ("register-case", request(uri="sip:EXAMPLE.com", to="<sip:alice@Example.COM>"), True),
    ("register-expires", request(extra="Expires: 0\r\nUser-Agent: test/1.0\r\nSupported: path, gruu\r\n"), True),
    ("register-display-from", request(from_="Alice <sip:alice@example.com>;tag=f1"), True),
    ("register-baresip-like", request(extra="User-Agent: baresip v3.10.1 (x86_64/linux)\r\n"
                                            "Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,UPDATE,REFER\r\n"
                                            "Supported: gruu,path,replaces\r\n").replace(
        b"Contact: <sip:alice@192.0.2.10:5062>",
        b'Contact: <sip:alice-0x55d1@192.0.2.10:5062;transport=udp>;expires=3600'
        b';+sip.instance="<urn:uuid:a0b1c2d3-0000-4000-8000-000000000001>";reg-id=1'), True),
    ("register-quoted-display-contact", request().replace(
        b"Contact: <sip:alice@192.0.2.10:5062>", b'Contact: "Alice" <sip:alice@192.0.2.10:5062>'), False),
    ("register-quoted-pair-contact", request().replace(
        b"Contact: <sip:alice@192.0.2.10:5062>", b'Contact: <sip:alice@192.0.2.10:5062>;x="a\\"b"'), False),
    ("register-quoted-expires", request().replace(
        b"Contact: <sip:alice@192.0.2.10:5062>", b'Contact: <sip:alice@192.0.2.10:5062>;expires="60"'), False),
    ("register-utf8-user-agent", request(extra="User-Agent: caf\u00e9\r\n"), False),
    ("register-credentials", request(extra='Authorization: Digest username="alice", realm="example.com", '
                                           'nonce="x", uri="sip:example.com", response="0"\r\n'), False),
    ("register-require", request(extra="Require: foo\r\n"), False),
    ("register-require-ok", request(extra="Require: path\r\n"), False),
    ("register-foreign", request(uri="sip:example.org", to="<sip:alice@example.org>"), False),
    ("register-to-foreign", request(to="<sip:alice@example.org>"), False),
    ("register-to-no-user", request(to="<sip:example.com>"), False),
    ("register-to-tag", request(to="<sip:alice@example.com>;tag=t1"), False),
    ("register-star", request(extra="Contact: *\r\n").replace(
        b"Contact: <sip:alice@192.0.2.10:5062>\r\n", b""), False),
    ("register-body", request(body=b"hello"), False),
    ("register-bad-max-forwards", request().replace(b"Max-Forwards: 70", b"Max-Forwards: 300"), False),
    ("register-compact", request().replace(b"Call-ID:", b"i:"), False),
    ("register-folded", request().replace(b"CSeq: 1 REGISTER", b"CSeq: 1\r\n REGISTER"), False),
    ("register-two-vias", request(via="SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKtv;rport\r\n"
                                      "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKup"), False),
    ("register-legacy-branch", request(branch="1234"), False),
    ("register-received", request(via="SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKrc;received=10.0.0.9"), False),
    ("register-cseq-method", request().replace(b"CSeq: 1 REGISTER", b"CSeq: 1 OPTIONS"), False),
    ("invite", request("INVITE", extra="Content-Type: application/sdp\r\n", body=SDP, branch="z9hG4bKi1"), True),
    ("invite-no-body", request("INVITE", branch="z9hG4bKi2"), True),
    ("message", request("MESSAGE", extra="Content-Type: text/plain\r\n", body=b"hi", branch="z9hG4bKm1"), True),
    ("message-other-to", request("MESSAGE", to="<sip:carol@example.org>", branch="z9hG4bKm2"), True),
    ("invite-to-tag", request("INVITE", to="<sip:bob@example.com>;tag=b1"), False),
    ("invite-foreign-from", request("INVITE", from_="<sip:mallory@example.org>;tag=m"), False),
    ("invite-foreign-uri", request("INVITE", uri="sip:bob@example.org"), False),
    ("invite-server-uri", request("INVITE", uri="sip:127.0.0.1"), False),
    ("invite-no-user", request("INVITE", uri="sip:example.com"), False),
    ("invite-conference", request("INVITE", uri="sip:bob@example.com;gruu;opaque=app:conf:focus:id:x"), False),
    ("invite-global-number", request("INVITE", uri="sip:+15551234@example.com"), False),
    ("invite-route", request("INVITE", extra="Route: <sip:127.0.0.1;lr>\r\n"), False),
    ("invite-proxy-require", request("INVITE", extra="Proxy-Require: foo\r\n"), False),
    ("invite-max-forwards-0", request("INVITE").replace(b"Max-Forwards: 70", b"Max-Forwards: 0"), False),
    ("invite-credentials", request("INVITE", extra='Proxy-Authorization: Digest username="alice"\r\n'), False),
    ("options", request("OPTIONS"), False),
    ("subscribe", request("SUBSCRIBE", extra="Event: presence\r\n"), False),
]


def _final(sent: list[tuple[bytes, tuple[str, int]]]) -> tuple[bytes, tuple[str, int]] | None:
    finals = [(data, address) for data, address in sent if not data.startswith(b"SIP/2.0 1")]
    assert len(finals) <= 1, finals
    return finals[0] if finals else None


def _normalised(data: bytes) -> str:
    """The answer with its nonces and its To tag blanked (both differ between any two)."""
    text = re.sub(r'nonce="[^"]*"', 'nonce="N"', data.decode("utf-8", "surrogateescape"))
    return re.sub(r"^(To: [^\r]*;tag=)[^;\r]*", r"\1T", text, flags=re.MULTILINE)


def check_same_answer(python: Server, fronted: Server, data: bytes, source: tuple[str, int] = SOURCE) -> int:
    """Feed `data` to both; return the front's verdict after checking the answers agree."""
    front = fronted.manager.front
    assert front is not None
    before = front.counters()
    python_absorbed = python.manager.layer.stateless_acks_absorbed
    python_sent = _final(python.feed(data, source))
    fronted_sent = _final(fronted.feed(data, source))
    after = front.counters()
    answered = sum(after["answered"].values()) - sum(before["answered"].values())
    assert after["resent"] == before["resent"]   # every datagram here is new
    if after["absorbed"] != before["absorbed"]:
        # an ACK to a stateless answer: the Python path absorbs it too, answering nothing
        assert python_sent is None and fronted_sent is None
        assert python.manager.layer.stateless_acks_absorbed == python_absorbed + 1
        return ABSORB
    if not answered:
        # passed: the same Python path answers (tags and nonces apart)
        assert (python_sent is None) == (fronted_sent is None)
        if python_sent is not None and fronted_sent is not None:
            assert _normalised(python_sent[0]) == _normalised(fronted_sent[0])
        return PASS
    assert python_sent is not None and fronted_sent is not None, (data, python_sent)
    assert _normalised(fronted_sent[0]) == _normalised(python_sent[0]), (fronted_sent[0], python_sent[0])
    assert fronted_sent[1] == python_sent[1]   # sent to the same address
    response = parse_datagram(fronted_sent[0])
    assert response is not None and response.to is not None and response.to.tag is not None
    assert response.to.tag.startswith(STATELESS_TAG_PREFIX)
    registrar = response.status == 401
    authenticators = (fronted.services.registrar.authenticators if registrar
                      else fronted.services.applications.caller_auth.authenticators)
    header = "WWW-Authenticate" if registrar else "Proxy-Authenticate"
    for value in response.headers.get_all(header):
        nonce = re.search(r'nonce="([^"]+)"', value)
        assert nonce is not None
        issued = authenticators[DOMAIN].nonce_issued_at(nonce.group(1))
        assert issued is not None and abs(issued - time.time()) < 60
    return ANSWER


@pytest.mark.parametrize("name,data,answers", CASES, ids=[case[0] for case in CASES])
def test_front_answers_as_python_or_passes(servers, name, data, answers):
    python, fronted = servers
    verdict = check_same_answer(python, fronted, data)
    assert (verdict == ANSWER) == answers, name


def test_a_retransmission_gets_the_same_bytes_and_the_ack_is_absorbed(servers):
    python, fronted = servers
    invite = request("INVITE", branch="z9hG4bKrt1")
    first = fronted.feed(invite)
    again = fronted.feed(invite)
    assert len(first) == 1 and first == again
    front = fronted.manager.front
    assert front is not None and front.counters()["resent"] == 1
    response = parse_datagram(first[0][0])
    assert response is not None and response.to is not None
    ack = request("ACK", to=str(response.to), branch="z9hG4bKrt1").replace(
        b"Contact: <sip:alice@192.0.2.10:5062>\r\n", b"")
    assert fronted.feed(ack) == []
    assert front.counters()["absorbed"] == 1
    # The Python path absorbs the same ACK too (same stateless tag prefix): nothing sent,
    # no request reaches the chain.
    handled = python.services.core.requests_handled
    assert python.feed(ack) == []
    assert python.manager.layer.stateless_acks_absorbed == 1
    assert python.services.core.requests_handled == handled
    # A second REGISTER with the first one's branch after a challenge: the same answer
    # (a retransmission by its key, RFC 3261 17.2.3), as the transaction layer gives.
    assert fronted.feed(request(branch="z9hG4bKrt2")) == fronted.feed(request(branch="z9hG4bKrt2"))


def test_front_answers_are_what_a_client_can_authenticate_against(servers):
    _, fronted = servers
    from uc_signal.sip import DigestClient
    challenge = parse_datagram(fronted.feed(request(branch="z9hG4bKau1"))[0][0])
    assert challenge is not None and challenge.status == 401
    value = challenge.headers.get("WWW-Authenticate")
    assert value is not None
    credentials = DigestClient("alice", "alice-pw").authorize(value, "REGISTER", f"sip:{DOMAIN}")
    ok = fronted.feed(request(branch="z9hG4bKau2", cseq=2, extra=f"Authorization: {credentials}\r\n"))
    assert [data.split(b"\r\n", 1)[0] for data, _ in ok] == [b"SIP/2.0 200 OK"]


def test_disabled_front_passes_everything(servers):
    python, fronted = servers
    front = fronted.manager.front
    assert front is not None
    front.enabled = False
    assert check_same_answer(python, fronted, request(branch="z9hG4bKoff")) == PASS


def test_configure_front_keeps_rules_in_step():
    server = Server(front=True, algorithms=(DigestAlgorithm.MD5,))
    try:
        front = server.manager.front
        assert front is not None
        answer = server.feed(request(branch="z9hG4bKmd5"))[0][0]
        assert answer.count(b"WWW-Authenticate:") == 1 and b"algorithm=MD5" in answer
        # Excluded Request-URIs (dial-in access numbers) pass.
        configure_front(front, server.services.registrar.authenticators,
                        server.services.applications.caller_auth.authenticators, ["sip:5550100@Example.com"])
        assert front.handle(request("INVITE", uri="sip:5550100@example.com", branch="z9hG4bKx1"),
                            *SOURCE, time.time()) == PASS
        assert front.handle(request("INVITE", uri="sip:5550101@example.com", branch="z9hG4bKx2"),
                            *SOURCE, time.time()) == ANSWER
        # No realm at all: everything passes.
        front.clear()
        assert front.handle(request(branch="z9hG4bKx3"), *SOURCE, time.time()) == PASS
        with pytest.raises(ValueError):
            SipFront(b"short", STATELESS_TAG_PREFIX)
        with pytest.raises(ValueError):
            front.set_realm("example.com", False, [])
    finally:
        server.close()


def test_counters_and_verdict_values():
    assert (PASS, ABSORB, ANSWER, RESEND) == (0, 1, 2, 3)


ROWS = rfc4475_manifest()


def test_rfc4475_corpus_is_present():
    assert len(ROWS) == 49, f"RFC 4475 corpus not found at {rfc4475_dir()}; set UC_SHARED_DIR"


@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
def test_rfc4475_messages(servers, row):
    python, fronted = servers
    check_same_answer(python, fronted, rfc4475_message(row["file"]))


# --- hypothesis: variants of the answered requests ----------------------------------------



# Per part of a request: the values the front answers (first) and others. A variant takes
# the first value everywhere but in 0 to 2 parts, so about half of them are answered.
_PARTS = {
    "method": (["REGISTER", "INVITE", "MESSAGE"], ["ACK", "OPTIONS", "BYE"]),
    "user": (["alice", "bob", "a.b", "Alice_2"], ["+1555", "x%41", "a b", ""]),
    "host": (["example.com", "EXAMPLE.com"], ["example.org", "127.0.0.1", "ex ample.com", "[::1]"]),
    "uri_form": (["user"], ["hostonly", "sips", "param"]),
    "from_user": (["alice", "bob"], ["", "carol\\"]),
    "via_host": (["192.0.2.10", "192.0.2.10:5062", "h.example.net:5070"], ["[2001:db8::1]", "h:0", "h:070"]),
    "rport": ([";rport", ""], [";rport=1", ";received=192.0.2.10", ";RPORT", ";rport;rport"]),
    "to_tag": ([""], [";tag=x", f";tag={STATELESS_TAG_PREFIX}00000000"]),
    "extra": ([b"", b"Expires: 60\r\n", b"User-Agent: ua/2\r\n", b"Allow: INVITE, ACK\r\n",
               b"Supported: gruu,path\r\n", b"Content-Type: text/plain\r\n"],
              [b"Subject: x\r\n", b"Require: path\r\n", b"Route: <sip:127.0.0.1;lr>\r\n", b"X-Y: z\r\n",
               b"Expires: 0x\r\n", b"User-Agent: (x)\r\n", b"Allow: ,\r\n", b"Max-Forwards: 1\r\n"]),
    "body": ([b""], [b"body"]),
}
_TOKENS = st.text(alphabet="abcXYZ019-._!~*'+", min_size=1, max_size=8)


@st.composite
def variants(draw):
    changed = draw(st.sets(st.sampled_from(sorted(_PARTS)), max_size=2))
    part = {name: draw(st.sampled_from(bad if name in changed else good)) for name, (good, bad) in _PARTS.items()}
    method, user, host = part["method"], part["user"], part["host"]
    uri = {"user": f"sip:{user}@{host}", "hostonly": f"sip:{host}", "sips": f"sips:{user}@{host}",
           "param": f"sip:{user}@{host};transport=udp"}[part["uri_form"]]
    if method == "REGISTER" and part["uri_form"] == "user" and draw(st.booleans()):
        uri = f"sip:{host}"
    data = request(method, uri=uri, via=f"SIP/2.0/UDP {part['via_host']};branch=z9hG4bK{draw(_TOKENS)}{part['rport']}",
                   from_=f"<sip:{part['from_user']}@{host}>;tag={draw(_TOKENS)}",
                   to=f"<sip:{user}@{host}>{part['to_tag']}", call_id=draw(_TOKENS) + "@h",
                   extra=part["extra"].decode(), body=part["body"])
    if draw(st.integers(0, 3)) == 0:   # one byte changed somewhere
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    return data


@settings(max_examples=300, deadline=None)
@given(data=variants())
def test_hypothesis_variants(data):
    python, fronted = Server(front=False), Server(front=True)   # fresh: no answer remembered
    try:
        check_same_answer(python, fronted, data)
    finally:
        python.close()
        fronted.close()


def test_metrics_count_what_the_front_answered_as_the_python_path_would(servers):
    from prometheus_client import CollectorRegistry

    from uc_signal.ucd.metrics import DaemonCollector, SipMetrics, exposition
    _, fronted = servers
    fronted.feed(request(branch="z9hG4bKme1"))
    fronted.feed(request(branch="z9hG4bKme1"))                       # resent
    challenge = parse_datagram(fronted.feed(request("INVITE", branch="z9hG4bKme2"))[0][0])
    assert challenge is not None and challenge.to is not None
    fronted.feed(request("ACK", to=str(challenge.to), branch="z9hG4bKme2"))   # absorbed
    fronted.feed(request("OPTIONS", branch="z9hG4bKme3"))             # passed
    metrics = SipMetrics()
    metrics.request_received(parse_datagram(request("INVITE")))      # one the Python path counted
    registry = CollectorRegistry()
    registry.register(DaemonCollector(metrics, fronted.manager, registrations=lambda: 0, users=lambda: 2,
                                      binding_write_errors=lambda: 0))
    text = exposition(registry)[0].decode()
    assert 'ucd_sip_requests_total{method="REGISTER"} 1.0' in text
    assert 'ucd_sip_requests_total{method="INVITE"} 2.0' in text
    assert 'ucd_sip_transactions_total{class="4xx",method="REGISTER",role="server"} 1.0' in text
    assert 'ucd_sip_transactions_total{class="4xx",method="INVITE",role="server"} 1.0' in text
    for outcome, count in (("answered", 2), ("resent", 1), ("absorbed", 1), ("passed", 1)):
        assert f'ucd_sip_udp_front_total{{outcome="{outcome}"}} {count}.0' in text, text
    # the OPTIONS went through Python (counted there), the other four datagrams here
    assert f"ucd_sip_messages_received_total {fronted.manager.counters.messages_received + 4}.0" in text
