"""SIP transaction layer and digest verification, each beside its reference.

- transaction: complete non-INVITE transactions (OPTIONS -> 200) between two in-memory
  TransactionLayers over UDP, bytes through the parser both ways; reference: parsing and
  serializing the same two messages and nothing else. The ratio is what matching, state,
  timers and events cost on top of the message layer.
- digest: `DigestAuthenticator.verify` of a SHA-256 Authorization value (header parse,
  nonce MAC, response, nc record); reference: the two SHA-256 hashes of the response
  computation with HA1 known, in plain hashlib.

    python benchmarks/bench_sip_transaction.py [--quick]
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import best_of, emit, quick_flag, target  # noqa: E402
from uc_signal.sip.digest import (  # noqa: E402
    DigestAuthenticator,
    DigestChallenge,
    InMemoryCredentials,
    build_credentials,
)
from uc_signal.sip.message import Request, make_response, parse_message  # noqa: E402
from uc_signal.sip.transaction_events import RequestReceived  # noqa: E402
from uc_signal.sip.transaction_layer import TransactionLayer  # noqa: E402

ALICE, BOB = ("192.0.2.10", 5060), ("192.0.2.20", 5060)
TEMPLATE = (
    "OPTIONS sip:bob@192.0.2.20 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK{n}\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\n"
    "Call-ID: {n}@192.0.2.10\r\nCSeq: 1 OPTIONS\r\nContact: <sip:alice@192.0.2.10>\r\n"
    "Content-Length: 0\r\n\r\n"
)


def requests(count: int) -> list[Request]:
    out = []
    for n in range(count):
        message = parse_message(TEMPLATE.format(n=n).encode())
        assert isinstance(message, Request)
        out.append(message)
    return out


def run_transactions(batch: list[Request]) -> None:
    alice, bob = TransactionLayer(), TransactionLayer()
    now = 0.0
    for request in batch:
        alice.send_request(request, BOB, now)
        for data, _ in alice.datagrams_to_send(now):
            bob.receive(data, ALICE, now)
        event = bob.next_event()
        assert isinstance(event, RequestReceived)
        response = make_response(event.request, 200, to_tag="b1")
        bob.send_response(response, now)
        for data, _ in bob.datagrams_to_send(now):
            alice.receive(data, BOB, now)
        alice.next_event()
        now += 0.001


def run_messages_only(batch: list[Request]) -> None:
    for request in batch:
        received = parse_message(bytes(request))
        assert isinstance(received, Request)
        received.top_via, received.cseq, received.from_, received.to  # what matching reads
        response = make_response(received, 200, to_tag="b1")
        answered = parse_message(bytes(response))
        answered.top_via, answered.cseq


def main() -> None:
    quick = quick_flag()
    count = 500 if quick else 3000
    repeat = 3 if quick else 7
    batch = requests(count)
    txn = best_of(lambda: run_transactions(batch), repeat) / count
    ref = best_of(lambda: run_messages_only(batch), repeat) / count

    store = InMemoryCredentials()
    store.add_password("alice", "example.com", "secret")
    server = DigestAuthenticator("example.com", b"benchmark-secret-0123456789", store, nonce_lifetime=1e9)
    challenge = DigestChallenge.parse(server.challenges(0.0)[0])
    values = [
        str(build_credentials(challenge, "alice", "secret", "REGISTER", "sip:example.com", cnonce="c", nc=i + 1))
        for i in range(count)
    ]
    ha1 = store.ha1("alice", "example.com", challenge.algorithm) or ""

    def verify_all() -> None:
        server.tracker = type(server.tracker)()
        for value in values:
            assert server.verify("REGISTER", "sip:example.com", [value], 1.0).accepted

    def hash_all() -> None:
        for i in range(count):
            ha2 = hashlib.sha256(b"REGISTER:sip:example.com").hexdigest()
            hashlib.sha256(f"{ha1}:{challenge.nonce}:{i + 1:08x}:c:auth:{ha2}".encode()).hexdigest()

    verify = best_of(verify_all, repeat) / count
    raw = best_of(hash_all, repeat) / count

    figures = {
        "transaction_us": round(txn * 1e6, 2),
        "parse_serialize_us": round(ref * 1e6, 2),
        "transactions_per_s": round(1 / txn),
        "digest_verify_us": round(verify * 1e6, 2),
        "raw_sha256_response_us": round(raw * 1e6, 2),
    }
    targets = {
        "transaction_vs_parse_serialize": target(txn / ref, 3.0, "<= 3x parsing+serializing the same messages"),
        "digest_verify_vs_raw_hash": target(verify / raw, 20.0, "<= 20x the bare SHA-256 response computation"),
    }
    emit(figures, targets)


if __name__ == "__main__":
    main()
