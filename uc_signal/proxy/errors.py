"""Why the proxy answers a request itself, and the one table mapping each reason to a
status and reason phrase (RFC 3261 section 16)."""

from __future__ import annotations

import enum
from collections.abc import Mapping


class ProxyError(enum.Enum):
    UNSUPPORTED_URI_SCHEME = "Request-URI scheme not served"          # 16.3 item 2
    TOO_MANY_HOPS = "Max-Forwards reached zero"                        # 16.3 item 3
    LOOP_DETECTED = "the request came back with the same branch"       # 16.3 item 4
    BAD_EXTENSION = "Proxy-Require names an unsupported extension"     # 16.3 item 5
    UNKNOWN_USER = "no such user"                                      # 16.5
    NOT_REGISTERED = "the user has no registered contact"              # 16.5
    FROM_MISMATCH = "credentials do not match the From user"           # 22.3
    USER_DISABLED = "the calling user is disabled"
    RELAYING_FORBIDDEN = "neither end of the request is local"
    PRELOADED_ROUTE = "a request outside a dialog names a Route to another host"
    NO_ROUTE = "the target cannot be reached without DNS"
    NO_TRANSACTION = "CANCEL for no pending INVITE"                    # 9.2
    NOT_IMPLEMENTED = "method not served here"                         # 8.2.1
    NO_RESPONSE = "no branch answered"                                 # 16.7 item 6


REPLIES: Mapping[ProxyError, tuple[int, str]] = {
    ProxyError.UNSUPPORTED_URI_SCHEME: (416, "Unsupported URI Scheme"),
    ProxyError.TOO_MANY_HOPS: (483, "Too Many Hops"),
    ProxyError.LOOP_DETECTED: (482, "Loop Detected"),
    ProxyError.BAD_EXTENSION: (420, "Bad Extension"),
    ProxyError.UNKNOWN_USER: (404, "Not Found"),
    ProxyError.NOT_REGISTERED: (480, "Temporarily Unavailable"),
    ProxyError.FROM_MISMATCH: (403, "Forbidden"),
    ProxyError.USER_DISABLED: (403, "Forbidden"),
    ProxyError.RELAYING_FORBIDDEN: (403, "Relaying Forbidden"),
    ProxyError.NO_ROUTE: (404, "Not Found"),
    ProxyError.PRELOADED_ROUTE: (403, "Preload Route Denied"),
    ProxyError.NO_TRANSACTION: (481, "Call/Transaction Does Not Exist"),
    ProxyError.NOT_IMPLEMENTED: (501, "Not Implemented"),
    ProxyError.NO_RESPONSE: (408, "Request Timeout"),
}
