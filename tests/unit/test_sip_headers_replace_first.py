"""Headers.replace_first_element: the same fields as pop_first() then insert() at the
first field's index (what stamp_via did before, field by field)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uc_signal.sip import Headers


def _reference(headers: Headers, name: str, value: str) -> list[tuple[str, str]]:
    copy = headers.copy()
    index = next(i for i, (n, _) in enumerate(copy.items()) if n.lower() in (name.lower(), "v"))
    written = copy.items()[index][0]
    copy.pop_first(name)
    copy.insert(index, written, value)
    return copy.items()


_VIAS = st.lists(st.sampled_from(["SIP/2.0/UDP a.example;branch=z9hG4bK1", "SIP/2.0/TCP b:5070",
                                  'SIP/2.0/UDP c;x="q,uoted"', "SIP/2.0/UDP d, SIP/2.0/UDP e",
                                  "SIP/2.0/UDP f ,SIP/2.0/TLS g;rport, SIP/2.0/UDP h"]), min_size=1, max_size=3)


@given(vias=_VIAS, before=st.integers(0, 2), compact=st.booleans())
def test_same_fields_as_pop_first_then_insert(vias: list[str], before: int, compact: bool) -> None:
    fields: list[tuple[str, object]] = [("X-Other", str(i)) for i in range(before)]
    fields += [("v" if compact else "Via", via) for via in vias] + [("CSeq", "1 INVITE")]
    headers = Headers(fields)
    expected = _reference(headers, "Via", "SIP/2.0/UDP new;received=10.0.0.1;rport=5")
    headers.replace_first_element("via", "SIP/2.0/UDP new;received=10.0.0.1;rport=5")
    assert headers.items() == expected


def test_drops_the_cached_typed_value() -> None:
    headers = Headers([("Via", "SIP/2.0/UDP a;rport, SIP/2.0/UDP b")])
    assert len(headers.typed("via")) == 2
    headers.replace_first_element("Via", "SIP/2.0/UDP a;rport=1;received=10.0.0.1")
    assert [str(v) for v in headers.typed("via")] == ["SIP/2.0/UDP a;rport=1;received=10.0.0.1", "SIP/2.0/UDP b"]


def test_missing_header_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        Headers([("To", "<sip:a@b>")]).replace_first_element("Via", "SIP/2.0/UDP a")
