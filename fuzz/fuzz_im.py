"""Fuzz the IM application in the chain: mutated MESSAGEs (to a user with endpoints, to
one without, to the conversation factory and to a conversation, is-composing, filtered
text) through the transaction layer, endpoints answering with random statuses, timers;
and the filter and the conversation commands on raw text. Nothing may raise: bad input
is answered or dropped.

    python fuzz/fuzz_im.py -atheris_runs=20000
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, not an install

with atheris.instrument_imports():
    from _services_run import T0, run_services
    from uc_signal.directory import Binding, InMemoryBindingStore, InMemoryUserDirectory
    from uc_signal.im import Conversation, FilterRules, ImFilter, ImSettings, InMemoryImStore, im_application
    from uc_signal.im.conversations import parse_command

CHAT = "sip:chat-0123456789abcdef@example.com"
RULES = FilterRules(block_urls=("*://*.bad.test/*",), warn_urls=("*warn*",), blocked_extensions=("exe",))


def _message(uri: str, body: bytes, content_type: bytes = b"text/plain", extra: bytes = b"") -> bytes:
    return (b"MESSAGE " + uri.encode() + b" SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKm1;rport\r\n"
            b"Max-Forwards: 70\r\nFrom: \"Carol\" <sip:carol@example.net>;tag=c\r\nTo: <" + uri.encode() + b">\r\n"
            b"Call-ID: m1\r\nCSeq: 1 MESSAGE\r\n" + extra + b"Content-Type: " + content_type + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


SEEDS = [
    _message("sip:bob@example.com", b"hello http://x.bad.test/a"),
    _message("sip:bob@example.com", b"see https://warn.test/ and tool.exe"),
    _message("sip:dave@example.com", b"offline for now"),
    _message("sip:nobody@example.com", b"who?"),
    _message("sip:bob@192.0.2.1:5060", b"by address"),
    _message("sip:chat@example.com", b"/invite bob dave"),
    _message(CHAT, b"/invite sip:bob@example.com"),
    _message("sip:bob@example.com", b'<?xml version="1.0"?><isComposing><state>active</state></isComposing>',
             b"application/im-iscomposing+xml"),
    _message("sip:bob@example.com", b"x" * 300, extra=b"Route: <sip:192.0.2.1;lr>\r\n"),
]


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 200))
    ImFilter(RULES).check(text)
    parse_command(text, factory=fdp.ConsumeBool())

    users = InMemoryUserDirectory()
    for name in ("bob", "dave", "alice"):
        users.add_user(name, "example.com", "pw")
    store = InMemoryBindingStore()
    store.save(Binding("sip:bob@example.com", "sip:bob@192.0.2.20", T0 + 600))
    store.save(Binding("sip:bob@example.com", "sip:bob@192.0.2.21;transport=tcp", T0 + 600,
                       transport="TCP", source_host="192.0.2.21", source_port=4000, flow="f1"))
    im_store = InMemoryImStore()
    im_store.save_conversation(Conversation(CHAT, "sip:alice@example.com", T0, ["sip:alice@example.com"]))
    settings = ImSettings(max_size=256, filter=RULES, delivery_timeout=5.0, offline_max_attempts=2)
    run_services(fdp, users, store, SEEDS, raw_one_in=6, max_step=40.0,
                 applications=(im_application(settings, im_store),))


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
