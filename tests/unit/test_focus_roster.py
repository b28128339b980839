"""The focus driven by the conferencing roster, sans-IO over the proxy's in-memory network:
roles and the lobby at join, lobby timeout, locking, controls through SIP (C3P INFO, RFC
4579 REFER) and the operator, the conference event package (RFC 4575 full then partial
NOTIFYs, refresh, unsubscribe, expiry, end), and IM into the meeting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from uc_signal.conferencing import LobbyPolicy, Meeting, MeetingKind, PresenterPolicy, parse
from uc_signal.conferencing.conference import OPERATOR
from uc_signal.focus import FocusApplication
from uc_signal.focus.events import ConferenceServices, conference_services
from uc_signal.focus.meetings import DirectoryConferences
from uc_signal.focus.roster import ControlRefused, FocusRoster
from uc_signal.im.store import InMemoryImStore
from uc_signal.proxy.services import ApplicationServices
from uc_signal.sip import Request, Response

from proxy_network import DOMAIN, Network, UserAgent
from test_focus_dialogs import PlannedRooms, ack, in_dialog, invite, offer_sdp

ORGANIZER = f"sip:alice@{DOMAIN}"
URI = f"sip:alice@{DOMAIN};gruu;opaque=app:conf:focus:id:R0STER"
CCCP = "Content-Type: application/cccp+xml\r\n"


def entity(name: str) -> str:
    return f"sip:{name}@{DOMAIN}"


@dataclass
class Setup:
    net: Network
    focus: FocusApplication
    services: ConferenceServices
    roster: FocusRoster
    rooms: PlannedRooms
    meeting: Meeting
    im: InMemoryImStore
    view: DirectoryConferences

    def running(self):  # type: ignore[no-untyped-def]
        return self.roster.running(URI)

    def conference(self):  # type: ignore[no-untyped-def]
        roster = self.roster.roster(URI)
        assert roster is not None
        return roster

    def person(self, name: str):  # type: ignore[no-untyped-def]
        [found] = [p for p in self.running().participants.values() if p.entity == entity(name)]
        return found


def make_setup(view_clock: Callable[[], float] | None = None, **policies: object) -> Setup:
    net_holder: list[Network] = []
    meeting = Meeting("R0STER", "4711", ORGANIZER, MeetingKind.MEET_NOW, subject="Planning",
                      expires_at=10 ** 12, **policies)  # type: ignore[arg-type]
    assert meeting.conference_uri == URI
    view = DirectoryConferences(clock=view_clock or (lambda: net_holder[0].now))
    view.add(meeting)
    rooms = PlannedRooms()
    roster = FocusRoster(lambda: net_holder[0].now, lobby_timeout=300.0, view=view)
    built: list[FocusApplication] = []
    im = InMemoryImStore()

    def focus(services: ApplicationServices) -> FocusApplication:
        built.append(FocusApplication(services, view, rooms))
        roster.attach(built[0])
        return built[0]

    net = Network(applications=(focus, conference_services(lambda: built[0], roster, im)))
    net_holder.append(net)
    services = net.core.chain[2]
    assert isinstance(services, ConferenceServices)
    return Setup(net, built[0], services, roster, rooms, meeting, im, view)


@pytest.fixture
def setup() -> Setup:
    return make_setup(presenter_policy=PresenterPolicy.NONE)


def answering(*agents: UserAgent) -> None:
    for ua in agents:
        ua.autoanswer = lambda event: (200, [])


def join(setup: Setup, ua: UserAgent) -> Response:
    answering(ua)
    ok = invite(setup.net, ua, URI, offer_sdp(ua.address.host))
    assert ok.status == 200, ok
    ack(setup.net, ua, ok)
    return ok


def external_join(net: Network, ua: UserAgent, uri: str) -> Response:
    """An INVITE From another domain: not challenged, an unauthenticated joiner."""
    request = ua.request("INVITE", uri, body=offer_sdp(ua.address.host), extra="Content-Type: application/sdp\r\n")
    request.headers.remove("From")
    request.headers.add("From", f"<sip:{ua.name}@partner.test>;tag={ua.name}-tag")
    ua.send(request)
    net.run()
    ok = ua.final("INVITE")
    if ok.status == 200:
        ack(net, ua, ok)
    return ok


def cccp(control: str, request_id: int = 1) -> str:
    return (f'<request xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="{request_id}" '
            f'to="{URI}">{control}</request>')


def info(net: Network, ua: UserAgent, ok: Response, control: str) -> Response:
    ua.send(in_dialog(net, ua, ok, "INFO", body=cccp(control), extra=CCCP))
    net.run()
    return ua.final("INFO")


def mute_body(name: str, status: str = "recvonly") -> str:
    return (f'<modifyEndpointMedia><userKeys userEntity="{entity(name)}"/><media><status>{status}</status></media>'
            f'</modifyEndpointMedia>')


def byes(ua: UserAgent) -> list[Request]:
    return [e.request for e in ua.requests("BYE")]


# --- roles and the lobby ---------------------------------------------------------------------


def test_joiners_get_roles_from_the_admission_and_outsiders_wait_in_the_lobby(setup: Setup) -> None:
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    guest = net.agent("guest", "192.0.2.12", user=False)
    assert [app.name for app in net.core.chain] == ["registrar", "focus", "conference-events", "proxy"]
    join(setup, alice)
    join(setup, bob)
    answering(guest)
    assert external_join(net, guest, URI).status == 200
    roster = setup.conference()
    roles = {e: (p.role.value, p.state.value) for e, p in roster.participants.items()}
    assert roles == {ORGANIZER: ("organizer", "connected"), entity("bob"): ("attendee", "connected"),
                     "sip:guest@partner.test": ("attendee", "lobby")}
    [guest_leg] = [p for p in setup.running().participants.values() if p.entity == "sip:guest@partner.test"]
    assert guest_leg.in_lobby and not guest_leg.media.joined
    # Entry tones for the two in the mix only (the roster announces, not the focus).
    assert setup.rooms.rooms[0].announced == ["entry", "entry"]


def test_the_organizer_admits_from_the_lobby_through_cccp_and_an_attendee_gets_403(setup: Setup) -> None:
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    guest = net.agent("guest", "192.0.2.12", user=False)
    ok_alice, ok_bob = join(setup, alice), join(setup, bob)
    answering(guest)
    external_join(net, guest, URI)
    admit = '<setLobbyAccess><userKeys userEntity="sip:guest@partner.test"/><access>granted</access></setLobbyAccess>'
    refused = info(net, bob, ok_bob, admit)
    assert refused.status == 403
    assert b'code="failure"' in refused.body and refused.headers.get("Content-Type") == "application/cccp+xml"
    assert setup.conference().participants["sip:guest@partner.test"].state.value == "lobby"
    granted = info(net, alice, ok_alice, admit)
    assert granted.status == 200 and b'code="success"' in granted.body and b'requestId="1"' in granted.body
    [guest_leg] = [p for p in setup.running().participants.values() if p.entity == "sip:guest@partner.test"]
    assert not guest_leg.in_lobby and guest_leg.media.joined
    assert setup.conference().participants["sip:guest@partner.test"].state.value == "connected"
    assert setup.rooms.rooms[0].announced == ["entry", "entry", "entry"]


def test_denied_and_timed_out_lobby_guests_get_a_bye(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    first, second = net.agent("g1", "192.0.2.12", user=False), net.agent("g2", "192.0.2.13", user=False)
    ok_alice = join(setup, alice)
    answering(first, second)
    external_join(net, first, URI)
    deny = '<setLobbyAccess><userKeys userEntity="sip:g1@partner.test"/><access>denied</access></setLobbyAccess>'
    assert info(net, alice, ok_alice, deny).status == 200
    assert len(byes(first)) == 1
    net.advance(10)
    external_join(net, second, URI)
    assert setup.services.get_timer() is not None
    net.advance(299)
    assert byes(second) == []
    net.advance(5)
    assert len(byes(second)) == 1     # the lobby timeout (300 s here)
    assert set(setup.conference().participants) == {ORGANIZER}


def test_a_locked_meeting_lobbies_new_company_joiners_until_unlocked(setup: Setup) -> None:
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    ok_alice = join(setup, alice)
    lock = "<modifyConferenceLock><locked>true</locked></modifyConferenceLock>"
    assert info(net, alice, ok_alice, lock).status == 200
    join(setup, bob)
    assert setup.person("bob").in_lobby
    assert setup.conference().participants[entity("bob")].lobby_reason.value == "locked"
    setup.roster.control("4711", OPERATOR, "admit", entity("bob"), net.now)
    assert not setup.person("bob").in_lobby


# --- controls --------------------------------------------------------------------------------


def test_mute_audience_mute_promote_and_permission_through_cccp(setup: Setup) -> None:
    net = setup.net
    alice, bob, carol = (net.agent(n, f"192.0.2.{10 + i}") for i, n in enumerate(("alice", "bob", "carol")))
    ok_alice, ok_bob, _ = join(setup, alice), join(setup, bob), join(setup, carol)
    assert info(net, bob, ok_bob, mute_body("carol")).status == 403
    assert not setup.person("carol").muted
    assert info(net, alice, ok_alice, mute_body("carol")).status == 200
    assert setup.person("carol").muted
    assert info(net, alice, ok_alice, mute_body("carol", "sendrecv")).status == 200
    assert not setup.person("carol").muted
    # Audience mute: the attendees, not the organizer.
    audience = "<modifyConference><mute-audience>true</mute-audience></modifyConference>"
    assert info(net, alice, ok_alice, audience).status == 200
    assert setup.person("bob").muted and setup.person("carol").muted and not setup.person("alice").muted
    promote = (f'<modifyUserRoles><userKeys userEntity="{entity("bob")}"/><user-roles><entry>presenter</entry>'
               f'</user-roles></modifyUserRoles>')
    assert info(net, alice, ok_alice, promote).status == 200
    assert setup.conference().participants[entity("bob")].role.value == "presenter"
    assert not setup.person("bob").muted          # audience mute is for attendees
    # Now a presenter, bob may mute others.
    assert info(net, bob, ok_bob, mute_body("alice")).status == 200 and setup.person("alice").muted
    # A body outside the subset is 400; an unknown participant 404.
    assert info(net, alice, ok_alice, "<addUser/>").status == 400
    assert info(net, alice, ok_alice, mute_body("nobody")).status == 404


def test_eject_through_refer_method_bye_in_dialog_and_out_of_dialog(setup: Setup) -> None:
    net = setup.net
    alice, bob, carol = (net.agent(n, f"192.0.2.{10 + i}") for i, n in enumerate(("alice", "bob", "carol")))
    ok_alice, ok_bob, _ = join(setup, alice), join(setup, bob), join(setup, carol)
    refer_to = f"Refer-To: <{entity('carol')};method=BYE>\r\n"
    bob.send(in_dialog(net, bob, ok_bob, "REFER", extra=refer_to))
    net.run()
    assert bob.final("REFER").status == 403 and byes(carol) == []
    alice.send(in_dialog(net, alice, ok_alice, "REFER", extra=refer_to))
    net.run()
    assert alice.final("REFER").status == 202
    assert len(byes(carol)) == 1
    [notify] = [e.request for e in alice.requests("NOTIFY") if e.request.headers.get("Event") == "refer"]
    assert notify.body.startswith(b"SIP/2.0 200") and "terminated" in (notify.headers.get("Subscription-State") or "")
    assert entity("carol") not in setup.conference().participants
    # Out of dialog, to the conference URI (authenticated like any request of a local user).
    request = alice.request("REFER", URI, extra=f"Refer-To: <{entity('bob')};method=BYE>\r\n")
    alice.send(request)
    net.run()
    challenge = alice.final("REFER")
    assert challenge.status == 407
    auth = alice.digest.authorize(challenge.headers.get_all("Proxy-Authenticate")[-1], "REFER", URI)
    alice.send(alice.request("REFER", URI, extra=f"Refer-To: <{entity('bob')};method=BYE>\r\n"
                                                 f"Proxy-Authorization: {auth}\r\n"))
    net.run()
    assert alice.final("REFER").status == 202 and len(byes(bob)) == 1


def test_ending_the_meeting_byes_everyone(setup: Setup) -> None:
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    ok_alice, ok_bob = join(setup, alice), join(setup, bob)
    assert info(net, bob, ok_bob, "<deleteConference/>").status == 403
    assert info(net, alice, ok_alice, "<deleteConference/>").status == 200
    assert len(byes(alice)) == 1 and len(byes(bob)) == 1
    assert setup.focus.conferences == {} and setup.roster.roster(URI) is None


def test_operator_controls_and_refusals(setup: Setup) -> None:
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    join(setup, alice)
    join(setup, bob)
    setup.roster.control("4711", OPERATOR, "mute", setup.person("bob").id, net.now)   # by the focus's id
    assert setup.person("bob").muted
    with pytest.raises(ControlRefused) as refused:
        setup.roster.control("4711", OPERATOR, "eject", ORGANIZER, net.now)
    assert refused.value.status == 403
    with pytest.raises(ControlRefused) as refused:
        setup.roster.control("9999", OPERATOR, "lock", None, net.now)
    assert refused.value.status == 404
    with pytest.raises(ControlRefused) as refused:
        setup.roster.control("4711", OPERATOR, "admit", entity("bob"), net.now)
    assert refused.value.status == 409
    setup.roster.control("4711", OPERATOR, "eject", entity("bob"), net.now)
    net.run()
    assert len(byes(bob)) == 1


# --- conference events ------------------------------------------------------------------------


def subscribe(net: Network, ua: UserAgent, *, expires: int = 600, call_id: str | None = None) -> Response:
    extra = f"Event: conference\r\nExpires: {expires}\r\nAccept: application/conference-info+xml\r\n"
    ua.send(ua.request("SUBSCRIBE", URI, extra=extra, call_id=call_id))
    net.run()
    first = ua.final("SUBSCRIBE")
    if first.status != 407:
        return first
    auth = ua.digest.authorize(first.headers.get_all("Proxy-Authenticate")[-1], "SUBSCRIBE", URI)
    ua.send(ua.request("SUBSCRIBE", URI, extra=extra + f"Proxy-Authorization: {auth}\r\n", call_id=call_id))
    net.run()
    return ua.final("SUBSCRIBE")


def notifies(ua: UserAgent) -> list[Request]:
    return [e.request for e in ua.requests("NOTIFY") if e.request.headers.get("Event") == "conference"]


def test_a_participant_subscribes_and_sees_joins_mutes_speakers_roles_and_leaves(setup: Setup) -> None:
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    ok_alice = join(setup, alice)
    ok = subscribe(net, alice, call_id="alice-sub")
    assert ok.status == 200 and ok.headers.get("Expires") == "600"
    [full] = notifies(alice)
    document = parse(full.body)
    assert document.state.value == "full" and document.version == 1
    assert [u.entity for u in document.users] == [ORGANIZER]
    assert full.headers.get("Content-Type") == "application/conference-info+xml"
    assert (full.headers.get("Subscription-State") or "").startswith("active;expires=")
    join(setup, bob)
    partial = parse(notifies(alice)[-1].body)
    assert partial.state.value == "partial" and partial.version == 2
    assert [u.entity for u in partial.users] == [entity("bob")]
    info(net, alice, ok_alice, mute_body("bob"))
    muted = parse(notifies(alice)[-1].body)
    assert muted.version == 3 and muted.users[0].endpoints[0].status == "muted-via-focus"
    # Active speakers: the engine's talker report through the focus.
    room = setup.rooms.rooms[0]
    room.on_talkers(((setup.person("alice").media, 30),))
    net.run()
    speakers = parse(notifies(alice)[-1].body)
    assert speakers.conference_state is not None and speakers.conference_state.active_speakers == (ORGANIZER,)
    bob_ok = bob.final("INVITE")
    bob.send(in_dialog(net, bob, bob_ok, "BYE"))
    net.run()
    left = parse(notifies(alice)[-1].body)
    assert [(u.entity, u.state) for u in left.users] == [(entity("bob"), "deleted")]
    versions = [parse(n.body).version for n in notifies(alice)]
    assert versions == list(range(1, len(versions) + 1))


def test_lobby_changes_reach_subscribers(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    guest = net.agent("guest", "192.0.2.12", user=False)
    join(setup, alice)
    subscribe(net, alice)
    answering(guest)
    external_join(net, guest, URI)
    waiting = parse(notifies(alice)[-1].body)
    assert waiting.users[0].endpoints[0].status == "pending"
    setup.roster.control("4711", OPERATOR, "admit", "sip:guest@partner.test", net.now)
    net.run()
    assert parse(notifies(alice)[-1].body).users[0].endpoints[0].status == "connected"


def test_only_participants_and_the_organizer_subscribe(setup: Setup) -> None:
    net = setup.net
    alice, bob, dave = (net.agent(n, f"192.0.2.{10 + i}") for i, n in enumerate(("alice", "bob", "dave")))
    join(setup, bob)
    assert subscribe(net, dave).status == 403
    assert subscribe(net, alice).status == 200        # the organizer, not (yet) joined
    wrong = bob.request("SUBSCRIBE", URI, extra="Event: presence\r\nExpires: 600\r\n")
    bob.send(wrong)
    net.run()
    assert bob.final("SUBSCRIBE").status in (407, 489)


def test_refresh_unsubscribe_expiry_and_the_end(setup: Setup) -> None:
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    join(setup, alice)
    join(setup, bob)
    ok = subscribe(net, bob, expires=120)
    assert ok.status == 200
    refresh = bob.request("SUBSCRIBE", ok.contact[0].uri_text, to=ok.to.uri_text, to_tag=ok.to.tag,
                          call_id=ok.call_id, extra="Event: conference\r\nExpires: 300\r\n")
    bob.send(refresh)
    net.run()
    assert bob.final("SUBSCRIBE").headers.get("Expires") == "300"
    assert parse(notifies(bob)[-1].body).state.value == "full"
    assert setup.services.subscribers(URI) == [entity("bob")]
    net.advance(301)
    assert (notifies(bob)[-1].headers.get("Subscription-State") or "") == "terminated;reason=timeout"
    assert setup.services.subscribers(URI) == []
    # Unsubscribe.
    ok = subscribe(net, alice, call_id="alice-2")
    alice.send(alice.request("SUBSCRIBE", ok.contact[0].uri_text, to=ok.to.uri_text, to_tag=ok.to.tag,
                             call_id=ok.call_id, extra="Event: conference\r\nExpires: 0\r\n"))
    net.run()
    assert (notifies(alice)[-1].headers.get("Subscription-State") or "").startswith("terminated")
    # The meeting's end ends every subscription with noresource.
    subscribe(net, bob, call_id="bob-3")
    setup.roster.control("4711", OPERATOR, "end", None, net.now)
    net.run()
    assert notifies(bob)[-1].headers.get("Subscription-State") == "terminated;reason=noresource"
    last = parse(notifies(bob)[-1].body)
    assert last.conference_state is not None and last.conference_state.active is False
    assert setup.services.subscribers(URI) == []


def test_too_short_an_interval_is_423(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    join(setup, alice)
    response = subscribe(net, alice, expires=5)
    assert response.status == 423 and response.headers.get("Min-Expires") == "60"


# --- IM into the meeting ----------------------------------------------------------------------


def test_a_message_to_the_meeting_reaches_every_other_participant_and_is_archived(setup: Setup) -> None:
    net = setup.net
    alice, bob, carol = (net.agent(n, f"192.0.2.{10 + i}") for i, n in enumerate(("alice", "bob", "carol")))
    for ua in (alice, bob, carol):
        assert ua.register().status == 200
        join(setup, ua)
    body = "hello meeting"
    extra = "Content-Type: text/plain\r\n"
    alice.send(alice.request("MESSAGE", URI, body=body, extra=extra))
    net.run()
    challenge = alice.final("MESSAGE")
    auth = alice.digest.authorize(challenge.headers.get_all("Proxy-Authenticate")[-1], "MESSAGE", URI)
    alice.send(alice.request("MESSAGE", URI, body=body, extra=extra + f"Proxy-Authorization: {auth}\r\n"))
    net.run()
    assert alice.final("MESSAGE").status == 200
    for ua in (bob, carol):
        [received] = [e.request for e in ua.requests("MESSAGE")]
        assert received.body == body.encode()
        assert received.from_ is not None and received.from_.uri_text == ORGANIZER
        assert received.headers.get("P-Asserted-Identity") == f"<{ORGANIZER}>"
    assert alice.requests("MESSAGE") == []
    archived = sorted((m.sender, m.recipient, m.text, m.conversation) for m in setup.im.history)
    assert archived == [(ORGANIZER, entity("bob"), body, URI), (ORGANIZER, entity("carol"), body, URI)]


def test_a_message_from_someone_outside_the_meeting_is_403(setup: Setup) -> None:
    net = setup.net
    alice, dave = net.agent("alice", "192.0.2.10"), net.agent("dave", "192.0.2.13")
    join(setup, alice)
    dave.send(dave.request("MESSAGE", URI, body="hi", extra="Content-Type: text/plain\r\n"))
    net.run()
    challenge = dave.final("MESSAGE")
    auth = dave.digest.authorize(challenge.headers.get_all("Proxy-Authenticate")[-1], "MESSAGE", URI)
    dave.send(dave.request("MESSAGE", URI, body="hi", extra="Content-Type: text/plain\r\n"
                                                           f"Proxy-Authorization: {auth}\r\n"))
    net.run()
    assert dave.final("MESSAGE").status == 403 and alice.requests("MESSAGE") == []



def test_refer_without_a_method_dials_the_user_in_even_into_a_locked_meeting(setup: Setup) -> None:
    from uc_media import LocalCapabilities, negotiate_answer
    from uc_signal.sip import make_response

    net = setup.net
    alice, bob, carol = (net.agent(n, f"192.0.2.{10 + i}") for i, n in enumerate(("alice", "bob", "carol")))
    ok_alice, ok_carol = join(setup, alice), join(setup, carol)
    assert bob.register().status == 200
    setup.roster.control("4711", OPERATOR, "lock", None, net.now)
    # An attendee may not add people.
    carol.send(in_dialog(net, carol, ok_carol, "REFER", extra=f"Refer-To: <{entity('bob')}>\r\n"))
    net.run()
    assert carol.final("REFER").status == 403
    alice.send(in_dialog(net, alice, ok_alice, "REFER", extra=f"Refer-To: <{entity('bob')}>\r\n"))
    net.run()
    assert alice.final("REFER").status == 202
    [event] = bob.requests("INVITE")
    answer = negotiate_answer(event.request.body, LocalCapabilities(address="192.0.2.11", port=4000))
    response = make_response(event.request, 200, to_tag="bob-totag")
    response.headers.add("Contact", f"<{bob.contact}>")
    response.set_body(bytes(answer), "application/sdp")
    bob.layer.send_response(response, net.now, event.transaction)
    net.run()
    person = setup.conference().participants[entity("bob")]
    assert person.state.value == "connected"          # the lock lobbies joiners, not the invited
    assert not setup.person("bob").in_lobby
    [notify] = [e.request for e in alice.requests("NOTIFY") if e.request.headers.get("Event") == "refer"]
    assert notify.body.startswith(b"SIP/2.0 200")
    # Nobody registered: 480.
    alice.send(in_dialog(net, alice, ok_alice, "REFER", extra=f"Refer-To: <{entity('dave')}>\r\n"))
    net.run()
    assert alice.final("REFER").status == 480


def test_the_roster_follows_mutes_and_admissions_made_on_the_focus_directly(setup: Setup) -> None:
    """The focus's own admin routes act on the legs; the roster (and its subscribers) follow."""
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    guest = net.agent("guest", "192.0.2.12", user=False)
    join(setup, alice)
    join(setup, bob)
    answering(guest)
    external_join(net, guest, URI)
    subscribe(net, alice)
    setup.focus.set_muted("4711", setup.person("bob").id, True)
    net.run()
    assert setup.conference().participants[entity("bob")].endpoints[setup.person("bob").id].muted
    assert parse(notifies(alice)[-1].body).users[0].endpoints[0].status == "muted-via-focus"
    [guest_leg] = [p for p in setup.running().participants.values() if p.entity == "sip:guest@partner.test"]
    setup.focus.admit("4711", guest_leg.id)
    net.run()
    assert setup.conference().participants["sip:guest@partner.test"].state.value == "connected"
    assert parse(notifies(alice)[-1].body).users[0].endpoints[0].status == "connected"


