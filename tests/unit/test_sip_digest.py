"""Digest authentication: RFC vectors, challenges, stateless nonces, replay and stale."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uc_signal.sip.digest import (
    REJECTIONS,
    DigestAlgorithm,
    DigestAuthenticator,
    DigestChallenge,
    DigestClient,
    DigestCredentials,
    DigestError,
    DigestParseError,
    InMemoryCredentials,
    NonceCountTracker,
    build_credentials,
    compute_ha1,
    compute_response,
)

# RFC 7616 section 3.9.1
RFC7616_CHALLENGE = (
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, '
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
    'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
)
RFC7616_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        (DigestAlgorithm.SHA_256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
        (DigestAlgorithm.MD5, "8ca523f5e9506fed4657c9700eebdbec"),
    ],
)
def test_rfc7616_example(algorithm: DigestAlgorithm, expected: str) -> None:
    challenge = DigestChallenge.parse(RFC7616_CHALLENGE.replace("SHA-256", algorithm.value))
    assert challenge.qop == ("auth", "auth-int")
    credentials = build_credentials(
        challenge, "Mufasa", "Circle of Life", "GET", "/dir/index.html", cnonce=RFC7616_CNONCE
    )
    assert credentials.response == expected
    assert credentials.nc == "00000001" and credentials.qop == "auth"
    assert credentials.opaque == "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
    reparsed = DigestCredentials.parse(str(credentials))
    assert reparsed == credentials


def test_rfc2617_example() -> None:
    ha1 = compute_ha1(DigestAlgorithm.MD5, "Mufasa", "testrealm@host.com", "Circle Of Life")
    response = compute_response(
        DigestAlgorithm.MD5, ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "GET", "/dir/index.html",
        qop="auth", nc="00000001", cnonce="0a4f113b",
    )
    assert response == "6629fae49393a05397450978507c4ef1"


def test_rfc2069_form_without_qop() -> None:
    challenge = DigestChallenge(realm="r", nonce="n", qop=())
    credentials = build_credentials(challenge, "u", "p", "REGISTER", "sip:r", cnonce="c")
    assert credentials.qop is None and credentials.nc is None
    ha1 = compute_ha1(DigestAlgorithm.MD5, "u", "r", "p")
    ha2 = DigestAlgorithm.MD5.hash_hex("REGISTER:sip:r")
    assert credentials.response == DigestAlgorithm.MD5.hash_hex(f"{ha1}:n:{ha2}")


def test_challenge_parsing_quoting_and_errors() -> None:
    challenge = DigestChallenge.parse('Digest realm="a \\"b\\", c", nonce=xyz ,  qop="auth"')
    assert (challenge.realm, challenge.nonce, challenge.qop) == ('a "b", c', "xyz", ("auth",))
    assert DigestChallenge.parse(str(challenge)) == challenge
    # Several challenges on one line: the first Digest one is taken.
    assert DigestChallenge.parse('Basic realm="b", Digest realm="d", nonce="n"').realm == "d"
    for bad in ['Basic realm="x"', 'Digest realm="x', 'Digest nonce="n"', 'Digest realm="r", nonce="n", algorithm=XYZ']:
        with pytest.raises(DigestParseError):
            DigestChallenge.parse(bad)
    with pytest.raises(DigestParseError):
        DigestCredentials.parse('Digest username="a", realm="r"')


@given(st.text(max_size=80))
def test_credentials_parser_never_crashes(text: str) -> None:
    try:
        DigestCredentials.parse("Digest " + text)
    except DigestParseError:
        pass


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20), st.text(max_size=20).filter(str.isprintable))
def test_challenge_round_trip(realm: str, opaque: str) -> None:
    challenge = DigestChallenge(realm, "nonce", DigestAlgorithm.SHA_256, ("auth",), opaque, stale=True)
    assert DigestChallenge.parse(str(challenge)) == challenge


# --- server side ------------------------------------------------------------------------------

REALM = "example.com"
SECRET = b"0123456789abcdef-server-secret"


def _counter_bytes() -> Callable[[int], bytes]:
    counter = itertools.count()
    return lambda n: next(counter).to_bytes(n, "big")


@pytest.fixture
def store() -> InMemoryCredentials:
    credentials = InMemoryCredentials()
    credentials.add_password("alice", REALM, "secret-a")
    return credentials


@pytest.fixture
def server(store: InMemoryCredentials) -> DigestAuthenticator:
    return DigestAuthenticator(REALM, SECRET, store, nonce_lifetime=60.0, random_bytes=_counter_bytes())


def _answer(server: DigestAuthenticator, now: float, password: str = "secret-a", *, index: int = 0,
            nc: int = 1, method: str = "REGISTER", uri: str = "sip:example.com") -> str:
    challenge = DigestChallenge.parse(server.challenges(now)[index])
    return str(build_credentials(challenge, "alice", password, method, uri, cnonce="c0ffee", nc=nc))


def test_store_keeps_only_hashes(store: InMemoryCredentials) -> None:
    assert "secret-a" not in repr(vars(store))
    assert store.ha1("alice", REALM, DigestAlgorithm.SHA_256) == compute_ha1(
        DigestAlgorithm.SHA_256, "alice", REALM, "secret-a")
    assert store.ha1("alice", "other.realm", DigestAlgorithm.MD5) is None


def test_challenge_lists_sha256_first_with_shared_nonce(server: DigestAuthenticator) -> None:
    values = server.challenges(100.0)
    parsed = [DigestChallenge.parse(v) for v in values]
    assert [c.algorithm for c in parsed] == [DigestAlgorithm.SHA_256, DigestAlgorithm.MD5]
    assert parsed[0].nonce == parsed[1].nonce
    assert all(c.realm == REALM and c.qop == ("auth",) and c.opaque == server.opaque and not c.stale
               for c in parsed)
    assert server.nonce_issued_at(parsed[0].nonce) == 100.0


@pytest.mark.parametrize("index", [0, 1])
def test_valid_credentials_accepted(server: DigestAuthenticator, index: int) -> None:
    verdict = server.verify("REGISTER", "sip:example.com", [_answer(server, 10.0, index=index)], 20.0)
    assert verdict.accepted and verdict.username == "alice"


def test_client_helper_counts_nonces(server: DigestAuthenticator) -> None:
    client = DigestClient("alice", "secret-a", random_bytes=_counter_bytes())
    challenge = server.challenges(0.0)[0]
    first = client.authorize(challenge, "MESSAGE", "sip:bob@example.com")
    second = client.authorize(challenge, "MESSAGE", "sip:bob@example.com")
    assert DigestCredentials.parse(first).nc == "00000001"
    assert DigestCredentials.parse(second).nc == "00000002"
    assert server.verify("MESSAGE", "sip:bob@example.com", [first], 1.0).accepted
    assert server.verify("MESSAGE", "sip:bob@example.com", [second], 1.0).accepted
    # Out of order: nc 1 after nc 2 on the same nonce is a replay.
    assert server.verify("MESSAGE", "sip:bob@example.com", [first], 1.0).error is DigestError.REPLAYED_NONCE_COUNT


def test_replayed_nc_rejected(server: DigestAuthenticator) -> None:
    value = _answer(server, 0.0)
    assert server.verify("REGISTER", None, [value], 1.0).accepted
    assert server.verify("REGISTER", None, [value], 2.0).error is DigestError.REPLAYED_NONCE_COUNT


def test_wrong_password_rejected_without_burning_nc(server: DigestAuthenticator) -> None:
    nonce_time = 0.0
    bad = _answer(server, nonce_time, "wrong")
    verdict = server.verify("REGISTER", None, [bad], 1.0)
    assert verdict.error is DigestError.WRONG_RESPONSE and verdict.username == "alice"
    assert len(server.tracker) == 0


def test_unknown_user_looks_like_wrong_password(server: DigestAuthenticator) -> None:
    challenge = DigestChallenge.parse(server.challenges(0.0)[0])
    value = str(build_credentials(challenge, "mallory", "x", "REGISTER", "sip:example.com", cnonce="c"))
    assert server.verify("REGISTER", None, [value], 1.0).error is DigestError.UNKNOWN_USER
    assert REJECTIONS[DigestError.UNKNOWN_USER] == REJECTIONS[DigestError.WRONG_RESPONSE]


def test_stale_nonce_only_with_correct_digest(server: DigestAuthenticator) -> None:
    good, bad = _answer(server, 0.0), _answer(server, 0.0, "wrong")
    assert server.verify("REGISTER", None, [bad], 61.0).error is DigestError.WRONG_RESPONSE
    assert server.verify("REGISTER", None, [good], 61.0).error is DigestError.STALE_NONCE
    status, reason, headers = server.rejection_headers(DigestError.STALE_NONCE, 61.0)
    assert (status, reason) == (401, "Unauthorized")
    assert [name for name, _ in headers] == ["WWW-Authenticate", "WWW-Authenticate"]
    assert all(DigestChallenge.parse(value).stale for _, value in headers)


@pytest.mark.parametrize("position", [0, 5, 20, 40])
def test_tampered_nonce_rejected(server: DigestAuthenticator, position: int) -> None:
    credentials = DigestCredentials.parse(_answer(server, 0.0))
    nonce = credentials.nonce
    flipped = "A" if nonce[position] != "A" else "B"
    tampered_nonce = nonce[:position] + flipped + nonce[position + 1:]
    challenge = DigestChallenge(REALM, tampered_nonce, DigestAlgorithm.SHA_256, ("auth",), server.opaque)
    value = str(build_credentials(challenge, "alice", "secret-a", "REGISTER", "sip:example.com", cnonce="c"))
    assert server.verify("REGISTER", None, [value], 1.0).error is DigestError.INVALID_NONCE


def test_nonce_from_other_secret_or_realm_rejected(store: InMemoryCredentials) -> None:
    other = DigestAuthenticator(REALM, b"another-secret-of-16+", store)
    other_realm = DigestAuthenticator("elsewhere", SECRET, store)
    server = DigestAuthenticator(REALM, SECRET, store)
    for issuer in (other, other_realm):
        nonce = DigestChallenge.parse(issuer.challenges(0.0)[0]).nonce
        assert server.nonce_issued_at(nonce) is None
    assert server.nonce_issued_at("not base64 !!") is None
    assert server.nonce_issued_at("") is None


def test_nonce_from_the_future_rejected(server: DigestAuthenticator) -> None:
    value = _answer(server, 50.0)
    assert server.verify("REGISTER", None, [value], 10.0).error is DigestError.INVALID_NONCE


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda c: c.replace('realm="example.com"', 'realm="evil.com"'), DigestError.REALM_MISMATCH),
        (lambda c: c.replace("qop=auth", "qop=auth-int"), DigestError.UNSUPPORTED_QOP),
        (lambda c: c.replace("nc=00000001", "nc=zz"), DigestError.MALFORMED_CREDENTIALS),
        (lambda c: c.replace("nc=00000001", "nc=00000000"), DigestError.MALFORMED_CREDENTIALS),
        (lambda c: c.replace('uri="sip:example.com"', 'uri="sip:other.com"'), DigestError.URI_MISMATCH),
        (lambda c: c.replace("algorithm=SHA-256", "algorithm=SHA-512-256"), DigestError.UNSUPPORTED_ALGORITHM),
        (lambda c: c.replace('opaque="', 'opaque="x'), DigestError.OPAQUE_MISMATCH),
        (lambda c: c.replace('Digest ', 'Digest broken'), DigestError.MALFORMED_CREDENTIALS),
    ],
)
def test_bad_credentials(server: DigestAuthenticator, mutate: object, error: DigestError) -> None:
    value = mutate(_answer(server, 0.0))  # type: ignore[operator]
    assert server.verify("REGISTER", "sip:example.com", [value], 1.0).error is error


def test_missing_credentials_and_foreign_realm(server: DigestAuthenticator) -> None:
    assert server.verify("REGISTER", None, [], 0.0).error is DigestError.MISSING_CREDENTIALS
    foreign = _answer(server, 0.0).replace('realm="example.com"', 'realm="other"')
    good = _answer(server, 0.0)
    # With one credential per realm the one for this realm is picked.
    assert server.verify("REGISTER", None, [foreign, good], 1.0).accepted


def test_proxy_mode_uses_407(store: InMemoryCredentials) -> None:
    proxy = DigestAuthenticator(REALM, SECRET, store, proxy=True)
    status, reason, headers = proxy.rejection_headers(DigestError.MISSING_CREDENTIALS, 0.0)
    assert (status, reason) == (407, "Proxy Authentication Required")
    assert {name for name, _ in headers} == {"Proxy-Authenticate"}
    assert proxy.credentials_header == "Proxy-Authorization"
    assert proxy.rejection_headers(DigestError.WRONG_RESPONSE, 0.0) == (403, "Forbidden", [])


def test_every_error_has_a_rejection() -> None:
    assert set(REJECTIONS) == set(DigestError)


def test_tracker_is_bounded_and_refuses_forgotten_nonces() -> None:
    tracker = NonceCountTracker(max_entries=2)
    assert tracker.accept("n1", 1.0, 1) is None
    assert tracker.accept("n2", 2.0, 1) is None
    assert tracker.accept("n3", 3.0, 1) is None  # evicts n1 (oldest)
    assert len(tracker) == 2 and tracker.floor == 1.0
    # n1 was forgotten: it may have been used, so it is refused rather than replayable.
    assert tracker.accept("n1", 1.0, 2) is DigestError.STALE_NONCE
    assert tracker.accept("n2", 2.0, 1) is DigestError.REPLAYED_NONCE_COUNT
    assert tracker.accept("n2", 2.0, 5) is None
    tracker.forget_before(10.0)
    assert len(tracker) == 0


@given(st.lists(st.integers(min_value=1, max_value=20), max_size=30))
def test_tracker_accepts_only_increasing_nc(ncs: list[int]) -> None:
    tracker = NonceCountTracker()
    highest = 0
    for nc in ncs:
        accepted = tracker.accept("n", 0.0, nc) is None
        assert accepted == (nc > highest)
        highest = max(highest, nc)


def test_authenticator_rejects_weak_secret(store: InMemoryCredentials) -> None:
    with pytest.raises(ValueError):
        DigestAuthenticator(REALM, b"short", store)


# --- through the transaction layer: a challenged REGISTER ----------------------------------


def test_register_challenge_round_trip_between_in_memory_peers(server: DigestAuthenticator) -> None:
    from sip_network import ALICE, BOB, Network, request

    from uc_signal.sip.message import Request, Response, make_response
    from uc_signal.sip.transaction_events import RequestReceived, ResponseReceived

    net = Network()
    alice, bob = net.add(ALICE), net.add(BOB)
    client = DigestClient("alice", "secret-a", random_bytes=_counter_bytes())
    outcomes: list[Response] = []
    for attempt in range(2):
        register = request("REGISTER", branch=f"z9hG4bKreg{attempt}", cseq=attempt + 1, uri="sip:example.com")
        if attempt:
            challenge = outcomes[-1].www_authenticate[0]
            register.headers.add("Authorization", client.authorize(challenge, "REGISTER", "sip:example.com"))
        alice.send_request(register, BOB, float(attempt))
        net.deliver(float(attempt))
        [incoming] = [e for e in net.events(BOB) if isinstance(e, RequestReceived)]
        assert isinstance(incoming.request, Request)
        verdict = server.verify_request(incoming.request, float(attempt))
        if verdict.accepted:
            reply = make_response(incoming.request, 200, to_tag="reg")
            reply.headers.set("Content-Length", "0")
        else:
            assert verdict.error is DigestError.MISSING_CREDENTIALS
            reply = server.rejection(incoming.request, verdict.error, float(attempt), to_tag="reg")
        bob.send_response(reply, float(attempt))
        net.deliver(float(attempt))
        [got] = [e.response for e in net.events(ALICE) if isinstance(e, ResponseReceived)]
        outcomes.append(got)
    assert [r.status for r in outcomes] == [401, 200]
    assert [c.params["algorithm"] for c in outcomes[0].www_authenticate] == ["SHA-256", "MD5"]
    assert verdict.username == "alice"


@pytest.mark.parametrize("peer", ["baresip", "linphone"])
def test_real_peer_credentials_match_our_computation(peer: str) -> None:
    """Credentials captured from real UAs (password "secret", see
    scripts/capture_sip_fixtures.py) parse and recompute to the same response."""
    from pathlib import Path

    from uc_signal.sip.message import Request, parse_message

    raw = (Path(__file__).parent.parent / "fixtures" / "sip" / f"{peer}_register_auth.sip").read_bytes()
    message = parse_message(raw)
    assert isinstance(message, Request)
    [value] = message.headers.get_all("Authorization")
    credentials = DigestCredentials.parse(value)
    assert credentials.username == "alice" and credentials.qop == "auth"
    ha1 = compute_ha1(credentials.algorithm, "alice", credentials.realm, "secret")
    expected = compute_response(credentials.algorithm, ha1, credentials.nonce, "REGISTER", credentials.uri,
                                qop="auth", nc=credentials.nc, cnonce=credentials.cnonce)
    assert expected == credentials.response


def test_other_schemes_are_ignored_and_challenged(server: DigestAuthenticator) -> None:
    verdict = server.verify("REGISTER", None, ["Basic YWxpY2U6c2VjcmV0", "NewAuth realm=\"x\", p=1"], 0.0)
    assert verdict.error is DigestError.MISSING_CREDENTIALS
    good = _answer(server, 0.0)
    assert server.verify("REGISTER", None, ["Basic YWxpY2U6c2VjcmV0", good], 1.0).accepted
