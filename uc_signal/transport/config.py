"""How the transports are bound and limited: one dataclass the daemon fills from its
configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TransportConfig:
    """Listening addresses, TLS material and limits.

    A port of None leaves that transport off; 0 asks the kernel for a free port (tests).
    Every transport listens on each of `hosts`.
    """

    hosts: tuple[str, ...] = ("127.0.0.1",)
    udp_port: int | None = 5060
    tcp_port: int | None = 5060
    tls_port: int | None = 5061
    ws_port: int | None = None        # SIP over WebSocket (RFC 7118), plain
    wss_port: int | None = None       # SIP over secure WebSocket, with the TLS certificate
    ws_path: str = "/"
    # The domain this server is for: the self-signed certificate's subject and first SAN.
    domain: str = "localhost"
    # TLS server certificate and key (PEM). When absent, a self-signed pair is made in
    # data_dir on first run and reused afterwards (see certificates.py).
    tls_cert: Path | None = None
    tls_key: Path | None = None
    data_dir: Path = Path("ucserver-data")
    # CA bundle trusted for outbound TLS (None: the system's); peers are always verified.
    tls_ca: Path | None = None
    # Kernel receive buffer asked for each UDP socket: bursts of REGISTER/OPTIONS at load
    # overflow the default ~200 kB (RcvbufErrors in /proc/net/snmp).
    udp_rcvbuf: int = 8 * 1024 * 1024
    max_connections: int = 10000       # TCP + TLS + WS + WSS together
    idle_timeout: float = 600.0        # seconds without a received octet before closing
    max_write_buffer: int = 1024 * 1024  # a peer that stops reading is cut off past this
    max_head: int = 64 * 1024          # start line + headers of one message
    max_body: int = 4 * 1024 * 1024    # body of one message (also bounds a WS frame)
    connect_timeout: float = 10.0      # outbound TCP/TLS connection set-up
