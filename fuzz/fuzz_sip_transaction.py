"""Fuzz the transaction layer's receive path: bytes from the wire, timers, responses.

The layer must report bad input as MalformedMessageReceived and never raise. Inputs are
raw bytes and mutations of valid requests and responses (so matching, CANCEL, ACK and the
RFC 2543 fallback are reached, not only the parser's error paths).

    python fuzz/fuzz_sip_transaction.py -atheris_runs=20000
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris
from _seeded import seeded_payload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, not an install

with atheris.instrument_imports():
    from uc_signal.sip.message import Request, make_response
    from uc_signal.sip.parse_error import ParseError
    from uc_signal.sip.transaction_events import RequestReceived
    from uc_signal.sip.transaction_layer import TransactionError, TransactionLayer

SEEDS = [
    b"INVITE sip:bob@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1;rport\r\n"
    b"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    b"ACK sip:bob@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
    b"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: c\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
    b"CANCEL sip:bob@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.10;branch=old\r\n"
    b"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
    b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
    b"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
]


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    layer = TransactionLayer()
    now = 0.0
    for _ in range(fdp.ConsumeIntInRange(1, 6)):
        payload = seeded_payload(fdp, SEEDS, raw_one_in=4)
        now += fdp.ConsumeFloatInRange(0.0, 40.0)
        layer.handle_timer(now)
        layer.receive(payload, ("192.0.2.10", fdp.ConsumeIntInRange(1, 65535)), now)
        for event in iter(layer.next_event, None):
            if isinstance(event, RequestReceived) and event.transaction and isinstance(event.request, Request):
                try:
                    response = make_response(event.request, fdp.ConsumeIntInRange(100, 699), to_tag="t")
                    layer.send_response(response, now)
                except (TransactionError, ParseError):
                    pass  # a response the state or the (mutated) request does not allow
        layer.datagrams_to_send(now)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
