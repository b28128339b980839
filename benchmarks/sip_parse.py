"""SIP message parse + serialize time, side by side with `sipmessage` and a stdlib floor.

Four messages captured from real peers or written like them (tests/fixtures/sip/): a
REGISTER with digest credentials (sipp), an INVITE with SDP (baresip), a 200 OK to an
INVITE with Record-Route and SDP, a NOTIFY with a PIDF body (sipp). For each, in the same
run:

- ucserver: `parse_message` and then the typed headers a registrar / proxy reads
  (Via, From, To, CSeq, Call-ID, Contact, Authorization, ...); then `bytes(msg)`;
- sipmessage (PyPI, pure Python): `Message.parse` and the same typed properties; `bytes()`;
- floor: stdlib `email.parser.BytesHeaderParser` splitting the header block only
  (no typed values, no SIP rules): what a dict of raw headers costs.

Run:  python benchmarks/sip_parse.py [--quick]
Target: the REGISTER parsed to typed Via/From/To/CSeq/Call-ID/Contact/Authorization in
<= 10 us.
"""

from __future__ import annotations

import email.parser
import sys
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sipmessage  # noqa: E402

from benchmarks._common import ROOT, best_of, emit, quick_flag, target  # noqa: E402
from uc_signal.sip import parse_message  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "sip"

OK_200_SDP = (b"v=0\r\no=bob 2808844564 2808844564 IN IP4 192.0.2.4\r\ns=-\r\nc=IN IP4 192.0.2.4\r\n"
              b"t=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
OK_200 = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP proxy.example.com:5060;branch=z9hG4bK2d4790.1;received=192.0.2.3\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:15080;branch=z9hG4bK5c200135986774a7;rport=15080\r\n"
    b"Record-Route: <sip:proxy.example.com;lr>\r\n"
    b"From: <sip:alice@127.0.0.1:15060>;tag=c4eff7d6e2a8f773\r\n"
    b"To: <sip:bob@127.0.0.1:15060>;tag=314159\r\n"
    b"Call-ID: 9410b5b4031a582d\r\n"
    b"CSeq: 63913 INVITE\r\n"
    b"Contact: <sip:bob@192.0.2.4:5060>\r\n"
    b"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: %d\r\n\r\n" % len(OK_200_SDP)) + OK_200_SDP

MESSAGES = {
    "register": (FIXTURES / "sipp_register_auth.sip").read_bytes(),
    "invite": (FIXTURES / "baresip_invite.sip").read_bytes(),
    "ok200": OK_200,
    "notify": (FIXTURES / "sipp_notify.sip").read_bytes(),
}

# The typed headers each kind of message is read for (a registrar, a proxy, a UAC, a
# subscriber), named by each library's accessor.
OURS = {
    "register": ("via", "from_", "to", "cseq", "call_id", "contact", "authorization"),
    "invite": ("via", "from_", "to", "cseq", "call_id", "contact", "max_forwards", "content_type", "content_length"),
    "ok200": ("via", "from_", "to", "cseq", "call_id", "contact", "record_route", "content_length"),
    "notify": ("via", "from_", "to", "cseq", "call_id", "contact", "content_type", "content_length"),
}
THEIRS = {
    kind: tuple({"from_": "from_address", "to": "to_address"}.get(a, a) for a in attrs)
    for kind, attrs in OURS.items()
}
NOTIFY_EXTRA = ("event", "subscription_state")  # ours only: sipmessage has no accessor


def parse_and_read(parse: Callable[[bytes], Any], data: bytes, attrs: tuple[str, ...]) -> Callable[[], Any]:
    """One timed call: parse `data`, then read each typed accessor in `attrs`."""
    def run() -> Any:
        msg = parse(data)
        for name in attrs:
            getattr(msg, name)
        return msg
    return run


def ours_parse(data: bytes, attrs: tuple[str, ...]) -> Callable[[], Any]:
    return parse_and_read(parse_message, data, attrs)


def theirs_parse(data: bytes, attrs: tuple[str, ...]) -> Callable[[], Any]:
    return parse_and_read(sipmessage.Message.parse, data, attrs)


def floor_parse(data: bytes) -> Callable[[], Any]:
    parser = email.parser.BytesHeaderParser()
    start_end = data.index(b"\r\n") + 2
    head = data[start_end:]
    return lambda: parser.parsebytes(head)


def per_call_us(fn: Callable[[], Any], n: int, repeat: int) -> float:
    def loop() -> None:
        for _ in range(n):
            fn()
    return best_of(loop, repeat) / n * 1e6


def main() -> None:
    quick = quick_flag()
    # Short loops, many repeats: on a shared machine the best of many short runs is the
    # least disturbed one (a 100 ms loop is nearly always preempted somewhere).
    n, repeat = (200, 40) if quick else (500, 150)
    figures: dict[str, float] = {}
    for kind, data in MESSAGES.items():
        # Same answers from both parsers before timing them.
        ours = ours_parse(data, OURS[kind])()
        theirs = theirs_parse(data, THEIRS[kind])()
        assert ours.call_id == theirs.call_id and ours.cseq.seq == theirs.cseq.sequence
        assert len(ours.via) == len(theirs.via)
        attrs = OURS[kind] + (NOTIFY_EXTRA if kind == "notify" else ())
        figures[f"{kind}_parse_typed_us"] = per_call_us(ours_parse(data, attrs), n, repeat)
        figures[f"{kind}_parse_typed_sipmessage_us"] = per_call_us(theirs_parse(data, THEIRS[kind]), n, repeat)
        figures[f"{kind}_headers_only_email_us"] = per_call_us(floor_parse(data), n, repeat)
        figures[f"{kind}_serialize_us"] = per_call_us(lambda: bytes(ours), n, repeat)
        figures[f"{kind}_serialize_sipmessage_us"] = per_call_us(lambda: bytes(theirs), n, repeat)
        figures[f"{kind}_parse_ratio_vs_sipmessage"] = (
            figures[f"{kind}_parse_typed_us"] / figures[f"{kind}_parse_typed_sipmessage_us"])
        figures[f"{kind}_parse_ratio_vs_email_floor"] = (
            figures[f"{kind}_parse_typed_us"] / figures[f"{kind}_headers_only_email_us"])
    for kind in MESSAGES:
        print(f"{kind:9} parse+typed {figures[f'{kind}_parse_typed_us']:7.2f} us"
              f"  sipmessage {figures[f'{kind}_parse_typed_sipmessage_us']:7.2f} us"
              f"  email floor {figures[f'{kind}_headers_only_email_us']:7.2f} us"
              f"  serialize {figures[f'{kind}_serialize_us']:5.2f} us"
              f" (sipmessage {figures[f'{kind}_serialize_sipmessage_us']:5.2f} us)")
    figures = {k: round(v, 3) for k, v in figures.items()}
    targets = {
        "register_parse_typed_us": target(figures["register_parse_typed_us"], 10.0, "<= 10 us"),
        "register_parse_vs_sipmessage": target(figures["register_parse_ratio_vs_sipmessage"], 1.0,
                                               "<= 1.0x sipmessage"),
    }
    emit(figures, targets)


if __name__ == "__main__":
    main()
