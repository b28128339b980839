"""The scanner module's C-level twins of the typed-header parsers (fields.py registers them
with _sipscan.register_fast) against the Python functions they stand for: for any field
value, Headers.typed() gives the same objects, attribute for attribute, or the same
ParseError (message and status), whether the twin or the function runs. Likewise
_sipscan.parse_uri (uri.parse_uri) against uri._parse_uri, and validate() of whole messages."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal import _sipscan
from uc_signal.sip import ParseError, parse_message
from uc_signal.sip.fields import _FAST_KINDS
from uc_signal.sip.headers import TYPED_PARSERS, Headers
from uc_signal.sip.uri import _parse_uri

# Values around every boundary the twins check: delimiters, digits, case, quotes, LWS,
# the wildcard, non-ASCII, empty elements.
_PIECES = ["sip:", "sips:", "SIP:", "tel:+1", "alice", "@", "127.0.0.1", ":5060", ":99999", "<", ">", ";tag=1",
           ";expires=60", ";q=0.5", ";q=2", ";ttl=300", ";rport", ";rport=5", ";branch=z9hG4bK1", "SIP/2.0/UDP ",
           "SIP/3.0/TCP ", " ", "\t", ",", ",,", "*", '"Al \\"x\\" ice" ', "Digest ", 'realm="r"', "nonce=n",
           ", ", "=", "0", "70", "256", "4294967296", "2147483648", "99999999999999999999", "-1", "12",
           " REGISTER", "INVITE", "abc@def", "@x", "x@", "a@b@c", "{}", "()", "\u00e9", "\u0663", "%41", "/", ";",
           ";BRANCH=z9hG4bKx", ";Tag=T", ';+SIP.Instance="<urn:x>"', ";TRANSPORT=UDP", ";Lr", ";lR=1", ";ttL=1",
           "REALM=r", "Nonce", ";q\u00e9=1", "text/plain", "Application/SDP", "/", ";charset=UTF-8",
           ';boundary="b 1"', "multipart/mixed"]
_VALUES = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=8).map("".join),
    st.text(alphabet="ab09 ,;=@<>\"\\:/.*+-_!%`'~()[]?{}\t\u00e9", max_size=30),
)


def _state(value: Any) -> Any:
    """What a typed value is made of: its type and every slot (recursively), so two
    values compare equal only when built alike."""
    if isinstance(value, list):
        return [_state(item) for item in value]
    if isinstance(value, dict):
        return [(key, _state(item)) for key, item in value.items()]
    slots = [name for cls in type(value).__mro__ for name in getattr(cls, "__slots__", ())]
    if not slots:
        return (type(value), value)
    return (type(value), [(name, _state(getattr(value, name, "<unset>"))) for name in slots])


def _outcome(key: str, value: str, *, twin: bool) -> Any:
    parser, mode = TYPED_PARSERS[key]
    saved = TYPED_PARSERS[key]
    if not twin:
        TYPED_PARSERS[key] = (lambda text: parser(text), mode)  # no longer the registered function
    try:
        return ("value", _state(Headers([(key, value)]).typed(key)))
    except ParseError as exc:
        return ("error", type(exc), str(exc), exc.status_hint)
    finally:
        TYPED_PARSERS[key] = saved


def _same(key: str, value: str) -> None:
    assert _outcome(key, value, twin=True) == _outcome(key, value, twin=False), (key, value)


@pytest.mark.parametrize("key", sorted(_FAST_KINDS))
@settings(max_examples=400, deadline=None)
@given(value=_VALUES)
def test_each_twin_gives_what_its_function_gives(key: str, value: str) -> None:
    _same(key, value)


@pytest.mark.parametrize("key,value", [
    ("via", "SIP/2.0/UDP 127.0.0.1:15090;branch=z9hG4bK.4XPOWBjbj;rport"),
    ("via", "SIP/2.0/UDP h:70000"), ("via", "SIP/2.0/UDP h;ttl=256"), ("via", "SIP/2.0/UDP h;rport=x"),
    ("via", "SIP/2.0/UDP a, SIP/2.0/TCP b"), ("via", "SIP/2.0/UDP a,, SIP/2.0/TCP b"), ("via", ""),
    ("contact", "*"), ("contact", " * "), ("contact", "<sip:a@b>;expires=4294967296"), ("contact", "<sip:a@b>;q=1.5"),
    ("contact", '"A, B" <sip:a@b>, <sip:c@d>;q=0.1'), ("from", "sip:a@b;tag=x"), ("to", '"x" <sip:a@b'),
    ("cseq", "4294967296 INVITE"), ("cseq", "1"), ("call-id", "a@b@c"), ("call-id", "\u00e9"), ("call-id", ""),
    ("max-forwards", "256"), ("max-forwards", " 70 "), ("max-forwards", "\u0663"), ("max-forwards", ""),
    ("content-length", "2147483648"), ("expires", "4294967295"), ("expires", "99999999999999999999"),
    ("supported", ""), ("supported", "a, , b"), ("supported", "a b"), ("supported", "gruu,outbound"),
    ("authorization", 'Digest realm="r", nonce="n"'), ("authorization", "Digest realm"), ("www-authenticate", ""),
])
def test_boundary_values(key: str, value: str) -> None:
    _same(key, value)


def _uri_outcome(function: Any, text: str) -> Any:
    try:
        return ("value", _state(function(text)))
    except ParseError as exc:
        return ("error", str(exc), exc.status_hint)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(["sip:", "sips:", "SIP:", "tel:", "u", "@", "h.example", ":5060",
                                           ":65536", ";lr", ";LR", ";Transport=tcp", ";a=b", "?x=y", "%41", "[::1]", "\u00e9", ""]),
                          max_size=6).map("".join),
                 st.text(alphabet="sip:@;=?&%[].-_!~*'()+$,/ 09aZ\u00e9\t", max_size=30)))
def test_parse_uri_twin_gives_what_parse_uri_gives(text: str) -> None:
    assert _uri_outcome(_sipscan.parse_uri, text) == _uri_outcome(_parse_uri, text)


_REGISTER = ("REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport\r\n"
             "From: <sip:alice@example.com>;tag=1\r\nTo: sip:alice@example.com\r\nCall-ID: c1@h\r\n"
             "CSeq: 2 REGISTER\r\nMax-Forwards: 70\r\nContact: <sip:alice@192.0.2.1>;expires=60\r\n"
             "Supported: gruu, outbound\r\nExpires: 3600\r\n{extra}Content-Length: 0\r\n\r\n")


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(sorted(_FAST_KINDS)), _VALUES)
def test_validate_reports_what_the_functions_report(key: str, value: str) -> None:
    """A REGISTER with one more field: validate() passes or fails alike with the twins
    and with the functions (the first error, in field order)."""
    data = _REGISTER.format(extra=f"{key}: {value}\r\n").encode("utf-8", "surrogateescape")

    def outcome(twin: bool) -> Any:
        saved = dict(TYPED_PARSERS)
        if not twin:
            for name, (parser, mode) in saved.items():
                TYPED_PARSERS[name] = ((lambda p: lambda text: p(text))(parser), mode)
        try:
            msg = parse_message(data)
            msg.validate()
            return ("ok", _state(msg.headers.typed(key)))
        except ParseError as exc:
            return ("error", str(exc), exc.status_hint, exc.method, exc.is_request)
        finally:
            TYPED_PARSERS.update(saved)

    assert outcome(True) == outcome(False)


def _reference_to(value: str, to_tag: str) -> str:
    """What make_response wrote in the To before the scanner's module did it."""
    from uc_signal.sip.address import NameAddr
    try:
        to = NameAddr.parse(value)
    except ParseError:
        return value
    return str(to.with_tag(to_tag)) if to.tag is None else value


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(['"Bob \\"B\\"" ', "Bob ", "<", "sip:bob@h", ">", ";tag=1", ";tag",
                                           ";x=y", " ", "\u00e9", ",", '"']), max_size=7).map("".join),
                 _VALUES), st.booleans(), st.sampled_from(["t1", "abc"]))
