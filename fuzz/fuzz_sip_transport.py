"""Fuzz the transports' receive paths: a datagram (UDP/WebSocket) and a byte stream
(TCP/TLS) cut into chunks, through the real TransportManager, TransactionLayer and
StreamConnection. Nothing may raise, and the manager must count no internal error.

The stream's kernel socket is replaced by an in-memory asyncio.Transport; everything runs
inside one asyncio loop so the connection's idle timer can be armed.

    python fuzz/fuzz_sip_transport.py -atheris_runs=20000
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout, not an install
sys.path.insert(0, str(ROOT / "tests"))  # tests/memory_transport.py

with atheris.instrument_imports():
    from uc_signal.transport import Peer, StreamConnection, TransportConfig
    from memory_transport import MemoryTransport, answering_manager

SEED = (b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKf;rport\r\n"
        b"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c@x\r\nCSeq: 1 OPTIONS\r\n"
        b"Content-Length: 4\r\n\r\nbody")
CONFIG = TransportConfig(udp_port=None, tcp_port=None, tls_port=None, idle_timeout=3600.0)


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 2)
    payload = fdp.ConsumeBytes(fdp.remaining_bytes())
    if mode == 1:  # splice fuzz bytes into a valid request
        cut = len(payload) % (len(SEED) + 1)
        payload = SEED[:cut] + payload + SEED[cut:]
    manager = answering_manager(CONFIG)
    manager.packet_received(payload, Peer("192.0.2.1", 40000, "UDP", "udp0"))
    connection = StreamConnection(manager, "TCP")
    transport = MemoryTransport(connection)
    connection.connection_made(transport)
    for start in range(0, len(payload), 7 + len(payload) // 3):
        if transport.closing:
            break
        connection.data_received(payload[start:start + 7 + len(payload) // 3])
    transport.close()
    if manager.counters.internal_errors:
        raise AssertionError(f"internal error on {payload!r}")


async def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    asyncio.run(main())
