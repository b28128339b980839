"""SIP, SIPS, TEL and other URIs (RFC 3261 19.1, RFC 3966)."""

from __future__ import annotations

import pytest

from uc_signal.sip import AbsoluteUri, ParseError, SipUri, TelUri, parse_uri, unescape


def test_full_sip_uri() -> None:
    uri = parse_uri("sips:alice:secretword@atlanta.com:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent")
    assert isinstance(uri, SipUri)
    assert (uri.scheme, uri.user, uri.password, uri.host, uri.port) == ("sips", "alice", "secretword", "atlanta.com", 5061)
    assert uri.secure and uri.transport == "tcp" and uri.lr and uri.maddr == "239.255.255.1"
    assert uri.headers == {"subject": "project%20x", "priority": "urgent"}
    assert parse_uri(str(uri)) == uri


@pytest.mark.parametrize("text,host,port,user", [
    ("sip:atlanta.com", "atlanta.com", None, None),
    ("sip:+1-212-555-1212:1234@gateway.com;user=phone", "gateway.com", None, "+1-212-555-1212"),
    ("sip:alice@192.0.2.4:5070", "192.0.2.4", 5070, "alice"),
    ("sip:[2001:db8::10]:5060;transport=udp", "[2001:db8::10]", 5060, None),
    ("SIP:Bob@Example.COM", "Example.COM", None, "Bob"),
    ("sip:user;par=u%40example.net@example.com", "example.com", None, "user;par=u%40example.net"),
])
def test_sip_uri_forms(text: str, host: str, port: int | None, user: str | None) -> None:
    uri = SipUri.parse(text)
    assert (uri.host, uri.port, uri.user) == (host, port, user)
    assert SipUri.parse(str(uri)) == uri


def test_equality_rules() -> None:
    # RFC 3261 19.1.4: escaped and unescaped userinfo compare equal; host case-insensitive;
    # parameter order does not matter.
    assert SipUri.parse("sip:%61lice@atlanta.com;transport=TCP") == SipUri.parse("sip:alice@AtLanTa.CoM;Transport=tcp")
    assert SipUri.parse("sip:alice@a.com;a=1;b=2") == SipUri.parse("sip:alice@a.com;b=2;a=1")
    assert SipUri.parse("sip:ALICE@a.com") != SipUri.parse("sip:alice@a.com")
    assert SipUri.parse("sip:a.com:5060") != SipUri.parse("sip:a.com")


@pytest.mark.parametrize("text", [
    "sip:", "sip:@host", "sip:host:99999", "sip:host:port", "sip:us er@host", "sip:a@b;p=%zz",
    "sip:a%2@host", "sip:host;;", "sip:host?x", "sips", "http//x", "tel:", "tel:5551234",
    "tel:+1-555-abc", "mailto:", "x:a b",
])
def test_malformed_uris(text: str) -> None:
    with pytest.raises(ParseError):
        parse_uri(text)


def test_tel_uris() -> None:
    uri = parse_uri("tel:+1-201-555-0123;ext=1234;isub=56")
    assert isinstance(uri, TelUri) and uri.is_global and uri.digits == "+12015550123"
    assert uri.params == {"ext": "1234", "isub": "56"}
    local = parse_uri("tel:7042;phone-context=example.com")
    assert isinstance(local, TelUri) and not local.is_global
    assert parse_uri("tel:+1-201-555-0123") == parse_uri("tel:+1.201.555.0123")
    assert str(local) == "tel:7042;phone-context=example.com"


def test_other_schemes_stay_opaque() -> None:
    uri = parse_uri("urn:service:sos")
    assert isinstance(uri, AbsoluteUri) and (uri.scheme, uri.rest) == ("urn", "service:sos")
    assert str(parse_uri("HTTP://www.example.com/a?b")) == "http://www.example.com/a?b"


def test_unescape_and_builders() -> None:
    assert unescape("null-%00-null") == b"null-\x00-null"
    uri = SipUri("example.com", "bob", 5062, params={"transport": "tls"})
    assert str(uri) == "sip:bob@example.com:5062;transport=tls" and uri.host_port() == "example.com:5062"
    assert str(uri.replace(port=None, params={})) == "sip:bob@example.com"
    assert str(SipUri("h", scheme="sips", headers={"Replaces": "a%40b"})) == "sips:h?Replaces=a%40b"