def test_a_steady_talker_stays_an_active_speaker_until_the_engine_says_otherwise(setup: Setup) -> None:
    """The engine reports talker changes only; the roster's hold must not drop a talker
    who simply goes on talking."""
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    join(setup, alice)
    join(setup, bob)
    room = setup.rooms.rooms[0]
    room.on_talkers(((setup.person("bob").media, 20),))
    net.run()
    net.advance(10)
    assert setup.conference().speakers.current == (entity("bob"),)
    room.on_talkers(())
    net.run()
    net.advance(2)
    assert setup.conference().speakers.current == ()


def test_an_ejected_participant_hears_the_notice_unheard_then_gets_the_bye(setup: Setup) -> None:
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    join(setup, alice)
    join(setup, bob)
    leg = setup.person("bob").media
    leg.notice_seconds = 2.0
    setup.roster.control("4711", OPERATOR, "eject", entity("bob"), net.now)
    net.run()
    assert leg.notices == ["removed"] and leg.muted and byes(bob) == []
    assert entity("bob") not in setup.conference().participants
    net.advance(1.5)
    assert byes(bob) == []
    net.advance(1.5)
    assert len(byes(bob)) == 1 and leg.closed


def test_a_leg_admitted_by_another_application_keeps_its_role_and_place(setup: Setup) -> None:
    """The dial-in attendant hands the focus a caller it judged itself (a leader's PIN, the
    PSTN lobby bypass): the roster takes that role and place rather than its own."""
    from dataclasses import replace

    from test_focus_dialogs import PlannedLeg
    from uc_media import LocalCapabilities

    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    join(setup, alice)
    caller = replace(setup.person("alice"), id="p99", entity="tel:+14255550123", authenticated=False,
                     role="presenter", media=PlannedLeg(LocalCapabilities(address="192.0.2.1", port=31000)))
    setup.running().add(caller)
    person = setup.conference().participants["tel:+14255550123"]
    assert person.role.value == "presenter" and person.state.value == "connected"


def test_the_lock_is_shared_with_the_directory_view_both_ways(setup: Setup) -> None:
    """The dial-in's keypad locks the directory's meeting; C3P and the admin API lock the
    roster: each sees the other's."""
    from dataclasses import replace

    net = setup.net
    alice, bob, carol = (net.agent(n, f"192.0.2.{10 + i}") for i, n in enumerate(("alice", "bob", "carol")))
    ok_alice = join(setup, alice)
    setup.view.add(replace(setup.meeting, locked=True))       # as the dial-in's *7 does
    join(setup, bob)
    assert setup.person("bob").in_lobby
    unlock = "<modifyConferenceLock><locked>false</locked></modifyConferenceLock>"
    assert info(net, alice, ok_alice, unlock).status == 200
    handle = setup.view.find(URI)
    assert handle is not None and handle.meeting.locked is False   # type: ignore[attr-defined]
    join(setup, carol)
    assert not setup.person("carol").in_lobby
