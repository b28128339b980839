"""Hypothesis properties of the SDP layer: generated descriptions round-trip exactly;
attribute order inside a media section does not change what it means; any text gives a
description or an SdpError (and any description an answer or a NegotiationError)."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uc_media import (
    Attribute,
    Connection,
    ExtMap,
    IceCandidate,
    IceCredentials,
    LocalCapabilities,
    MediaDescription,
    NegotiatedAudio,
    NegotiationError,
    Origin,
    RtpMap,
    SdpError,
    SessionDescription,
    negotiate_answer,
    parse_sdp,
)
from uc_media.sdp import Bandwidth, Timing

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sdp"
VALID = {p.stem: p.read_bytes() for p in sorted(FIXTURES.glob("*.sdp")) if not p.stem.endswith(("_invalid", "_truncated"))}
CAPS = LocalCapabilities("192.0.2.10", 40000, ice=IceCredentials("uc01", "ucserverIcePassword0001x"))

tokens = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,11}", fullmatch=True)
texts = st.text(st.characters(exclude_characters="\r\n\x00", exclude_categories=["Cs"]), max_size=24)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
big = st.integers(0, 10**20 - 1)
typed_times = st.lists(st.from_regex(r"-?[0-9]{1,6}[dhms]?", fullmatch=True), min_size=1, max_size=4).map(" ".join)


@st.composite
def connections(draw: st.DrawFn) -> Connection:
    if draw(st.booleans()):
        ttl = draw(st.none() | st.integers(0, 255))
        count = draw(st.none() | st.integers(1, 9)) if ttl is not None else None
        return Connection(draw(ipv4), "IP4", ttl=ttl, count=count)
    return Connection(draw(ipv6), "IP6", count=draw(st.none() | st.integers(1, 9)))


def known_attributes() -> st.SearchStrategy[Attribute]:
    b64 = st.binary(min_size=30, max_size=30).map(lambda b: base64.b64encode(b).decode())
    pt = st.integers(0, 127)
    return st.one_of(
        st.builds(lambda p, n, r, c: Attribute("rtpmap", str(RtpMap(p, n, r, c))), pt,
                  st.sampled_from(["opus", "PCMU", "G722", "telephone-event", "x-codec"]),
                  st.integers(1, 96000), st.none() | st.integers(1, 8)),
        # Event lists: valid for telephone-event, an ignored bare name for Opus.
        st.builds(lambda p, v: Attribute("fmtp", f"{p} {v}"), pt, st.sampled_from(["0-15", "0-11,16", "1"])),
        st.builds(lambda v: Attribute("ptime", str(v)), st.integers(1, 10000)),
        st.sampled_from([Attribute(n) for n in ("sendrecv", "sendonly", "recvonly", "inactive", "rtcp-mux",
                                                "ice-lite", "end-of-candidates")]),
        st.builds(lambda t, k, s: Attribute("crypto", f"{t} {s} inline:{k}"), st.integers(0, 999), b64,
                  st.sampled_from(["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"])),
        st.builds(lambda c, a, p: Attribute("candidate", str(IceCandidate("1", c, "UDP", 2130706431, a, p, "host"))),
                  st.integers(1, 2), ipv4 | ipv6, st.integers(0, 65535)),
        st.builds(lambda i, vad: Attribute("extmap", str(ExtMap(i, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", None, vad))),
                  st.integers(1, 14), st.sampled_from([None, "vad=on", "vad=off"])),
        st.builds(lambda s, c: Attribute("ssrc", f"{s} cname:{c}"), st.integers(0, 2**32 - 1), tokens),
        st.builds(lambda m: Attribute("mid", m), tokens),
        st.builds(lambda u: Attribute("ice-ufrag", u), st.from_regex(r"[A-Za-z0-9+/]{4,12}", fullmatch=True)),
    )


attributes = known_attributes() | st.builds(Attribute, tokens.map(lambda t: "x-" + t), st.none() | texts)
_SINGLE = {"ptime", "mid", "ice-ufrag", "sendrecv", "sendonly", "recvonly", "inactive"}


def well_formed(attrs: list[Attribute]) -> tuple[Attribute, ...]:
    """Drop what RFC 8866 forbids across attributes: a second direction, ptime, mid or
    ufrag, a second rtpmap/fmtp for one payload type."""
    seen: set[str] = set()
    out = []
    for attr in attrs:
        if attr.name in _SINGLE:
            key = "direction" if attr.name in ("sendrecv", "sendonly", "recvonly", "inactive") else attr.name
        elif attr.name in ("rtpmap", "fmtp"):
            key = f"{attr.name} {(attr.value or '').split()[0]}"
        else:
            key = ""
        if key and key in seen:
            continue
        seen.add(key)
        out.append(attr)
    return tuple(out)


@st.composite
def media_sections(draw: st.DrawFn, connected: bool) -> MediaDescription:
    rtp = draw(st.booleans())
    proto = draw(st.sampled_from(["RTP/AVP", "RTP/SAVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVPF"])) if rtp else "UDP/BFCP"
    formats = draw(st.lists(st.integers(0, 127).map(str) if rtp else tokens, min_size=1, max_size=5))
    return MediaDescription(
        draw(st.sampled_from(["audio", "video", "application"])), draw(st.integers(0, 65535)), proto, tuple(formats),
        draw(st.none() | st.integers(1, 4)), draw(st.none() | texts),
        tuple(draw(st.lists(connections(), min_size=0 if connected else 1, max_size=2))),
        tuple(draw(st.lists(st.builds(Bandwidth, st.sampled_from(["AS", "TIAS", "CT"]), st.integers(0, 10**6)), max_size=2))),
        draw(st.none() | texts), well_formed(draw(st.lists(attributes, max_size=8))))


@st.composite
def descriptions(draw: st.DrawFn) -> SessionDescription:
    connection = draw(st.none() | connections())
    origin_v6 = draw(st.booleans())
    origin = Origin(draw(tokens), draw(big), draw(big), draw(ipv6 if origin_v6 else ipv4), "IP6" if origin_v6 else "IP4")
    timings = draw(st.lists(st.builds(Timing, big, big, st.lists(typed_times, max_size=2).map(tuple)), min_size=1, max_size=2))
    return SessionDescription(
        origin, draw(texts), draw(st.none() | texts), draw(st.none() | texts), tuple(draw(st.lists(texts, max_size=2))),
        tuple(draw(st.lists(texts, max_size=2))), connection,
        tuple(draw(st.lists(st.builds(Bandwidth, st.sampled_from(["AS", "CT"]), st.integers(0, 10**6)), max_size=2))),
        tuple(timings), draw(st.none() | typed_times), draw(st.none() | texts), well_formed(draw(st.lists(attributes, max_size=5))),
        tuple(draw(st.lists(media_sections(connected=connection is not None), max_size=3))))


@given(descriptions())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_generated_descriptions_round_trip_exactly(desc: SessionDescription) -> None:
    text = str(desc)
    parsed = parse_sdp(text)
    assert parsed == desc
    assert str(parsed) == text
    assert parse_sdp(text.replace("\r\n", "\n")) == desc


def _meaning(desc: SessionDescription, media: MediaDescription) -> tuple[object, ...]:
    """Everything the typed views say about a section, order-insensitive where the RFCs are."""
    return (
        media.rtpmaps, {pt: media.fmtp(pt) for pt in media.payload_types}, media.ptime, media.maxptime,
        desc.direction_of(media), media.rtcp_mux, media.rtcp, media.crypto, frozenset(map(str, media.candidates)),
        frozenset(map(str, media.extmaps)), frozenset(map(str, media.ssrcs)), media.mid, media.setup,
        frozenset(media.fingerprints), desc.ice_credentials_of(media), media.end_of_candidates,
    )


def _comparable(audio: NegotiatedAudio) -> tuple[object, object]:
    # Our answer key is fresh each time; the peer's key, suite and tag must not change.
    # Candidates form a set (RFC 8839 5.1 gives their order no meaning).
    srtp = audio.srtp
    ice = audio.remote_ice
    if ice is not None:
        ice = dataclasses.replace(ice, candidates=tuple(sorted(ice.candidates, key=str)))
    return dataclasses.replace(audio, srtp=None, remote_ice=ice), (srtp.suite, srtp.remote) if srtp else None


@given(st.sampled_from(sorted(VALID)), st.randoms(use_true_random=False))
@settings(max_examples=200)
def test_attribute_order_within_a_media_section_does_not_matter(name: str, rnd: object) -> None:
    desc = parse_sdp(VALID[name])
    sections = []
    for media in desc.media:
        attrs = list(media.attributes)
        rnd.shuffle(attrs)  # type: ignore[attr-defined]
        # a=crypto lines are in preference order (RFC 4568 7.1.1): keep theirs.
        crypto = iter([a for a in media.attributes if a.name == "crypto"])
        attrs = [next(crypto) if a.name == "crypto" else a for a in attrs]
        sections.append(dataclasses.replace(media, attributes=tuple(attrs)))
    shuffled = parse_sdp(str(dataclasses.replace(desc, media=tuple(sections))))
    for original, moved in zip(desc.media, shuffled.media):
        assert _meaning(desc, original) == _meaning(shuffled, moved)
    try:
        expected = _comparable(negotiate_answer(desc, CAPS).audio)
    except NegotiationError as exc:
        try:
            negotiate_answer(shuffled, CAPS)
        except NegotiationError as again:
            assert str(again) == str(exc)
            return
        raise AssertionError("only one order was refused") from exc
    assert _comparable(negotiate_answer(shuffled, CAPS).audio) == expected


def _accept_or_refuse(data: str | bytes) -> None:
    try:
        desc = parse_sdp(data)
    except SdpError:
        return
    # What parses re-serialises to a fixed point and can be answered or refused cleanly.
    assert parse_sdp(str(desc)) == desc
    try:
        answer = negotiate_answer(desc, CAPS)
    except NegotiationError:
        return
    assert parse_sdp(bytes(answer)) == answer.sdp


@given(st.text(max_size=400) | st.binary(max_size=400))
@settings(max_examples=300)
def test_arbitrary_text_is_a_description_or_an_sdp_error(data: str | bytes) -> None:
    _accept_or_refuse(data)


@given(st.sampled_from(sorted(VALID)), st.data())
@settings(max_examples=400)
def test_mutated_real_sdp_is_a_description_or_an_sdp_error(name: str, data: st.DataObject) -> None:
    lines = VALID[name].decode().split("\r\n")
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "duplicate", "edit", "swap"]))
        if action == "drop":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif lines[i]:
            at = data.draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:at] + data.draw(st.text(max_size=3)) + lines[i][at + 1:]
        if not lines:
            break
    _accept_or_refuse("\r\n".join(lines))
