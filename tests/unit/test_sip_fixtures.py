"""Messages captured from real peers (sipp, baresip, linphonec) on loopback.

tests/fixtures/sip/*.sip are recreated by scripts/capture_sip_fixtures.py; tags, nonces and
Call-IDs change on every capture, so the checks here are about structure and the values
the capture script configures (users, hosts, ports, realm, password).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from uc_signal.sip import (MAGIC_COOKIE, NEED_DATA, FramingError, MessageReceived, ParseError, Request, SipUri,
                           StreamFramer, parse_datagram)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sip"
VALID = sorted(p for p in FIXTURES.glob("*.sip") if "_invalid" not in p.name and "_truncated" not in p.name)
BROKEN = sorted(p for p in FIXTURES.glob("*.sip") if "_invalid" in p.name or "_truncated" in p.name)
PEERS = {"sipp": 15070, "baresip": 15080, "linphone": 15090}


def load(name: str) -> Request:
    msg = parse_datagram((FIXTURES / name).read_bytes())
    assert isinstance(msg, Request)
    return msg


def test_fixture_set_is_complete() -> None:
    names = {p.stem for p in VALID}
    for peer in ("sipp", "baresip", "linphone"):
        assert {f"{peer}_register", f"{peer}_register_auth", f"{peer}_invite", f"{peer}_ack"} <= names
    assert {"sipp_subscribe", "sipp_notify", "linphone_message"} <= names
    assert len(BROKEN) >= 20


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_fixture(path: Path) -> None:
    data = path.read_bytes()
    msg = parse_datagram(data)
    assert isinstance(msg, Request)
    msg.validate()
    msg.check_required_headers()
    peer = path.stem.split("_")[0]
    assert path.stem.split("_")[1] == msg.method.lower()
    via = msg.top_via
    assert via is not None and via.transport == "UDP" and via.host == "127.0.0.1" and via.port == PEERS[peer]
    assert via.branch is not None and via.branch.startswith(MAGIC_COOKIE)
    assert msg.cseq is not None and msg.cseq.method == msg.method
    assert msg.from_ is not None and msg.from_.tag
    assert isinstance(msg.from_.uri, SipUri) and msg.from_.uri.user == "alice"
    assert msg.max_forwards == 70
    if msg.content_length is not None:
        assert msg.content_length == len(msg.body)
    assert parse_datagram(bytes(msg)) == msg
    # Over a stream the same octets frame to the same message.
    if msg.content_length is not None:
        framer = StreamFramer()
        framer.receive_data(data)
        event = framer.next_event()
        assert isinstance(event, MessageReceived) and event.message == msg
        assert framer.next_event() is NEED_DATA


INVALID = [p for p in BROKEN if "_invalid" in p.name]
TRUNCATED = [p for p in BROKEN if "_truncated" in p.name]


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture_is_rejected(path: Path) -> None:
    with pytest.raises(ParseError) as info:
        msg = parse_datagram(path.read_bytes())
        assert msg is not None
        msg.validate()
    expected = 505 if "invalid_version" in path.name else 400
    assert info.value.status_hint == expected and info.value.can_respond


@pytest.mark.parametrize("path", TRUNCATED, ids=[p.stem for p in TRUNCATED])
def test_truncated_fixture_never_yields_a_message(path: Path) -> None:
    data = path.read_bytes()
    framer = StreamFramer()
    framer.receive_data(data)
    assert framer.next_event() is NEED_DATA  # a stream waits for the rest...
    framer.receive_data(b"")
    with pytest.raises(FramingError):       # ...and a close mid-message is fatal
        framer.next_event()
    if b"\r\nContent-Length:" in data:
        # As a datagram, fewer octets than Content-Length announces is an error (18.3);
        # without Content-Length a cut datagram is indistinguishable from a short one.
        with pytest.raises(ParseError):
            parse_datagram(data)


@pytest.mark.parametrize("peer", ["sipp", "baresip", "linphone"])
def test_digest_credentials_verify(peer: str) -> None:
    """The captured credentials are a correct RFC 2617 qop=auth digest for the password the
    capture used: proof that every auth-param was read exactly."""
    msg = load(f"{peer}_register_auth.sip")
    creds = msg.authorization[0]
    assert creds.is_digest and creds.username == "alice" and creds.realm == "127.0.0.1"
    assert creds.uri is not None and creds.nonce and creds.response
    ha1 = hashlib.md5(f"alice:{creds.realm}:secret".encode()).hexdigest()
    ha2 = hashlib.md5(f"REGISTER:{creds.uri}".encode()).hexdigest()
    if creds.qop:
        expected = hashlib.md5(f"{ha1}:{creds.nonce}:{creds.nc}:{creds.cnonce}:{creds.qop}:{ha2}".encode()).hexdigest()
    else:
        expected = hashlib.md5(f"{ha1}:{creds.nonce}:{ha2}".encode()).hexdigest()
    assert creds.response == expected


def test_invites_carry_sdp() -> None:
    for peer in ("sipp", "baresip", "linphone"):
        msg = load(f"{peer}_invite.sip")
        assert msg.content_type is not None and msg.content_type.mime_type == "application/sdp"
        assert msg.body.startswith(b"v=0\r\n") and b"m=audio " in msg.body
        assert msg.contact and isinstance(msg.contact[0].uri, SipUri)


def test_peer_specific_headers() -> None:
    linphone = load("linphone_register.sip")
    assert linphone.supported == ["replaces", "outbound", "gruu"]
    assert linphone.contact[0].params["+sip.instance"].startswith('"<urn:uuid:')
    assert linphone.top_via is not None and linphone.top_via.rport is True
    assert linphone.headers.get_all("Accept")[:2] == ["application/sdp", "text/plain"]
    baresip = load("baresip_invite.sip")
    assert baresip.supported == [] and "REFER" in baresip.allow
    notify = load("sipp_notify.sip")
    assert notify.event is not None and (notify.event.package, notify.event.id) == ("presence", "7")
    assert notify.subscription_state is not None and notify.subscription_state.expires == 599
    assert notify.body.startswith(b"<?xml") and notify.content_length == len(notify.body)
    subscribe = load("sipp_subscribe.sip")
    assert subscribe.expires == 600 and subscribe.event is not None and subscribe.event.package == "presence"
    message = load("linphone_message.sip")
    assert message.body == b'"hello from linphone"' and message.header("Date").tzinfo is not None
