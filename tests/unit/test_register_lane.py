"""The stateless lane of REGISTER (Registrar.answer_alone through
TransactionLayer.receive_stateless) against the full path (transaction layer, proxy core,
chain): for the same datagrams at the same times, the lane either declines (and the full
path takes the request) or answers what the full path answers, with the same status,
reason and header fields (the To tag and the nonces of fresh challenges aside), and both
location services end with the same bindings, stored the same way, having reported the
same changes to their subscribers. A retransmission gets the lane's answer again byte for
byte, and the lane keeps no transaction and no timer."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uc_signal.directory import Binding
from uc_signal.registrar import BindingChange
from uc_signal.sip import DigestAlgorithm, DigestChallenge, Request, Response, parse_datagram
from uc_signal.sip.digest import build_credentials
from uc_signal.transport.via_handling import stamp_via

from proxy_network import DOMAIN, PROXY, Network

USERS = ("alice", "bob")
_NONCE = re.compile(r'nonce="[^"]*"')


class Pair:
    """Two proxies over equal stores and clocks: `full` takes every request the usual way,
    `lane` offers REGISTERs to the lane first."""

    def __init__(self) -> None:
        self.full, self.lane = Network(), Network()
        self.changes: dict[str, list[tuple[BindingChange, Binding]]] = {"full": [], "lane": []}
        self.declined = 0
        for name, net in (("full", self.full), ("lane", self.lane)):
            for user in USERS:
                net.users.add_user(user, DOMAIN, "secret-" + user)
            net.services.location.subscribe(lambda change, binding, name=name: self.changes[name].append((change, binding)))

    @property
    def now(self) -> float:
        return self.full.now

    def advance(self, seconds: float) -> None:
        for net in (self.full, self.lane):
            net.now += seconds
            net.services.location.expire(net.now)

    def set_enabled(self, user: str, enabled: bool) -> None:
        for net in (self.full, self.lane):
            net.users.set_enabled(user, DOMAIN, enabled)

    def nonce(self, age: float = 0.0) -> str:
        return self.full.services.registrar.authenticators[DOMAIN].make_nonce(self.now - age)

    def feed(self, data: bytes, source_host: str = "192.0.2.10", port: int = 5062) -> tuple[list[bytes], list[bytes]]:
        """The same datagram to both; what each sent back."""
        source = PROXY._replace(host=source_host, port=port)
        self.full.proxy_receive(data, source)
        full_out = [sent for sent, _ in self.full.layer.datagrams_to_send(self.now)]
        request = parse_datagram(data)
        assert isinstance(request, Request)
        stamp_via(request.headers, source)
        net = self.lane
        registrar = net.services.registrar
        taken = net.layer.receive_stateless(request, source, net.now,
                                            lambda r: registrar.answer_alone(r, source, net.now))
        if taken:
            assert len(net.layer) == 0 and net.layer.get_timer() is None  # no transaction, no Timer J
        else:
            self.declined += 1
            net.layer.receive(request, source, net.now)
            net.drain()
        lane_out = [sent for sent, _ in net.layer.datagrams_to_send(net.now)]
        return full_out, lane_out

    def check_same(self, full_out: list[bytes], lane_out: list[bytes]) -> Response:
        assert len(full_out) == len(lane_out) == 1, (full_out, lane_out)
        full, lane = _comparable(full_out[0]), _comparable(lane_out[0])
        assert lane == full
        assert self.changes["lane"] == self.changes["full"]
        assert _bindings(self.lane) == _bindings(self.full)
        assert self.lane.store.load_all(self.now) == self.full.store.load_all(self.now)
        response = parse_datagram(full_out[0])
        assert isinstance(response, Response)
        return response


def _comparable(data: bytes) -> tuple[str, list[tuple[str, str]]]:
    """Start line and fields of a response, the To tag and the nonces of challenges out."""
    response = parse_datagram(data)
    assert isinstance(response, Response)
    fields = []
    for key, name, value in response.headers._fields:
        if key == "to":
            value = re.sub(r";tag=[^;>]*$", "", value)
        fields.append((name, _NONCE.sub('nonce="-"', value)))
    return f"{response.status} {response.reason}", fields


def _bindings(net: Network) -> list[Binding]:
    location = net.services.location
    return [binding for aor in sorted(location.aors()) for binding in location.lookup(aor, net.now)]


def register(user: str, *, call_id: str = "reg-1", cseq: int = 1, branch: str | None = None,
             contact: str | None = "default", expires: int | None = None, auth: str | None = None,
             aor_user: str | None = None, extra: str = "", port: int = 5062) -> bytes:
    aor = f"sip:{aor_user or user}@{DOMAIN}"
    contact_line = "" if contact is None else (
        f"Contact: <sip:{user}@192.0.2.10:{port}>\r\n" if contact == "default" else f"Contact: {contact}\r\n")
    return (f"REGISTER sip:{DOMAIN} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 192.0.2.10:{port};branch={branch or f'z9hG4bK{call_id}-{cseq}'};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <{aor}>;tag=f{call_id}\r\nTo: <{aor}>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n{contact_line}"
            + (f"Expires: {expires}\r\n" if expires is not None else "")
            + (f"Authorization: {auth}\r\n" if auth else "")
            + f"{extra}Content-Length: 0\r\n\r\n").encode()


def credentials(pair: Pair, user: str, *, password: str | None = None, nonce: str | None = None,
                nc: int = 1, uri: str = f"sip:{DOMAIN}") -> str:
    opaque = pair.full.services.registrar.authenticators[DOMAIN].opaque
    challenge = DigestChallenge(DOMAIN, nonce or pair.nonce(), DigestAlgorithm.MD5, ("auth",), opaque)
    return str(build_credentials(challenge, user, password or "secret-" + user, "REGISTER", uri,
                                 cnonce="c0ffee", nc=nc))


def authed(pair: Pair, user: str, **kwargs: object) -> bytes:
    return register(user, auth=credentials(pair, user), **kwargs)  # type: ignore[arg-type]


# --- one case per rule ---------------------------------------------------------------------


def test_challenge_200_refresh_and_unregister_are_answered_alike() -> None:
    pair = Pair()
    assert pair.check_same(*pair.feed(register("alice"))).status == 401
    ok = pair.check_same(*pair.feed(authed(pair, "alice", cseq=2, expires=600)))
    assert ok.status == 200 and ok.contact[0].expires == 600
    pair.advance(100)
    ok = pair.check_same(*pair.feed(authed(pair, "alice", cseq=3)))
    assert ok.contact[0].expires == 3600   # the default
    pair.advance(5)
    ok = pair.check_same(*pair.feed(authed(pair, "alice", cseq=4, expires=0)))
    assert ok.status == 200 and ok.contact == []
    assert pair.declined == 0
    assert [change for change, _ in pair.changes["lane"]] == [
        BindingChange.INSERTED, BindingChange.UPDATED, BindingChange.DELETED]


def test_each_refusal_is_answered_alike() -> None:
    pair = Pair()
    pair.check_same(*pair.feed(authed(pair, "alice", cseq=5)))
    cases = {
        403: [register("alice", cseq=6, auth=credentials(pair, "alice", password="wrong")),
              register("alice", cseq=7, auth=credentials(pair, "alice"), aor_user="bob")],
        401: [register("alice", cseq=8, auth=credentials(pair, "alice", nonce=pair.nonce(age=1000))),
              register("alice", cseq=9, auth=credentials(pair, "alice", nonce="forged"))],
        423: [authed(pair, "alice", cseq=10, expires=30)],
        500: [authed(pair, "alice", cseq=4)],   # same Call-ID, lower CSeq (10.3 step 7)
        400: [authed(pair, "alice", cseq=11, contact="*"),   # "*" without Expires: 0
              register("alice", cseq=12, auth=credentials(pair, "alice", uri="sip:other.example"))],
        420: [authed(pair, "alice", cseq=13, extra="Require: nosuch\r\n")],
    }
    for status, requests in cases.items():
        for data in requests:
            assert pair.check_same(*pair.feed(data)).status == status, data
    pair.set_enabled("bob", False)
    assert pair.check_same(*pair.feed(authed(pair, "bob"))).status == 403
    assert len(_bindings(pair.lane)) == 1


def test_star_with_expires_zero_removes_every_binding() -> None:
    pair = Pair()
    pair.check_same(*pair.feed(authed(pair, "alice", call_id="a")))
    pair.check_same(*pair.feed(authed(pair, "alice", call_id="b", contact="<sip:alice@192.0.2.11>;q=0.5")))
    assert len(_bindings(pair.lane)) == 2
    ok = pair.check_same(*pair.feed(authed(pair, "alice", call_id="c", contact="*", expires=0)))
    assert ok.status == 200 and _bindings(pair.lane) == []


def test_several_contacts_gruu_path_and_outbound_take_the_same_rules() -> None:
    pair = Pair()
    instance = '"<urn:uuid:00000000-0000-1000-8000-000000000001>"'
    contacts = f"<sip:alice@192.0.2.10:5062>;+sip.instance={instance};reg-id=1, <sip:alice@192.0.2.12>;expires=120"
    extra = "Supported: gruu, outbound, path\r\nPath: <sip:edge.example.com;lr>\r\n"
    ok = pair.check_same(*pair.feed(authed(pair, "alice", contact=contacts, extra=extra)))
    assert ok.status == 200 and len(ok.contact) == 2
    assert ok.headers.get("Require") == "outbound" and ok.headers.get("Path")
    assert any("pub-gruu" in c.params for c in ok.contact)


def test_a_request_the_lane_does_not_take_goes_the_full_path() -> None:
    pair = Pair()
    # for another domain (the proxy forwards it), and one that does not validate (400)
    foreign = authed(pair, "alice").replace(f"REGISTER sip:{DOMAIN}".encode(), b"REGISTER sip:elsewhere.example")
    assert pair.check_same(*pair.feed(foreign)).status == 407   # the proxy's challenge
    assert pair.declined == 1
    broken = authed(pair, "alice", cseq=2, extra="Expires: soon\r\n")
    pair.check_same(*pair.feed(broken))
    assert pair.declined == 2


def test_a_retransmission_gets_the_same_bytes_and_changes_nothing() -> None:
    pair = Pair()
    data = authed(pair, "alice", expires=600)
    _, first = pair.feed(data)
    changes = list(pair.changes["lane"])
    pair.advance(1)
    _, again = pair.feed(data)
    assert again == first and first[0].startswith(b"SIP/2.0 200 ")
    assert pair.changes["lane"] == changes   # no second update, no second callback
    pair.advance(20)   # T1 doubling up to T2: a UA retransmits for 64*T1 (17.1.2.2)
    assert pair.feed(data)[1] == first
    pair.advance(12)   # past Timer J: no transaction would remember it either
    _, late = pair.feed(data)
    assert late[0].startswith(b"SIP/2.0 401 ")   # the nonce count is spent: challenged anew
    assert pair.changes["lane"] == changes


# --- variations ----------------------------------------------------------------------------

_step = st.tuples(
    st.sampled_from(USERS),
    st.sampled_from(["good"] * 6 + ["wrong", "stale", "none", "replay"]),
    st.sampled_from(["a", "b"]),                                     # Call-ID
    st.sampled_from([-1, 0, 1, 1, 2]),                               # CSeq step
    st.sampled_from([None, 0, 30, 60, 600, 7200]),                   # Expires header
    st.sampled_from(["", ";expires=0", ";expires=90", ";q=0.5", ";q=1", ";foo=bar", ";expires=20",
                     ';+sip.instance="<urn:uuid:1>";reg-id=1', ';+sip.instance="<urn:uuid:1>";reg-id=2',
                     ';+sip.instance="<urn:uuid:2>"']),
    st.sampled_from(["10", "11", "*"]),                              # which Contact
    st.sampled_from([0.0, 1.0, 61.0, 700.0]),                        # time passing first
    st.sampled_from([True] * 5 + [False]),                           # enabled
    st.sampled_from(["", "", "Supported: gruu, outbound, path\r\n", "Supported: gruu\r\n",
                     "Path: <sip:edge.example.com;lr>\r\n", "Supported: path\r\nPath: <sip:edge.example.com;lr>\r\n"]),
    st.sampled_from([5062, 5062, 5070]),                             # the source port (a NAT rebinding)
)


def run_steps(pair: Pair, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    """Feed a hypothesis sequence of REGISTERs (`_step`) to both servers of the pair, each
    answer checked alike; also used by test_register_front.py's pair."""
    cseqs = {(user, call_id): 1 for user in USERS for call_id in "ab"}
    nc = 0
    replay = ""
    for user, auth, call_id, step, expires, params, host, wait, enabled, extra, port in steps:
        pair.advance(wait)
        pair.set_enabled(user, enabled)
        cseqs[(user, call_id)] += step
        cseq = max(1, cseqs[(user, call_id)])
        contact = "*" if host == "*" else f"<sip:{user}@192.0.2.{host}>{params}"
        nc += 1
        value = {"good": lambda: credentials(pair, user),
                 "wrong": lambda: credentials(pair, user, password="nope"),
                 "stale": lambda: credentials(pair, user, nonce=pair.nonce(age=400)),
                 "none": lambda: "",
                 "replay": lambda: replay or credentials(pair, user)}[auth]()
        if auth == "good":
            replay = value
        data = register(user, call_id=f"{user}-{call_id}", cseq=cseq, branch=f"z9hG4bK{nc}",
                        contact=contact, expires=expires, auth=value or None, extra=extra, port=port)
        pair.check_same(*pair.feed(data, port=port))
    assert pair.declined == 0


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_step, min_size=1, max_size=8))
def test_random_sequences_end_alike(steps: list[tuple]) -> None:  # type: ignore[type-arg]
    run_steps(Pair(), steps)


def test_the_services_timer_is_armed_by_poke_for_a_binding_made_in_the_lane() -> None:
    import asyncio

    from uc_signal.proxy.driver import ServicesDriver

    async def run() -> None:
        pair = Pair()
        driver = ServicesDriver(pair.lane.services, clock=lambda: pair.now)
        driver.start()
        assert driver._timer._at is None   # nothing to wait for yet
        pair.feed(authed(pair, "alice", expires=600))
        driver.poke()   # what Daemon._register_alone calls
        assert driver._timer._at == pair.now + 600   # the binding's expiry (10.3 step 7)
        pair.feed(authed(pair, "bob", expires=3600, call_id="b"))
        driver.poke()   # what Daemon._register_alone calls
        assert driver._timer._at == pair.now + 600   # an earlier deadline is kept
        driver.stop()

    asyncio.run(run())
