"""The in-memory network (proxy_network) with the presence agent in the chain, and user
agents that PUBLISH and SUBSCRIBE with digest credentials."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from uc_signal.presence import PresenceConfig, PresenceService, presence_application
from uc_signal.sip import Request, Response
from uc_signal.sip.message import parse_message

from proxy_network import DOMAIN, Network, UserAgent

PIDF_NS = "urn:ietf:params:xml:ns:pidf"


def aor(name: str) -> str:
    return f"sip:{name}@{DOMAIN}"


def pidf(name: str, basic: str = "open", activities: str = "", note: str = "", person_extra: str = "") -> str:
    person = ""
    if activities or note or person_extra:
        person = ('<dm:person id="p1">'
                  + (f"<rpid:activities>{activities}</rpid:activities>" if activities else "")
                  + (f"<dm:note>{note}</dm:note>" if note else "") + person_extra + "</dm:person>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="{PIDF_NS}" '
            'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" '
            'xmlns:ucs="urn:ucserver:params:xml:ns:presence" '
            f'entity="{aor(name)}"><tuple id="t1"><status><basic>{basic}</basic></status></tuple>{person}</presence>')


BUSY = "<rpid:busy/>"
AWAY = "<rpid:away/>"
DND = "<rpid:other>Do Not Disturb</rpid:other>"


@dataclass
class PresenceNet:
    net: Network
    service: PresenceService

    def agent(self, name: str, host: str, *, register: bool = True) -> UserAgent:
        ua = self.net.agent(name, host)
        ua.autoanswer = lambda event: (200, [])
        if register:
            assert ua.register().status == 200
        return ua

    def send_authenticated(self, ua: UserAgent, make: Callable[[str], Request], method: str) -> Response:
        """Send, answer a 407 with credentials, return the final response."""
        ua.send(make(""))
        self.net.run()
        response = ua.final(method)
        if response.status == 407:
            uri = make("").uri_text
            auth = ua.digest.authorize(response.headers.get_all("Proxy-Authenticate")[-1], method, uri)
            ua.send(make(f"Proxy-Authorization: {auth}\r\n"))
            self.net.run()
            response = ua.final(method)
        return response

    def publish(self, ua: UserAgent, body: str | None, *, etag: str | None = None, expires: int | None = 3600,
                event: str = "presence", content_type: str = "application/pidf+xml",
                target: str | None = None) -> Response:
        headers = (f"Event: {event}\r\n" if event else "") + (f"Expires: {expires}\r\n" if expires is not None else "")
        if etag:
            headers += f"SIP-If-Match: {etag}\r\n"
        if body:
            headers += f"Content-Type: {content_type}\r\n"
        uri = target or aor(ua.name)
        call_id = f"{ua.name}-publish"
        return self.send_authenticated(
            ua, lambda auth: ua.request("PUBLISH", uri, extra=headers + auth, body=body or "", call_id=call_id),
            "PUBLISH")

    def subscribe(self, ua: UserAgent, target: str, *, event: str = "presence", expires: int | None = 3600,
                  extra: str = "") -> Response:
        headers = (f"Event: {event}\r\n" if event else "") + (f"Expires: {expires}\r\n" if expires is not None else "")
        call_id = f"{ua.name}-sub-{target}-{event}"
        return self.send_authenticated(
            ua, lambda auth: ua.request("SUBSCRIBE", target, extra=headers + extra + auth, call_id=call_id),
            "SUBSCRIBE")

    def resubscribe(self, ua: UserAgent, ok: Response, *, expires: int, event: str = "presence") -> Response:
        """A SUBSCRIBE in the dialog `ok` (the 200 to the initial one) created."""
        to = ok.to
        assert to is not None and to.tag is not None
        contact = ok.contact[0].uri_text
        request = ua.request("SUBSCRIBE", contact, to=to.uri_text, to_tag=to.tag, call_id=ok.call_id,
                             extra=f"Event: {event}\r\nExpires: {expires}\r\n")
        ua.send(request)
        self.net.run()
        return ua.final("SUBSCRIBE")

    def notifies(self, ua: UserAgent, event: str = "presence") -> list[Request]:
        return [e.request for e in ua.requests("NOTIFY")
                if (e.request.event is not None and e.request.event.package == event)]

    def last_notify(self, ua: UserAgent, event: str = "presence") -> Request:
        found = self.notifies(ua, event)
        assert found, f"{ua.name} got no {event} NOTIFY"
        return found[-1]


def presence_net(config: PresenceConfig | None = None) -> PresenceNet:
    service = PresenceService(config or PresenceConfig())
    net = Network(applications=(presence_application(service),))
    return PresenceNet(net, service)


def state_of(notify: Request) -> str:
    """The ucs:state text of a NOTIFY's PIDF body ("" for none)."""
    body = notify.body.decode()
    start = body.find("<ucs:state>")
    return body[start + 11:body.index("</ucs:state>")] if start >= 0 else ""


def subscription_state(notify: Request) -> str:
    return notify.headers.get("Subscription-State") or ""


__all__ = ["AWAY", "BUSY", "DND", "DOMAIN", "PresenceNet", "aor", "parse_message", "pidf", "presence_net",
           "state_of", "subscription_state"]
