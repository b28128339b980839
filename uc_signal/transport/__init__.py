"""uc_signal.transport: the asyncio SIP transports (UDP, TCP, TLS, WebSocket).

The only code in uc_signal that touches sockets. Thin adapters around the sans-IO core
in uc_signal.sip: bytes are framed and parsed with sipmsg's framing, handed to the
TransactionLayer, and what the layer produces is sent over the flow it names.
"""

from .certificates import ensure_certificate, generate_self_signed, server_context
from .config import TransportConfig
from .connection_table import Connection, ConnectionTable, new_flow_token
from .counters import TransportCounters
from .http_server import HttpServer
from .idle_timer import IdleTimer
from .manager import EventHandler, TransportManager
from .peer import STREAM_TRANSPORTS, TRANSPORTS, Peer, as_peer
from .stream import StreamConnection
from .udp import UdpEndpoint, bind_udp_socket
from .via_handling import response_peer, stamp_via
from .websocket import SUBPROTOCOL, WebSocketConnection, sip_websocket_app, sip_websocket_route

__all__ = [
    "Connection", "ConnectionTable", "EventHandler", "HttpServer", "IdleTimer", "Peer",
    "STREAM_TRANSPORTS", "SUBPROTOCOL", "StreamConnection", "TRANSPORTS", "TransportConfig",
    "TransportCounters", "TransportManager", "UdpEndpoint", "WebSocketConnection", "as_peer",
    "bind_udp_socket", "ensure_certificate", "generate_self_signed", "new_flow_token",
    "response_peer", "server_context", "sip_websocket_app", "sip_websocket_route", "stamp_via",
]
