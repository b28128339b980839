"""LocalDomains.is_this_server: which URIs name this server (RFC 3261 16.4/16.5)."""

from __future__ import annotations

import pytest

from uc_signal.local_domains import LocalDomains
from uc_signal.sip.uri import parse_uri

DOMAINS = LocalDomains(("Example.com",), addresses=(("127.0.0.1", 5060), ("127.0.0.1", 5080), ("[::1]", 5070)),
                       aliases=("Alias.Host",))


@pytest.mark.parametrize(("uri", "ours"), [
    ("sip:127.0.0.1", True),             # a listening address, any port when none is given
    ("sip:127.0.0.1:5060", True),
    ("sip:127.0.0.1:5080", True),        # the second port on the same host
    ("sip:127.0.0.1:5061", False),       # not a port we listen on
    ("sip:u@127.0.0.1", True),           # user@address: still this server's address
    ("sip:[::1]:5070", True),            # IPv6 brackets compare without them
    ("sip:[::1]", True),
    ("sip:[::1]:5060", False),
    ("sip:EXAMPLE.com", True),           # the served domain without a user part
    ("sip:a@example.com", False),        # a user of the domain: not the server itself
    ("sip:alias.HOST:9999", True),       # an alias, any port
    ("sip:x@other.org", False),
])
def test_is_this_server(uri: str, ours: bool) -> None:
    assert DOMAINS.is_this_server(parse_uri(uri)) is ours


def test_not_a_sip_uri() -> None:
    assert DOMAINS.is_this_server("sip:127.0.0.1") is False
    assert DOMAINS == LocalDomains(("example.com",), addresses=DOMAINS.addresses, aliases=("alias.host",))
