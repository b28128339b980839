"""Whatever bytes arrive, the transport answers, drops or delivers them and never raises.

The manager runs here without sockets: packets go in through `packet_received` (the UDP
and WebSocket path) and byte streams through a real StreamConnection whose kernel socket
is replaced by `MemoryTransport`, a record of what was written. What the manager answers
over UDP has no socket to go to and is counted as a send failure.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from memory_transport import MemoryTransport, answering_manager

from uc_signal.sip import ConnectionClosed, KeepAliveReceived, MessageReceived, Response, StreamFramer
from uc_signal.transport import Peer, StreamConnection, TransportConfig, TransportManager

VALID = (b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKf;rport\r\n"
         b"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c@x\r\nCSeq: 1 OPTIONS\r\n"
         b"Content-Length: 4\r\n\r\nbody")


def new_manager() -> TransportManager:
    return answering_manager(TransportConfig(udp_port=None, tcp_port=None, tls_port=None,
                                             data_dir=Path("/nonexistent")))


def mutated(data: bytes, cuts: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in cuts:
        if out:
            out[position % len(out)] = value
    return bytes(out)


inputs = st.one_of(
    st.binary(max_size=600),
    st.builds(mutated, st.just(VALID), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6)),
    st.builds(lambda n: VALID[:n], st.integers(0, len(VALID))),
)


@given(data=inputs)
def test_packets_are_answered_dropped_or_delivered(data: bytes) -> None:
    async def scenario() -> None:
        manager = new_manager()
        manager.packet_received(data, Peer("192.0.2.1", 40000, "UDP", "udp0"))
        manager.packet_received(VALID.replace(b"/TCP", b"/UDP"), Peer("192.0.2.1", 40001, "UDP", "udp0"))
        counters = manager.counters
        assert counters.internal_errors == 0
        assert counters.messages_received >= 1  # the valid one after it still got through
    asyncio.run(scenario())


@given(data=inputs, split=st.integers(0, 700))
def test_streams_stay_in_step_or_close_alone(data: bytes, split: int) -> None:
    async def scenario() -> None:
        manager = new_manager()
        connection = StreamConnection(manager, "TCP")
        transport = MemoryTransport(connection)
        connection.connection_made(transport)
        stream = data + VALID
        for chunk in (stream[:split], stream[split:]):
            if chunk and not transport.closing:
                connection.data_received(chunk)
        counters = manager.counters
        assert counters.internal_errors == 0
        if transport.closing:
            assert counters.framing_errors == 1 and len(manager.connections) == 0
        # Whatever was written back is well-framed SIP: responses and CRLF pongs only.
        framer = StreamFramer()
        framer.receive_data(bytes(transport.written))
        framer.receive_data(b"")
        for _ in range(1000):
            event = framer.next_event()
            if isinstance(event, ConnectionClosed):
                break
            assert isinstance(event, KeepAliveReceived) or (
                isinstance(event, MessageReceived) and isinstance(event.message, Response))
    asyncio.run(scenario())


def test_a_bad_message_then_a_good_one_on_a_stream() -> None:
    async def scenario() -> None:
        manager = new_manager()
        connection = StreamConnection(manager, "TCP")
        transport = MemoryTransport(connection)
        connection.connection_made(transport)
        connection.data_received(VALID.replace(b"CSeq: 1", b"CSeq: x") + VALID)
        written = bytes(transport.written)
        assert written.startswith(b"SIP/2.0 400 Bad Request\r\n")
        assert written.count(b"SIP/2.0 200 OK\r\n") == 1 and not transport.closing
    asyncio.run(scenario())
