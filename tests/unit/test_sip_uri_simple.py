"""The scanner's one-pass parse of plain SIP URIs (_sipscan.parse_sip_uri_simple) against
the regular-expression parser it short-cuts: whenever it gives a URI, the regex path gives
the same one, attribute for attribute; it gives None for whatever it does not handle."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal import _sipscan
from uc_signal.sip import ParseError, SipUri

# Characters around every boundary of the grammar: delimiters, escapes, case, non-ASCII.
_ALPHABET = "sipSIP:@;=?&%[].-_!~*'()+$,/ 0123456789aAbZx\u00e9\t"
_PIECES = ["sip:", "sips:", "SIP:", "u1", "@", "example.com", "127.0.0.1", ":5060", ":65536", ":123456",
           ";lr", ";transport=udp", ";X=Y", ";a=", ";;", "?h=v", "%41", "[::1]", "alice", ";a=b=c", "="]


def _attributes(uri: SipUri) -> tuple:
    return (uri.scheme, uri.user, uri.password, uri.host, uri.port, list(uri.params.items()), uri.headers)


def _same_as_regex(text: str) -> None:
    simple = _sipscan.parse_sip_uri_simple(SipUri, text)
    if simple is None:
        return
    assert type(simple) is SipUri
    assert _attributes(simple) == _attributes(SipUri._parse_regex(text)), text


@settings(max_examples=3000)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=7).map("".join))
def test_pieces_parse_as_the_regex_path_does(text: str) -> None:
    _same_as_regex(text)


@settings(max_examples=3000)
@given(st.text(alphabet=_ALPHABET, max_size=40).map(lambda t: "sip:" + t))
def test_any_text_parses_as_the_regex_path_does(text: str) -> None:
    _same_as_regex(text)


def test_the_common_forms_take_the_one_pass_path() -> None:
    cases: list[tuple[str, tuple]] = [
        ("sip:u1@example.com", ("sip", "u1", None, "example.com", None, [], {})),
        ("sips:alice@127.0.0.1:5061", ("sips", "alice", None, "127.0.0.1", 5061, [], {})),
        ("sip:127.0.0.1:5060;Transport=udp;lr", ("sip", None, None, "127.0.0.1", 5060,
                                                 [("transport", "udp"), ("lr", None)], {})),
        ("sip:h;a=;a=2", ("sip", None, None, "h", None, [("a", "2")], {})),
    ]
    for text, expected in cases:
        uri = _sipscan.parse_sip_uri_simple(SipUri, text)
        assert uri is not None and _attributes(uri) == expected


def test_what_it_leaves_to_the_regex_path() -> None:
    for text in ["SIP:u@h", "sip:u%41@h", "sip:u:pw@h", "sip:[::1]", "sip:h?x=y", "sip:h:65536", "sip:h;;",
                 "sip:h;", "sip:", "sip:@h", "sip:\u00e9@h", "sip:h:", "sip:h;a=b=c", "tel:+1"]:
        assert _sipscan.parse_sip_uri_simple(SipUri, text) is None


def test_errors_are_still_reported() -> None:
    for text in ["sip:h:65536", "sip:h;;", "sip:h;a=b=c"]:
        try:
            SipUri.parse(text)
        except ParseError:
            continue
        raise AssertionError(f"{text!r} parsed")