def test_make_response_to_tag(value: str, parsed_first: bool, to_tag: str) -> None:
    """The To of a response: the request's To with the tag added as str(NameAddr...
    .with_tag()) wrote it, whether the request's To was parsed (cached) before or not."""
    from uc_signal.sip.message import Request, make_response
    request = Request("INVITE", "sip:bob@h", [("Via", "SIP/2.0/UDP h;branch=z9hG4bK1"), ("To", value),
                                              ("To", "<sip:second@h>"), ("From", "<sip:a@h>;tag=f")])
    if parsed_first:
        try:
            request.to
        except ParseError:
            pass
    response = make_response(request, 200, to_tag=to_tag)
    assert response.headers.get_all("To") == [_reference_to(value, to_tag)]
    assert make_response(request, 100, to_tag=to_tag).headers.get_all("To") == [value]
    assert make_response(request, 200).headers.get_all("To") == [value]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(["branch", "BRANCH", "Branch", "brancH", "branches", "bran", "tag", "TAG", "+sip.instance",
                                 "+SIP.Instance", "realm", "REALM", "nc", "NC", "q", "Q", "x", "lr", "LR", "ttl",
                                 "epid", "EPID", "reg-id", "Reg-ID", "qop", "QOP", "uri", "URI", "u"]),
                min_size=1, max_size=6))
