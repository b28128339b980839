"""One fuzzed run of the sans-IO SIP services (registrar, applications, proxy) on a bare
transaction layer: datagrams from the seeds or raw bytes at fuzzed times, and the two
registered endpoints of bob (192.0.2.20 over UDP, 192.0.2.21 over a TCP flow) answering
what the server sends them with a random status. Shared by the proxy core and IM harnesses.

Anything the server sends must parse; any exception escaping is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence

import atheris

from _seeded import seeded_payload
from uc_signal.directory import BindingStore, UserDirectory
from uc_signal.local_domains import LocalDomains
from uc_signal.proxy import LayerSender, build_services
from uc_signal.proxy.services import ApplicationFactory
from uc_signal.sip import ParseError, Request, TransactionLayer, make_response, parse_datagram
from uc_signal.transport.peer import Peer, as_peer
from uc_signal.transport.via_handling import stamp_via

PROXY = ("192.0.2.1", 5060)
UA = Peer("192.0.2.20", 5060)
ENDPOINTS = ("192.0.2.20", "192.0.2.21")
T0 = 1_800_000_000.0


def run_services(fdp: atheris.FuzzedDataProvider, users: UserDirectory, store: BindingStore,
                 seeds: Sequence[bytes], *, applications: Sequence[ApplicationFactory] = (),
                 raw_one_in: int, max_step: float) -> None:
    layer = TransactionLayer(retransmit_2xx=False)
    sender = LayerSender(layer, T0)
    services = build_services(sender, domains=LocalDomains(("example.com",), addresses=(PROXY,)),
                              users=users, store=store, secret=b"fuzz-secret-0123456789",
                              listen={"UDP": PROXY, "TCP": PROXY}, now=T0, applications=applications,
                              flow_alive=lambda token: fdp.ConsumeBool())
    core = services.core
    now = T0
    for _ in range(fdp.ConsumeIntInRange(1, 8)):
        now += fdp.ConsumeFloatInRange(0.0, max_step)
        sender.now = now
        layer.handle_timer(now)
        core.handle_timer(now)
        payload = seeded_payload(fdp, seeds, raw_one_in=raw_one_in)
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
        for raw, dest in layer.datagrams_to_send(now):
            if as_peer(dest).host not in ENDPOINTS or not fdp.ConsumeBool():
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
