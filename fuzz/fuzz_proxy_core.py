"""Fuzz the registrar and proxy core: mutated requests and responses through the
transaction layer, answers with random statuses from the proxied-to side, CANCELs and
timers. Nothing may raise: bad input is answered (400, 4xx) or dropped.

    python fuzz/fuzz_proxy_core.py -atheris_runs=20000
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, not an install

with atheris.instrument_imports():
    from _services_run import T0, run_services
    from uc_signal.directory import Binding, InMemoryBindingStore, InMemoryUserDirectory

SEEDS = [
    b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKr1;rport\r\n"
    b"From: <sip:bob@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: r1\r\nCSeq: 1 REGISTER\r\n"
    b"Contact: <sip:bob@192.0.2.20>;q=0.5;expires=60, <sip:bob@192.0.2.21>;+sip.instance=\"<urn:uuid:1>\";reg-id=1\r\n"
    b"Supported: gruu, outbound, path\r\nPath: <sip:192.0.2.50;lr>\r\nExpires: 300\r\nContent-Length: 0\r\n\r\n",
    b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKi1\r\n"
    b"Max-Forwards: 3\r\nFrom: <sip:carol@example.net>;tag=c\r\nTo: <sip:bob@example.com>\r\n"
    b"Call-ID: i1\r\nCSeq: 1 INVITE\r\nContact: <sip:carol@192.0.2.30>\r\nContent-Length: 0\r\n\r\n",
    b"CANCEL sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKi1\r\n"
    b"Max-Forwards: 70\r\nFrom: <sip:carol@example.net>;tag=c\r\nTo: <sip:bob@example.com>\r\n"
    b"Call-ID: i1\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
    b"BYE sip:bob@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKb1\r\n"
    b"Route: <sip:192.0.2.1:5060;transport=udp;lr>, <sip:192.0.2.20;lr>\r\nMax-Forwards: 70\r\n"
    b"From: <sip:carol@example.net>;tag=c\r\nTo: <sip:bob@example.com>;tag=b\r\n"
    b"Call-ID: i1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
    b"ACK sip:bob@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKa1\r\n"
    b"Route: <sip:192.0.2.1;lr>\r\nMax-Forwards: 70\r\nFrom: <sip:carol@example.net>;tag=c\r\n"
    b"To: <sip:bob@example.com>;tag=b\r\nCall-ID: i1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
    b"OPTIONS sip:alice@example.com;gr=urn:uuid:1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx.1\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.30;branch=z9hG4bKo\r\nMax-Forwards: 9\r\nProxy-Require: x\r\n"
    b"From: <sip:alice@example.com>;tag=c\r\nTo: <sip:alice@example.com>\r\nCall-ID: o\r\nCSeq: 1 OPTIONS\r\n\r\n",
]


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    users = InMemoryUserDirectory()
    users.add_user("bob", "example.com", "pw")
    store = InMemoryBindingStore()
    store.save(Binding("sip:bob@example.com", "sip:bob@192.0.2.20", T0 + 600, q=0.7))
    store.save(Binding("sip:bob@example.com", "sip:bob@192.0.2.21;transport=tcp", T0 + 600,
                       transport="TCP", source_host="192.0.2.21", source_port=4000, flow="f1"))
    run_services(fdp, users, store, SEEDS, raw_one_in=5, max_step=200.0)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