def test_parameter_names_are_lower_cased_alike(names: list[str]) -> None:
    """The scanner gives its common names as shared str objects: the same text as lower()."""
    text = "".join(f";{name}=v" for name in names)
    assert list(_sipscan.parse_params(text)) == list(dict.fromkeys(name.lower() for name in names))


# ---- whole messages: _sipscan.parse_datagram and validate_message ----

from pathlib import Path  # noqa: E402

from uc_signal.sip import message as _message  # noqa: E402

_FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "sip").glob("*.sip"))
_SNIPPETS = [b"\r\n", b"\r\n\r\n", b" ", b"\t", b":", b"Content-Length: 5\r\n", b"Content-Length: 99999\r\n",
             b"l: 0\r\n", b"Content-Length: x\r\n", b"SIP/2.0", b"sip/2.0", b"SIP/3.0", b"\r\n ", b"\xff", b"\x00",
             b"INVITE", b"200", b"Via: SIP/2.0/UDP h\r\n", b"CSeq: 1 BYE\r\n", b"Contact: *\r\n", b"bad line\r\n",
             b"sip:u@h?x=y", b"Call-ID: \xc3\xa9\r\n", b";tag=1", b","]


@st.composite
def _datagrams(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_FIXTURES)).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 6))
        data[at:at + cut] = draw(st.sampled_from(_SNIPPETS))
    return bytes(data)


def _message_state(msg: Any) -> Any:
    slots = [name for cls in type(msg).__mro__ for name in getattr(cls, "__slots__", ())]
    state = [(name, getattr(msg, name, "<unset>")) for name in slots if name != "headers"]
    return (type(msg), state, msg.headers._fields, msg.headers._typed)


def _python_path(data: bytes) -> Any:
    """parse_message without the scanner's one-call path."""
    saved = _sipscan.parse_datagram
    _sipscan.parse_datagram = lambda data: None
    try:
        return ("ok", _message_state(_message.parse_message(data)))
    except ParseError as exc:
        return ("error", str(exc), exc.status_hint, exc.is_request, exc.method)
    finally:
        _sipscan.parse_datagram = saved


@settings(max_examples=3000, deadline=None)
@given(_datagrams())
def test_parse_datagram_builds_what_parse_message_builds(data: bytes) -> None:
    fast = _sipscan.parse_datagram(data)
    reference = _python_path(data)
    if fast is not None:
        assert ("ok", _message_state(fast)) == reference
    outcome: Any
    try:
        outcome = ("ok", _message_state(_message.parse_message(data)))
    except ParseError as exc:
        outcome = ("error", str(exc), exc.status_hint, exc.is_request, exc.method)
    assert outcome == reference


class _RequestKind(_message.Request):
    """A Request subclass: validate_message runs its _validate_start (the Python one)."""

    __slots__ = ()


@settings(max_examples=2000, deadline=None)
@given(_datagrams())
def test_validate_message_checks_what_request_validate_start_checks(data: bytes) -> None:
    try:
        msg = _message.parse_message(data)
    except ParseError:
        return

    def outcome(kind: type) -> Any:
        copy = kind.__new__(kind)
        for cls in type(msg).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if hasattr(msg, name):
                    setattr(copy, name, getattr(msg, name))
        copy.headers = msg.headers.copy()
        if isinstance(copy, _message.Request):
            copy._uri = None
        try:
            copy.validate()
            return "ok"
        except ParseError as exc:
            return ("error", str(exc), exc.status_hint, exc.is_request, exc.method)

    if isinstance(msg, _message.Request):
        assert outcome(_message.Request) == outcome(_RequestKind)


def _python_bytes(msg: Any) -> bytes:
    """Message.__bytes__ without the scanner's serialize_message."""
    head = f"{msg._start_line()}\r\n{msg.headers.serialize()}\r\n"
    return head.encode("utf-8", "surrogateescape") + msg.body


@settings(max_examples=2000, deadline=None)
@given(_datagrams(), st.sampled_from([100, 180, 200, 299, 401, 487, 699]), st.sampled_from([None, "OK", "\u00e9 x", ""]),
       st.sampled_from([None, "t1"]))
def test_serialize_and_response_of_give_what_the_python_path_gives(data: bytes, status: int, reason: str | None,
                                                                  to_tag: str | None) -> None:
    try:
        msg = _message.parse_message(data)
    except ParseError:
        return
    assert bytes(msg) == _python_bytes(msg)
    headers = msg.headers
    response = _message.make_response(headers, status, reason, to_tag=to_tag)
    reference = _message.Response(status, reason, Headers._from_parsed(list(response.headers._fields)))
    assert _message_state(response) == _message_state(reference)
    assert bytes(response) == _python_bytes(response) == bytes(reference)


