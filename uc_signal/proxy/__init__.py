"""The stateful proxy (RFC 3261 section 16) and its application chain.

`build_services()` assembles location service, registrar, router and core; `ProxyCore`
takes transaction-layer events; `SipServer` (server.py) is the thin asyncio glue over
the transport manager.
"""

from ..application import Application, RequestContext, Responder
from .assembly import SipServices, build_services
from .core import ProxyCore
from .errors import REPLIES, ProxyError
from .router import ProxyConfig, ProxyRouter
from .selection import best_response, prepare_upstream
from .sender import LayerSender, Sender

__all__ = [
    "Application", "RequestContext", "Responder", "SipServices", "build_services", "ProxyCore", "REPLIES",
    "ProxyError", "ProxyConfig", "ProxyRouter", "best_response", "prepare_upstream", "LayerSender", "Sender",
]
