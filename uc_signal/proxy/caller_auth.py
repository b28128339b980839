"""Authentication of local callers (RFC 3261 22.3): a request whose From is one of our
domains must carry that user's Proxy-Authorization, else it is challenged with 407.

Shared by every application that serves requests from local users out of a dialog: the
proxy router, presence (PUBLISH, SUBSCRIBE), IM (MESSAGE), the conferencing focus. The
registrar challenges REGISTER itself, with 401 (10.3).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..application import RequestContext
from ..directory import User, UserDirectory
from ..local_domains import LocalDomains
from ..sip import REJECTIONS, DigestAuthenticator, Request, SipUri, stateless_to_tag
from .errors import REPLIES, ProxyError


class CallerAuthentication:
    def __init__(self, domains: LocalDomains, users: UserDirectory,
                 authenticators: Mapping[str, DigestAuthenticator]) -> None:
        self.domains = domains
        self.users = users
        self.authenticators = authenticators   # proxy mode (407), by realm

    def from_local(self, request: Request) -> bool:
        sender = request.from_
        uri = sender.uri if sender is not None else None
        return isinstance(uri, SipUri) and self.domains.is_domain(uri.host)

    def authorize(self, context: RequestContext) -> bool:
        """True when the request may go on: it is not from a local user, or it carries
        that user's valid credentials (consumed here). Otherwise it has been answered
        (407, or 403 for a From that is not the authenticated user or a disabled user).
        After True, `sender(request)` is the authenticated local user, if any (and
        `context.caller` that user, when its credentials were checked here)."""
        request = context.request
        if not self.from_local(request):
            return True
        sender = request.from_
        assert sender is not None and isinstance(sender.uri, SipUri)
        realm = sender.uri.host.lower()
        authenticator = self.authenticators.get(realm)
        if authenticator is None:
            return True
        verdict = authenticator.verify_request(request, context.now)
        if verdict.error is not None:
            if REJECTIONS[verdict.error].challenge:
                # 407 with a fresh nonce, stateless (RFC 3261 8.2.7): no transaction waits
                # for its ACK; the transaction layer absorbs the ACK by the To tag.
                context.reply_statelessly(authenticator.rejection(
                    request, verdict.error, context.now, to_tag=stateless_to_tag()))
            else:
                context.reply(authenticator.rejection(request, verdict.error, context.now, to_tag=context.to_tag))
            return False
        if verdict.username != sender.uri.user:
            context.respond(*REPLIES[ProxyError.FROM_MISMATCH])
            return False
        user = self.users.find_user(verdict.username or "", realm)
        if user is None or not user.enabled:
            context.respond(*REPLIES[ProxyError.USER_DISABLED])
            return False
        context.caller = user
        # 22.3: credentials for our realm are consumed here, not forwarded.
        kept = [v for v in request.headers.get_all("Proxy-Authorization") if f'realm="{realm}"' not in v.lower()]
        request.headers.remove("Proxy-Authorization")
        for value in kept:
            request.headers.add("Proxy-Authorization", value)
        return True

    def sender(self, request: Request) -> User | None:
        """The local user a request's From names (authenticated once `authorize` said True)."""
        if not self.from_local(request):
            return None
        sender = request.from_
        assert sender is not None and isinstance(sender.uri, SipUri)
        return self.users.find_user(sender.uri.user or "", sender.uri.host.lower())
