"""The focus factory, sans-IO over the proxy core's in-memory network: a SERVICE with a
C3P addConference to the organizer's focus factory URI makes a meet-now meeting (through a
MeetingMaker that answers late, as ucd's store does) and is answered with the conference
URI and IDs; every refusal with its SIP status and C3P reason. The body parser on its own,
with a hypothesis property over arbitrary bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import fromstring

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal.conferencing import LobbyPolicy, Meeting, MeetingKind
from uc_signal.config.schema import ConferencingPolicySection
from uc_signal.focus.cccp import AddConference, CccpError, FactoryRequest, parse_add_conference
from uc_signal.focus.factory import FocusFactory, ManageDone, MeetingMade, factory_organizer, meet_now_policy
from uc_signal.proxy.services import ApplicationServices
from uc_signal.sip import Response

from proxy_network import DOMAIN, Network, UserAgent

FACTORY = f"sip:alice@{DOMAIN};gruu;opaque=app:conf:focusfactory"
CCCP = "Content-Type: application/cccp+xml\r\n"
NS = "{urn:ietf:params:xml:ns:cccp}"
CI = "{urn:ietf:params:xml:ns:conference-info}"
MSCI = "{http://schemas.microsoft.com/rtc/2005/08/confinfoextensions}"


def add_conference(description: str = "<ci:subject>Stand-up</ci:subject>", request_id: str = "68537848") -> str:
    """An addConference as Lync's clients send it (MS-CONFBAS 4.1's shape)."""
    return (f'<request xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="{request_id}" '
            f'from="sip:alice@{DOMAIN}" to="{FACTORY}"><addConference>'
            '<ci:conference-info xmlns:ci="urn:ietf:params:xml:ns:conference-info" entity="" '
            'xmlns:msci="http://schemas.microsoft.com/rtc/2005/08/confinfoextensions">'
            f'<ci:conference-description>{description}'
            '<msci:conference-id>TPDD8VYG</msci:conference-id></ci:conference-description>'
            '<ci:conference-state><locked>false</locked></ci:conference-state>'
            '<msci:conference-view><msci:entity-view entity="audio-video"/></msci:conference-view>'
            '</ci:conference-info></addConference></request>')


@dataclass
class Maker:
    """A MeetingMaker whose meetings are made when `release()` runs (the store is async)."""

    made: list[tuple[str, AddConference]] = field(default_factory=list)
    waiting: list[tuple[Meeting | None, MeetingMade]] = field(default_factory=list)
    fail: bool = False

    def make(self, organizer: str, request: AddConference, now: float, done: MeetingMade) -> None:
        self.made.append((organizer, request))
        meeting = None if self.fail else Meeting(
            "F3K4X9Q2", "4711081", organizer, MeetingKind.MEET_NOW, subject=request.subject, expires_at=now + 3600,
            lobby_policy=LobbyPolicy(request.lobby_policy or "outside-company"), created_at=now)
        self.waiting.append((meeting, done))

    def release(self, now: float) -> None:
        waiting, self.waiting = self.waiting, []
        for meeting, done in waiting:
            done(meeting, now)

    def manage(self, organizer: str, request: FactoryRequest, now: float, done: ManageDone) -> None:
        raise AssertionError("only addConference here (test_focus_factory_manage.py has the others)")


@dataclass
class Setup:
    net: Network
    maker: Maker


@pytest.fixture
def setup() -> Setup:
    maker = Maker()
    policies = {"NoMeetNow": ConferencingPolicySection(meet_now=False)}

    def factory(services: ApplicationServices) -> FocusFactory:
        return FocusFactory(services, maker, meet_now_policy(policies))
    return Setup(Network(applications=(factory,)), maker)


def service(net: Network, ua: UserAgent, body: str, *, uri: str = FACTORY, extra: str = CCCP,
            authenticate: bool = True) -> Response:
    ua.send(ua.request("SERVICE", uri, to=uri, body=body, extra=extra))
    net.run()
    first = ua.final("SERVICE")
    if first.status != 407 or not authenticate:
        return first
    auth = ua.digest.authorize(first.headers.get_all("Proxy-Authenticate")[-1], "SERVICE", uri)
    ua.send(ua.request("SERVICE", uri, to=uri, body=body, extra=extra + f"Proxy-Authorization: {auth}\r\n"))
    net.run()
    return ua.final("SERVICE")


def c3p(response: Response) -> dict[str, str]:
    assert response.headers.get("Content-Type") == "application/cccp+xml"
    root = fromstring(response.body)
    assert root.tag == NS + "response" and len(root) == 1     # the command's element
    command = root[0]
    assert command.get("reason") == root.get("reason")       # the reason on both ([MS-CONFPRO] 3.1.5.3)
    return dict(root.attrib)


def test_the_organizer_makes_a_meet_now_meeting_and_gets_its_uri_and_ids(setup: Setup) -> None:
    s = setup
    alice = s.net.agent("alice", "192.0.2.10")
    body = add_conference("<ci:subject> Stand-up </ci:subject>"
                          "<msci:admission-policy>anonymous</msci:admission-policy>"
                          "<msci:pstn-lobby-bypass>false</msci:pstn-lobby-bypass>")
    alice.send(alice.request("SERVICE", FACTORY, to=FACTORY, body=body, extra=CCCP))
    s.net.run()
    challenge = alice.final("SERVICE")
    assert challenge.status == 407 and s.maker.made == []     # authenticated as the organizer first
    auth = alice.digest.authorize(challenge.headers.get_all("Proxy-Authenticate")[-1], "SERVICE", FACTORY)
    alice.send(alice.request("SERVICE", FACTORY, to=FACTORY, body=body,
                             extra=CCCP + f"Proxy-Authorization: {auth}\r\n"))
    s.net.run()
    assert s.maker.made == [(f"sip:alice@{DOMAIN}", AddConference("68537848", "Stand-up", "nobody", False))]
    assert [r.status for r in alice.responses("SERVICE")] == [407]   # nothing until the store has it
    s.maker.release(s.net.now)
    s.net.run()
    ok = alice.final("SERVICE")
    assert ok.status == 200
    attributes = c3p(ok)
    assert attributes["code"] == "success" and attributes["requestId"] == "68537848"
    assert attributes["from"] == FACTORY and attributes["to"] == f"sip:alice@{DOMAIN}"
    info = fromstring(ok.body).find(f"{NS}addConference/{CI}conference-info")
    assert info is not None
    assert info.get("entity") == f"sip:alice@{DOMAIN};gruu;opaque=app:conf:focus:id:F3K4X9Q2"
    description = info.find(CI + "conference-description")
    assert description is not None
    assert description.findtext(CI + "subject") == "Stand-up"
    assert description.findtext(MSCI + "conference-id") == "F3K4X9Q2"
    assert description.findtext(f"{MSCI}pstn-access/{MSCI}conference-id") == "4711081"


def test_refusals_carry_the_sip_status_and_the_c3p_reason(setup: Setup) -> None:
    s = setup
    alice, bob = s.net.agent("alice", "192.0.2.10"), s.net.agent("bob", "192.0.2.11")
    s.net.users.add_user("nomeet", DOMAIN, "secret-nomeet", policies=(("conferencing", "NoMeetNow"),))
    s.net.users.add_user("typo", DOMAIN, "secret-typo", policies=(("conferencing", "Missing"),))
    nomeet, typo = s.net.agent("nomeet", "192.0.2.12", user=False), s.net.agent("typo", "192.0.2.13", user=False)
    # Another body type: 415 with Accept.
    refused = service(s.net, alice, "hello", extra="Content-Type: text/plain\r\n")
    assert refused.status == 415 and refused.headers.get("Accept") == "application/cccp+xml"
    # Not a user of this server: 404 notFound.
    refused = service(s.net, alice, add_conference(), uri=f"sip:nobody@{DOMAIN};gruu;opaque=app:conf:focusfactory")
    assert refused.status == 404
    assert c3p(refused)["code"] == "failure" and c3p(refused)["reason"] == "notFound"
    # Someone else's focus factory: only the organizer makes its meetings.
    refused = service(s.net, bob, add_conference())
    assert refused.status == 403 and c3p(refused)["reason"] == "unauthorized"
    # Bad XML, an XML bomb, another control: 400 requestMalformed.
    bomb = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            '<request xmlns="urn:ietf:params:xml:ns:cccp"><addConference/>&b;</request>')
    for body in ("<request", bomb, '<request xmlns="urn:ietf:params:xml:ns:cccp"><deleteConference/></request>',
                 '<request xmlns="urn:ietf:params:xml:ns:cccp"><modifyConferenceLock/></request>',
                 add_conference("<msci:admission-policy>everyone</msci:admission-policy>")):
        refused = service(s.net, alice, body)
        assert refused.status == 400 and c3p(refused)["reason"] == "requestMalformed", body
    # The organizer's policy forbids meet-now; a policy the configuration lacks forbids too.
    for ua, name in ((nomeet, "nomeet"), (typo, "typo")):
        uri = f"sip:{name}@{DOMAIN};gruu;opaque=app:conf:focusfactory"
        refused = service(s.net, ua, add_conference(), uri=uri)
        assert refused.status == 403 and c3p(refused)["reason"] == "unauthorized"
        assert "policy" in (refused.reason or "")
    # The store failed: 500 otherFailure.
    s.maker.fail = True
    assert service(s.net, alice, add_conference()).status == 407
    s.maker.release(s.net.now)
    s.net.run()
    refused = alice.final("SERVICE")
    assert refused.status == 500 and c3p(refused)["reason"] == "otherFailure"
    assert [organizer for organizer, _ in s.maker.made] == [f"sip:alice@{DOMAIN}"]


def test_a_caller_of_another_domain_is_refused_and_other_services_pass_by(setup: Setup) -> None:
    s = setup
    s.net.agent("alice", "192.0.2.10")
    guest = s.net.agent("guest", "192.0.2.14", user=False)
    request = guest.request("SERVICE", FACTORY, to=FACTORY, body=add_conference(), extra=CCCP)
    request.headers.remove("From")
    request.headers.add("From", "<sip:guest@partner.test>;tag=g")
    guest.send(request)
    s.net.run()
    refused = guest.final("SERVICE")
    assert refused.status == 403 and c3p(refused)["reason"] == "unauthorized"
    assert factory_organizer(f"sip:alice@{DOMAIN};gruu;opaque=app:conf:focus:id:F3K4X9Q2") is None
    assert factory_organizer("not a uri") is None
    assert factory_organizer(FACTORY) is not None


def test_the_parser_reads_the_subset_and_defaults() -> None:
    assert parse_add_conference(add_conference("").encode()) == AddConference("68537848")
    minimal = b'<request xmlns="urn:ietf:params:xml:ns:cccp" requestId="3"><addConference/></request>'
    assert parse_add_conference(minimal) == AddConference("3")
    parsed = parse_add_conference(add_conference("<msci:admission-policy>openAuthenticated</msci:admission-policy>"
                                                 "<msci:pstn-lobby-bypass>true</msci:pstn-lobby-bypass>").encode())
    assert parsed.lobby_policy == "outside-company" and parsed.pstn_bypass_lobby is True
    for bad in (b"", b"x" * 20000, b"<response/>",
                add_conference("<ci:subject>" + "s" * 300 + "</ci:subject>").encode(),
                add_conference("<msci:pstn-lobby-bypass>maybe</msci:pstn-lobby-bypass>").encode(),
                b'<!DOCTYPE r SYSTEM "http://example.test/x.dtd"><request><addConference/></request>'):
        with pytest.raises(CccpError):
            parse_add_conference(bad)


@settings(max_examples=300)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda text: add_conference(text).encode()))
def test_any_body_parses_or_is_a_cccp_error(body: bytes) -> None:
    try:
        parsed = parse_add_conference(body)
    except CccpError:
        return
    assert parsed.lobby_policy in (None, "nobody", "outside-company")
