"""The in-memory proxy network (proxy_network) with the IM service in the chain, and a
local user's authenticated MESSAGE in one call."""

from __future__ import annotations

from dataclasses import dataclass, field

from uc_signal.im import ImService, ImSettings, ImStore, InMemoryImStore, im_application
from uc_signal.sip import Response

from proxy_network import DOMAIN, Network, UserAgent

IS_COMPOSING_BODY = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                     '<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing">'
                     '<state>active</state><contenttype>text/plain</contenttype></isComposing>')


@dataclass
class ImNetwork:
    settings: ImSettings = field(default_factory=ImSettings)
    store: InMemoryImStore = field(default_factory=InMemoryImStore)

    def __post_init__(self) -> None:
        self.services: list[ImService] = []
        self.net = Network(applications=(im_application(self.settings, self.store, self.services.append),))

    @property
    def im(self) -> ImService:
        return self.services[-1]

    def restart(self, store: ImStore | None = None) -> ImService:
        """A new ucd over the same store, or over `store` read back from the same database
        (the bindings persist too)."""
        if store is not None:
            self.store = store  # type: ignore[assignment]
            self.net.applications = (im_application(self.settings, store, self.services.append),)
        self.net.start_services()
        return self.im

    def user(self, name: str, host: str, *, policy: str | None = None, answer: int | None = 200) -> UserAgent:
        ua = self.net.agent(name, host, user=False)
        self.net.users.add_user(name, DOMAIN, "secret-" + name, policies=(("im", policy),) if policy else ())
        if answer is not None:
            ua.autoanswer = lambda event, status=answer: (status, []) if event.request.method == "MESSAGE" else None
        return ua

    def endpoint(self, name: str, host: str, *, answer: int | None = 200) -> UserAgent:
        """Another endpoint of an existing user (no new directory entry)."""
        ua = self.net.agent(name, host, user=False)
        if answer is not None:
            ua.autoanswer = lambda event, status=answer: (status, []) if event.request.method == "MESSAGE" else None
        return ua

    def send(self, caller: UserAgent, target: str, body: str = "hello", *,
             content_type: str = "text/plain", advance: float = 0.0) -> Response:
        """An authenticated MESSAGE (407, then again with credentials); its final answer."""
        extra = f"Content-Type: {content_type}\r\n"
        before = len(caller.responses("MESSAGE"))
        caller.send(caller.request("MESSAGE", target, body=body, extra=extra))
        self.net.run()
        challenge = caller.responses("MESSAGE")[before:][-1]
        assert challenge.status == 407, challenge
        auth = caller.digest.authorize(challenge.headers.get_all("Proxy-Authenticate")[-1], "MESSAGE", target)
        before = len(caller.responses("MESSAGE"))
        caller.send(caller.request("MESSAGE", target, body=body,
                                   extra=extra + f"Proxy-Authorization: {auth}\r\n"))
        self.net.run()
        if advance:
            self.net.advance(advance, step=1.0)
        finals = [r for r in caller.responses("MESSAGE")[before:] if r.status >= 200]
        assert finals, f"{caller.name} got no answer"
        return finals[-1]


def bodies(ua: UserAgent) -> list[str]:
    return [event.request.body.decode() for event in ua.requests("MESSAGE")]


def aor(name: str) -> str:
    return f"sip:{name}@{DOMAIN}"