def test_response_of_leaves_odd_statuses_to_response() -> None:
    with pytest.raises(ValueError, match="status code out of range"):
        _message.make_response(Headers([("Via", "SIP/2.0/UDP h")]), 700)
    assert _message.make_response(Headers([]), True + 199).status == 200


def test_objects_of_classes_with_their_own_setattr_are_built_through_it() -> None:
    """The scanner stores straight into plain __slots__; a class that intercepts setattr
    (or whose attribute is a property) gets every attribute through setattr instead."""
    from uc_signal.sip.address import NameAddr
    from uc_signal.sip.via import Via

    class SeenVia(Via):
        __slots__ = ("seen",)

        def __setattr__(self, name: str, value: Any) -> None:
            if name != "seen":
                object.__setattr__(self, "seen", [*getattr(self, "seen", []), name])
            object.__setattr__(self, name, value)

    via = _sipscan.parse_via(SeenVia, "SIP/2.0/UDP h:5060;branch=z9hG4bK1")
    assert via.seen == ["transport", "host", "port", "params", "protocol"]
    assert [getattr(via, name) for name in Via.__slots__] == ["UDP", "h", 5060, {"branch": "z9hG4bK1"}, "SIP/2.0"]

    class DisplayedAddr(NameAddr):
        __slots__ = ("_display",)

        @property  # type: ignore[override]
        def display_name(self) -> str | None:
            return self._display

        @display_name.setter
        def display_name(self, value: str | None) -> None:
            self._display = None if value is None else value.upper()

    addr = _sipscan.parse_name_addr(DisplayedAddr, '"bob" <sip:b@h>;tag=1')
    assert (addr.display_name, addr.uri_text, addr.params) == ("BOB", "sip:b@h", {"tag": "1"})


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(["0", "1", "9", "00", "255", "256", "65535", "4294967295", "999999999",
                                           " ", "\t", "-", "+", "x", "\u0663", "\u00b2", ""]), max_size=6).map("".join),
                 st.text(alphabet="0123456789 \t-x\u0663", max_size=25)),
       st.sampled_from([0, 1, 255, 65535, 2**31 - 1, 2**32 - 1, 10**18, 2**64]))
def test_parse_uint_twin_gives_what_the_function_gives(text: str, limit: int) -> None:
    from uc_signal.sip.grammar import _parse_uint, parse_uint

    def outcome(function: Any) -> Any:
        try:
            value = function(text, "X", limit)
            return ("value", type(value), value)
        except ParseError as exc:
            return ("error", str(exc), exc.status_hint)

    assert outcome(parse_uint) == outcome(_parse_uint)


def test_the_scanners_refuse_what_is_not_a_class() -> None:
    import sys

    for cls in (len, None, 3, type(sys.flags)):  # sys.flags' type makes no instances
        with pytest.raises(TypeError):
            _sipscan.parse_via(cls, "SIP/2.0/UDP h")
        with pytest.raises(TypeError):
            _sipscan.parse_cseq(cls, "1 INVITE")


_OPTION_TAG_KEYS = sorted(key for key, (kind, _, _) in _FAST_KINDS.items() if kind == "option-tag")


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(_OPTION_TAG_KEYS),
       st.lists(st.one_of(st.lists(st.sampled_from(["gruu", "path", "100rel", "INVITE", ",", ", ", " ", "\t", "\x0b",
                                                    "\x1c", "\u00e9", '"', "<", ">", "a b", "", "x.y-z!%*_+`'~"]),
                                   max_size=6).map("".join),
                          st.text(alphabet="ab, \t\x0b\"<\u00e9", max_size=12)), min_size=1, max_size=3))
def test_validate_checks_option_tags_as_their_typed_value_does(key: str, lines: list[str]) -> None:
    """validate() checks an option-tag list without making it: the same outcome, and the
    same value read afterwards, as with the list made by the functions."""
    from uc_signal.sip.message import Request

    def outcome(twin: bool) -> Any:
        request = Request("OPTIONS", "sip:h", [("Via", "SIP/2.0/UDP h;branch=z9hG4bK1"), ("From", "<sip:a@h>;tag=1"),
                                               ("To", "<sip:b@h>"), ("Call-ID", "c"), ("CSeq", "1 OPTIONS")]
                          + [(key, line) for line in lines])
        saved = TYPED_PARSERS[key]
        if not twin:
            parser, mode = saved
            TYPED_PARSERS[key] = (lambda text: parser(text), mode)
        try:
            request.validate()
            return ("ok", request.headers.typed(key))
        except ParseError as exc:
            return ("error", str(exc), exc.status_hint)
        finally:
            TYPED_PARSERS[key] = saved

    assert outcome(True) == outcome(False)
