"""Authenticated REGISTERs verified by the C front of UDP (csrc/sip_front.c, VERIFIED) and
applied by Registrar.register_verified, against the full path: for the same datagrams at
the same times, the front either passes (and the Python stack - the REGISTER lane, then
the full path - takes the request) or answers what the full path answers, with the same
status, reason and header fields (To tag and fresh nonces aside); both location services
end with the same bindings, stored the same way, having told their subscribers the same
changes; the nonce-count record is the authenticator's one. The front's HA1 table is kept
in step with the user directory here as Daemon._front_credentials keeps it in ucd."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uc_signal._sipfront import ANSWER, PASS, RESEND
from uc_signal.sip import DigestAlgorithm, Request, parse_datagram
from uc_signal.sip.transaction_table import Timer
from uc_signal.transport.challenge_front import challenge_front
from uc_signal.transport.peer import Peer
from uc_signal.transport.via_handling import stamp_via

from proxy_network import DOMAIN, PROXY, SECRET
from test_register_lane import USERS, Pair, _bindings, _step, authed, credentials, register, run_steps


class FrontPair(Pair):
    """`lane` has the C front before the REGISTER lane, as ucd over UDP."""

    def __init__(self) -> None:
        super().__init__()
        services = self.lane.services
        registrar = services.registrar
        self.front = challenge_front(SECRET, registrar.authenticators, {})
        self.front.register_memory = self.lane.layer.config.initial_interval(Timer.J, False) or 0.0

        def handler(user: str, host: str, contact_uri: str, contact_params: str, expires: str | None, call_id: str,
                    cseq: int, source_host: str, source_port: int, flow: str, user_agent: str | None,
                    supported: str | None, nonce: str, issued_at: float, nc: int, now: float) -> str | None:
            self.handled += 1
            return registrar.register_verified(user, host, contact_uri, contact_params, expires, call_id, cseq,
                                               Peer(source_host, source_port, "UDP", flow), user_agent, supported,
                                               nonce, issued_at, nc, now)

        self.handled = 0
        self.front.register_handler = handler
        self.front.register = True
        for user in USERS:
            self._sync(user)

    def _sync(self, user: str) -> None:
        """What CachedUserDirectory.on_credentials tells the front in ucd."""
        self.front.drop_user(user, DOMAIN)
        account = self.lane.users.find_user(user, DOMAIN)
        if account is not None and account.enabled:
            self.front.set_user(user, DOMAIN, {a.value: self.lane.users.ha1(user, DOMAIN, a) for a in DigestAlgorithm})

    def set_enabled(self, user: str, enabled: bool) -> None:
        super().set_enabled(user, enabled)
        self._sync(user)

    def feed(self, data: bytes, source_host: str = "192.0.2.10", port: int = 5062) -> tuple[list[bytes], list[bytes]]:
        source = PROXY._replace(host=source_host, port=port)
        self.full.proxy_receive(data, source)
        full_out = [sent for sent, _ in self.full.layer.datagrams_to_send(self.now)]
        net = self.lane
        verdict = self.front.handle(data, source_host, port, net.now, source.flow)
        if verdict in (ANSWER, RESEND):
            assert self.front.answer is not None and self.front.dest_port == port
            return full_out, [self.front.answer]
        assert verdict == PASS
        request = parse_datagram(data)
        assert isinstance(request, Request)
        stamp_via(request.headers, source)
        registrar = net.services.registrar
        if not net.layer.receive_stateless(request, source, net.now,
                                           lambda r: registrar.answer_alone(r, source, net.now)):
            self.declined += 1
            net.layer.receive(request, source, net.now)
            net.drain()
        return full_out, [sent for sent, _ in net.layer.datagrams_to_send(net.now)]

    @property
    def registered(self) -> int:
        return int(self.front.counters()["registered"])


def test_register_refresh_and_unregister_are_answered_by_the_front_alike() -> None:
    pair = FrontPair()
    assert pair.check_same(*pair.feed(register("alice"))).status == 401   # the front's challenge
    ok = pair.check_same(*pair.feed(authed(pair, "alice", cseq=2, expires=600,
                                           extra="User-Agent: ua 1.0\r\nSupported: path, gruu\r\n")))
    assert ok.status == 200 and ok.contact[0].expires == 600
    pair.advance(100)
    ok = pair.check_same(*pair.feed(authed(pair, "alice", cseq=3, contact="<sip:alice@192.0.2.10:5062>;foo=bar;lr")))
    assert ok.contact[0].expires == 3600   # the default
    pair.advance(5)
    ok = pair.check_same(*pair.feed(authed(pair, "alice", cseq=4, expires=0)))
    assert ok.status == 200 and ok.contact == []
    assert pair.registered == 3 and pair.declined == 0
    assert _bindings(pair.lane) == _bindings(pair.full) == []


def test_refusals_pass_and_are_answered_alike() -> None:
    pair = FrontPair()
    pair.check_same(*pair.feed(authed(pair, "alice", cseq=5)))
    assert pair.registered == 1
    refused = [
        (403, register("alice", cseq=6, auth=credentials(pair, "alice", password="wrong"))),   # the digest fails
        (403, register("alice", cseq=7, auth=credentials(pair, "alice"), aor_user="bob")),      # another AOR
        (401, register("alice", cseq=8, auth=credentials(pair, "alice", nonce=pair.nonce(age=1000)))),  # stale
        (401, register("alice", cseq=9, auth=credentials(pair, "alice", nonce="forged"))),
        (423, authed(pair, "alice", cseq=10, expires=30)),   # verified in C, declined by the registrar
        (500, authed(pair, "alice", cseq=4)),                # out of order: likewise
        (400, register("alice", cseq=12, auth=credentials(pair, "alice", uri="sip:other.example"))),
        (420, authed(pair, "alice", cseq=13, extra="Require: nosuch\r\n")),
    ]
    for status, data in refused:
        assert pair.check_same(*pair.feed(data)).status == status, data
    assert pair.registered == 1 and pair.handled == 3   # 423 and 500 reached the registrar, and passed
    # outside the subset (an instance, two Contacts): the Python path, the same answer
    assert pair.check_same(*pair.feed(authed(
        pair, "alice", cseq=14, contact='<sip:alice@192.0.2.10>;+sip.instance="<urn:uuid:1>"'))).status == 200
    assert pair.check_same(*pair.feed(authed(
        pair, "alice", cseq=15, contact="<sip:alice@192.0.2.10>, <sip:alice@192.0.2.11>"))).status == 200
    assert pair.registered == 1
    pair.set_enabled("bob", False)
    assert pair.check_same(*pair.feed(authed(pair, "bob"))).status == 403
    # a replayed nonce-count: verified in C, refused by the one tracker, then by the full path
    data = authed(pair, "alice", cseq=20, branch="z9hG4bKfirst")
    pair.check_same(*pair.feed(data))
    replay = data.replace(b"z9hG4bKfirst", b"z9hG4bKsecond").replace(b"CSeq: 20", b"CSeq: 21")
    assert pair.check_same(*pair.feed(replay)).status == 401
    assert pair.registered == 2 and pair.handled == 5


def test_a_retransmission_gets_the_same_bytes_for_timer_j() -> None:
    pair = FrontPair()
    data = authed(pair, "alice", expires=600)
    _, first = pair.feed(data)
    assert first[0].startswith(b"SIP/2.0 200 ") and pair.registered == 1
    changes = list(pair.changes["lane"])
    pair.advance(20)
    assert pair.feed(data)[1] == first
    assert pair.front.counters()["resent"] == 1 and pair.changes["lane"] == changes
    pair.advance(13)   # past Timer J (32 s)
    _, late = pair.feed(data)
    assert late[0].startswith(b"SIP/2.0 401 ")   # its nonce-count was spent: challenged anew
    assert pair.changes["lane"] == changes


def test_a_user_the_table_does_not_hold_passes() -> None:
    pair = FrontPair()
    pair.front.drop_user("alice", DOMAIN)
    ok = pair.check_same(*pair.feed(authed(pair, "alice")))
    assert ok.status == 200 and pair.registered == 0 and pair.handled == 0


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_step, min_size=1, max_size=8))
def test_random_sequences_end_alike(steps: list[tuple]) -> None:  # type: ignore[type-arg]
    run_steps(FrontPair(), steps)
