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
from _seeded import seeded_payload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, not an install

with atheris.instrument_imports():
    from uc_signal.directory import Binding, InMemoryBindingStore, InMemoryUserDirectory
    from uc_signal.im import Conversation, FilterRules, ImFilter, ImSettings, InMemoryImStore, im_application
    from uc_signal.im.conversations import parse_command
    from uc_signal.local_domains import LocalDomains
    from uc_signal.proxy import LayerSender, build_services
    from uc_signal.sip import ParseError, Request, TransactionLayer, make_response, parse_datagram
    from uc_signal.transport.peer import Peer, as_peer
    from uc_signal.transport.via_handling import stamp_via

PROXY = ("192.0.2.1", 5060)
UA = Peer("192.0.2.20", 5060)
T0 = 1_800_000_000.0
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
    layer = TransactionLayer(retransmit_2xx=False)
    sender = LayerSender(layer, T0)
    services = build_services(sender, domains=LocalDomains(("example.com",), addresses=(PROXY,)),
                              users=users, store=store, secret=b"fuzz-secret-0123456789",
                              listen={"UDP": PROXY, "TCP": PROXY}, now=T0,
                              applications=(im_application(settings, im_store),),
                              flow_alive=lambda token: fdp.ConsumeBool())
    core = services.core
    now = T0
    for _ in range(fdp.ConsumeIntInRange(1, 8)):
        now += fdp.ConsumeFloatInRange(0.0, 40.0)
        sender.now = now
        layer.handle_timer(now)
        core.handle_timer(now)
        payload = seeded_payload(fdp, SEEDS, raw_one_in=6)
        source = Peer("192.0.2.30", fdp.ConsumeIntInRange(1, 65535), "UDP", "udp0")
        try:
            message = parse_datagram(payload)
        except ParseError:
            message = None
        if message is not None:
            if isinstance(message, Request):
                stamp_via(message.headers, source)
            layer.receive(message, source, now)
        for event in iter(layer.next_event, None):
            core.handle_event(event, now)
        # The endpoints answer what the server sent with a random status.
        for raw, dest in layer.datagrams_to_send(now):
            if as_peer(dest).host not in ("192.0.2.20", "192.0.2.21") or not fdp.ConsumeBool():
                continue
            try:
                sent = parse_datagram(raw)
            except ParseError:
                raise AssertionError(f"the server sent something unparseable: {raw[:200]!r}") from None
            if isinstance(sent, Request) and sent.method != "ACK":
                answer = make_response(sent, fdp.ConsumeIntInRange(100, 699), to_tag="u")
                layer.receive(bytes(answer), UA, now)
                for event in iter(layer.next_event, None):
                    core.handle_event(event, now)
        layer.datagrams_to_send(now)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
