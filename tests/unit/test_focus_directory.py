"""Conference URIs as the focus keys them: parameters a client or proxy adds do not make
another meeting, the focus marker is recognised, and no text makes either function raise."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from uc_signal.focus import conference_key, looks_like_conference_uri

LYNC = "sip:alice@Example.TEST;gruu;opaque=app:conf:focus:id:AB12CD"   # the user part is case-sensitive (19.1.4)


def test_transport_port_and_case_of_the_host_do_not_change_the_meeting() -> None:
    assert conference_key("sip:alice@example.test:5060;transport=udp;gruu;opaque=app:conf:focus:id:AB12CD") == \
        conference_key(LYNC)
    assert conference_key("<sip:meet1@EXAMPLE.test>") == conference_key("sip:meet1@example.test;transport=tcp")
    assert conference_key(LYNC) != conference_key("sip:alice@example.test;gruu;opaque=app:conf:focus:id:ZZ99")


def test_the_focus_marker() -> None:
    assert looks_like_conference_uri(LYNC)
    assert not looks_like_conference_uri("sip:alice@example.test;gruu;opaque=user:epid:x")
    assert not looks_like_conference_uri("sip:meet1@example.test")
    assert not looks_like_conference_uri("not a uri")


@given(st.text(max_size=120))
def test_any_text_is_keyed_and_judged_without_raising(text: str) -> None:
    assert isinstance(conference_key(text), str)
    assert looks_like_conference_uri(text) in (True, False)


@given(st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True), st.sampled_from(["udp", "tcp", "tls"]),
       st.integers(min_value=1, max_value=65535))
def test_a_transport_or_port_never_makes_another_meeting(user: str, transport: str, port: int) -> None:
    plain = f"sip:{user}@example.test"
    assert conference_key(f"sip:{user}@example.test:{port};transport={transport}") == conference_key(plain)
