"""The C front of SIP over UDP (uc_signal._sipfront over csrc/sip_front.c), set up from the
SIP services so its rules and theirs agree.

The front answers, before Python parses a datagram, the requests whose answer is a digest
challenge and depends only on a few header bytes: an unauthenticated REGISTER for a served
domain (the registrar's 401), an unauthenticated INVITE or MESSAGE out of a dialog from a
local user to a user of a served domain (CallerAuthentication's 407), a retransmission of
one of those (the same bytes again, for STATELESS_ANSWER_MEMORY seconds, at most
STATELESS_ANSWERS_KEPT of them, as the transaction layer keeps its stateless answers), and
the ACK to such a 407 (absorbed, as TransactionLayer does by the To tag's
STATELESS_TAG_PREFIX). Everything else passes to `TransportManager.packet_received`.

What the front is told: each served domain (= realm) with the challenge texts of its
registrar and its caller authenticators (`DigestAuthenticator.challenge_templates()`, so
the algorithms, qop and opaque are theirs), the nonce secret, and the Request-URIs some
application answers without a challenge (dial-in access numbers). The domains, the
secret and the algorithms are fixed for the daemon's life (set at start from the
configuration and the data dir); `configure_front()` sets them all anew if that changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from .._sipfront import SipFront
from ..sip import DigestAuthenticator
from ..sip.transaction_layer import STATELESS_ANSWER_MEMORY, STATELESS_ANSWERS_KEPT, STATELESS_TAG_PREFIX


def challenge_front(secret: bytes, registrar_auth: Mapping[str, DigestAuthenticator],
                    proxy_auth: Mapping[str, DigestAuthenticator], excluded_uris: Iterable[str] = ()) -> SipFront:
    """A front answering with the challenges of these authenticators (by realm), whose
    nonces are made under `secret` (the one they were made with)."""
    front = SipFront(secret, STATELESS_TAG_PREFIX, STATELESS_ANSWERS_KEPT, STATELESS_ANSWER_MEMORY,
                     seed=int.from_bytes(os.urandom(8), "little"))
    configure_front(front, registrar_auth, proxy_auth, excluded_uris)
    return front


def set_credentials(front: SipFront, username: str, domain: str, credentials: Mapping[str, str] | None) -> None:
    """A user's change into the front's HA1 table (CachedUserDirectory.on_credentials):
    {algorithm: HA1} of an enabled user, None for one removed or disabled. A user the table
    cannot hold (a name too long) is left out: its REGISTERs pass to Python."""
    front.drop_user(username, domain)
    if credentials is not None:
        try:
            front.set_user(username, domain, credentials)
        except ValueError:
            front.drop_user(username, domain)


def configure_front(front: SipFront, registrar_auth: Mapping[str, DigestAuthenticator],
                    proxy_auth: Mapping[str, DigestAuthenticator], excluded_uris: Iterable[str] = ()) -> None:
    """Set the realms and excluded URIs anew. `excluded_uris` are `user@host` (or
    `sip:user@host`) Request-URIs an application answers without challenging."""
    front.clear()
    for authenticators, proxy in ((registrar_auth, False), (proxy_auth, True)):
        for realm, authenticator in authenticators.items():
            if authenticator.proxy is not proxy or authenticator.realm != realm:
                raise ValueError(f"authenticator for {realm!r} is not the {'proxy' if proxy else 'registrar'}'s")
            front.set_realm(realm, proxy, authenticator.challenge_templates())
            if not proxy:  # the registrar's rules, for the REGISTERs the front verifies
                front.set_digest(realm, authenticator.opaque, [a.value for a in authenticator.algorithms],
                                 authenticator.nonce_lifetime)
    for uri in excluded_uris:
        user, at, host = uri.removeprefix("sip:").partition("@")
        if at:
            front.exclude_uri(f"{user}@{host.lower()}")
