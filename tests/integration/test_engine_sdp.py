"""Joining a conference from an SDP offer: AudioConference.add_leg(offer) -> (leg, answer).

Each participant is plain Python that builds its offer with uc_media's own offer builder
(Opus, SDES-SRTP required), reads the engine's answer back with process_answer, and sends
a tone with the keys that exchange agreed."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

import uc_media
from uc_media import OPUS, PCMU, LocalCapabilities, build_offer, process_answer

from engine_participant import Participant, run, tone_magnitudes


@pytest.fixture
def engine() -> Iterator[uc_media.Engine]:
    with uc_media.Engine(workers=1, port_range=(46000, 46999)) as e:
        yield e


def join_by_offer(conf: uc_media.AudioConference, freq: float) -> tuple[Participant, uc_media.Leg]:
    p = Participant(SimpleNamespace(local_port=0), freq, srtp=None)  # type: ignore[arg-type]
    caps = LocalCapabilities("127.0.0.1", p.address[1], codecs=(OPUS, PCMU), require_srtp=True,
                             srtp_suites=("AES_CM_128_HMAC_SHA1_80",))
    offer = build_offer(caps)
    leg, answer = conf.add_leg(bytes(offer))
    agreed = process_answer(offer, bytes(answer))
    assert agreed.codec == OPUS and agreed.srtp is not None
    assert agreed.remote_rtp == ("127.0.0.1", leg.local_port)
    assert agreed.rtcp_mux and agreed.audio_level_id == 1
    p.leg = SimpleNamespace(local_port=leg.local_port)  # type: ignore[assignment]
    p.tx = agreed.srtp.session("outbound")
    p.rx = agreed.srtp.session("inbound")
    p.levels = True  # the answer agreed the RFC 6464 extension, id 1
    return p, leg


def test_participants_join_from_offers_and_hear_each_other(engine: uc_media.Engine) -> None:
    conf = engine.create_conference()
    joined = [join_by_offer(conf, f) for f in (440.0, 660.0, 880.0)]
    people = [p for p, _ in joined]
    try:
        assert [leg.codec for _, leg in joined] == ["opus"] * 3
        run(people, 50)
        for p in people:
            others = [q.freq for q in people if q is not p]
            mags = tone_magnitudes(p.decoded()[-40 * 960:], [440.0, 660.0, 880.0])
            for f in others:
                assert mags[f] > 200 and mags[f] > 10 * mags[p.freq], (p.freq, mags)
        assert all(leg.stats().auth_failed == 0 for _, leg in joined)
    finally:
        for p in people:
            p.close()


def test_g711_offer_gets_a_g711_leg(engine: uc_media.Engine) -> None:
    conf = engine.create_conference()
    offer = build_offer(LocalCapabilities("127.0.0.1", 5004, codecs=(PCMU,), srtp_suites=()))
    leg, answer = conf.add_leg(bytes(offer))
    assert (leg.codec, leg.payload_type) == ("pcmu", 0)
    assert "RTP/AVP" in str(answer) and "a=crypto" not in str(answer)
    assert conf.legs == (leg,)


def test_bad_offers_leave_no_leg_behind(engine: uc_media.Engine) -> None:
    conf = engine.create_conference()
    before = engine.worker_stats(0).legs
    with pytest.raises(uc_media.SdpError):
        conf.add_leg("v=0\r\nthis is not SDP\r\n")
    dtls_only = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 5004 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
        "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\na=setup:actpass\r\n"
    )
    with pytest.raises(uc_media.DtlsUnsupportedError):
        conf.add_leg(dtls_only)
    with pytest.raises(uc_media.NegotiationError):
        conf.add_leg("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                     "m=audio 5004 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n")
    assert engine.worker_stats(0).legs == before
    assert conf.legs == ()
