"""The per-datagram path between the event loop and the SIP core (no sockets): what the UDP
endpoint hands the manager, the manager's clock before and after start(), where the
manager sends the layer's datagrams, and the services driver's re-arming after an event."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from uc_signal.proxy.driver import ServicesDriver
from uc_signal.sip import TransactionLayer
from uc_signal.transport import TransportConfig, TransportManager
from uc_signal.transport.peer import Peer
from uc_signal.transport.udp import UdpEndpoint

LOCAL = ("127.0.0.1", 5060)


def make_manager() -> TransportManager:
    config = TransportConfig(hosts=(LOCAL[0],), udp_port=LOCAL[1], tcp_port=None, tls_port=None,
                             data_dir=Path("/nonexistent"), domain="example.com")
    return TransportManager(config, lambda event: None, TransactionLayer())


class RecordingManager:
    front = None

    def __init__(self) -> None:
        self.received: list[tuple[bytes, object]] = []

    def packet_received(self, data: bytes, peer: object) -> None:
        self.received.append((data, peer))


def test_datagram_reaches_the_manager_with_a_peer_naming_the_socket() -> None:
    manager = RecordingManager()
    endpoint = UdpEndpoint(manager, "udp7")  # type: ignore[arg-type]
    endpoint.datagram_received(b"OPTIONS", ("192.0.2.1", 5070))
    [(data, peer)] = manager.received
    assert data == b"OPTIONS"
    assert type(peer) is Peer
    assert peer == Peer("192.0.2.1", 5070, "UDP", "udp7")
    assert (peer.host, peer.port, peer.transport, peer.flow) == ("192.0.2.1", 5070, "UDP", "udp7")
    assert peer.address == ("192.0.2.1", 5070)


def test_clock_before_start_is_the_given_loop_then_the_running_one() -> None:
    manager = make_manager()
    given = asyncio.new_event_loop()
    try:
        manager._loop = given
        given_time = given.time()
        assert given_time <= manager._now() <= given.time()
        manager._loop = None
        with pytest.raises(RuntimeError):
            manager._now()   # no loop given, none running

        async def inside() -> tuple[float, float, float]:
            loop = asyncio.get_running_loop()
            return loop.time(), manager._now(), loop.time()

        before, now, after = given.run_until_complete(inside())
        assert before <= now <= after
    finally:
        given.close()


def test_layer_datagrams_go_out_over_their_flow_or_the_default_socket() -> None:
    manager = make_manager()
    loop = asyncio.new_event_loop()
    try:
        manager._loop = loop
        sent: dict[str, list[tuple[bytes, tuple[str, int]]]] = {"udp0": [], "udp1": []}
        for name, local in (("udp0", LOCAL), ("udp1", ("127.0.0.2", 5060))):
            endpoint = UdpEndpoint(manager, name)
            endpoint.local = local
            endpoint.send = (lambda box: lambda data, address: box.append((data, address)))(  # type: ignore[method-assign]
                sent[name])
            manager._udp[name] = endpoint
        # A Peer goes out over its flow; a plain (host, port) the layer made (18.2.2's
        # sent-by, maddr) over the default socket of its address family.
        manager.layer._datagrams = [(b"to-flow", Peer("192.0.2.5", 5080, "UDP", "udp1")),
                                    (b"to-address", ("192.0.2.6", 5090))]
        manager._process()
        assert sent["udp1"] == [(b"to-flow", ("192.0.2.5", 5080))]
        assert sent["udp0"] == [(b"to-address", ("192.0.2.6", 5090))]
        assert manager.layer.datagrams_to_send(loop.time()) == []
    finally:
        loop.close()


class FakeCore:
    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.events: list[object] = []

    def handle_event(self, event: object, now: float) -> bool:
        self.events.append(event)
        return True

    def get_timer(self) -> float | None:
        return self.deadline


class FakeServices:
    def __init__(self, core: FakeCore) -> None:
        self.core = core


def test_driver_arms_the_core_deadline_after_an_event_unless_stopped() -> None:
    loop = asyncio.new_event_loop()
    try:
        async def run() -> None:
            core = FakeCore(None)
            driver = ServicesDriver(FakeServices(core), clock=lambda: 1000.0)  # type: ignore[arg-type]
            driver.start()
            assert driver._timer.deadline is None
            core.deadline = 1030.0
            driver.on_event("first")  # type: ignore[arg-type]
            assert driver._timer.deadline == 1030.0
            driver.stop()
            core.deadline = 1010.0
            driver.on_event("second")  # type: ignore[arg-type]
            assert core.events == ["first", "second"]
            assert driver._timer.deadline is None   # stopped: handled, never re-armed

        loop.run_until_complete(run())
    finally:
        loop.close()
