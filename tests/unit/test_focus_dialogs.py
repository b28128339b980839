"""The focus's SIP dialogs, sans-IO: the proxy core's in-memory network with the focus in
the chain, a conference lookup over a dict, and media rooms that run the real offer/answer
(uc_media.offer_answer) without an engine (no sockets)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from uc_media import LocalCapabilities, NegotiationError, SdpError, build_offer, negotiate_answer
from uc_media.offer_answer import Offer, process_answer
from uc_signal.focus import (FocusApplication, JoinDecision, OfferRejected, Participant, RunningConference,
                             UnknownParticipant, conference_key)
from uc_signal.focus.media import TalkersCallback
from uc_signal.proxy.services import ApplicationServices
from uc_signal.sip import Request, Response

from proxy_network import DOMAIN, Network, UserAgent

MEETING = f"sip:meet1@{DOMAIN}"
LYNC_MEETING = f"sip:alice@{DOMAIN};gruu;opaque=app:conf:focus:id:AB12CD"


@dataclass(frozen=True)
class Handle:
    """A ConferenceHandle without a stored meeting behind it: the focus alone, no roster."""

    uri: str
    conference_id: str


CONFERENCES = {conference_key(MEETING): Handle(MEETING, "1001"),
               conference_key(LYNC_MEETING): Handle(LYNC_MEETING, "1002")}


class DictLookup:
    def find(self, uri: str) -> Handle | None:
        return CONFERENCES.get(conference_key(uri))


def offer_sdp(host: str, port: int = 4000, *, codecs: str = "opus", direction: str = "sendrecv") -> str:
    formats = {"opus": ("111 101", "a=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n"),
               "g729": ("18", "a=rtpmap:18 G729/8000\r\n")}[codecs]
    return (f"v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP {formats[0]}\r\n{formats[1]}a={direction}\r\n")


@dataclass(eq=False)
class PlannedLeg:
    """A leg without an engine: the agreed direction, muted flag and closed state."""

    caps: LocalCapabilities
    muted: bool = False
    direction: str = "sendrecv"
    closed: bool = False
    offer: Offer | None = None
    joined: bool = False
    in_lobby: bool = False
    notice_seconds: float = 0.0          # how long a notice plays (0: none configured)
    notices: list[str] = field(default_factory=list)

    def admit(self) -> None:
        self.in_lobby, self.joined = False, True

    def play_notice(self, notice: str) -> float:
        self.notices.append(notice)
        return self.notice_seconds

    def reanswer(self, offer: bytes) -> bytes:
        try:
            answer = negotiate_answer(offer, self.caps, session_version=2)
        except (SdpError, NegotiationError) as error:
            raise OfferRejected(488, str(error)) from None
        self.direction = answer.audio.direction.value
        return bytes(answer)

    def accept_answer(self, answer: bytes) -> None:
        assert self.offer is not None
        try:
            self.direction = process_answer(self.offer, answer).direction.value
        except (SdpError, NegotiationError) as error:
            raise OfferRejected(488, str(error)) from None
        self.joined = True

    def close(self) -> None:
        self.closed = True


@dataclass(eq=False)
class PlannedRoom:
    on_talkers: TalkersCallback
    legs: list[PlannedLeg] = field(default_factory=list)
    closed: bool = False
    announced: list[str] = field(default_factory=list)

    def announce(self, announcement: str) -> None:
        self.announced.append(announcement)

    def _leg(self) -> PlannedLeg:
        leg = PlannedLeg(LocalCapabilities(address="192.0.2.1", port=30000 + 2 * len(self.legs)))
        self.legs.append(leg)
        return leg

    def answer(self, offer: bytes, *, lobby: bool = False) -> tuple[PlannedLeg, bytes]:
        leg = self._leg()
        try:
            answer = negotiate_answer(offer, leg.caps)
        except (SdpError, NegotiationError) as error:
            leg.close()
            raise OfferRejected(488, str(error)) from None
        leg.direction, leg.joined, leg.in_lobby = answer.audio.direction.value, not lobby, lobby
        return leg, bytes(answer)

    def offer(self, *, lobby: bool = False) -> tuple[PlannedLeg, bytes]:
        leg = self._leg()
        leg.in_lobby = lobby
        leg.offer = build_offer(leg.caps)
        return leg, bytes(leg.offer)

    def close(self) -> None:
        self.closed = True


@dataclass
class PlannedRooms:
    rooms: list[PlannedRoom] = field(default_factory=list)

    def open_room(self, on_talkers: TalkersCallback) -> PlannedRoom:
        self.rooms.append(PlannedRoom(on_talkers))
        return self.rooms[-1]


@dataclass
class Recorder:
    events: list[tuple[str, str]] = field(default_factory=list)
    speakers: list[tuple[str, ...]] = field(default_factory=list)

    def participant_joined(self, conference: RunningConference, participant: Participant) -> None:
        self.events.append(("joined", participant.entity))

    def participant_changed(self, conference: RunningConference, participant: Participant) -> None:
        self.events.append(("changed", participant.entity))

    def participant_left(self, conference: RunningConference, participant: Participant) -> None:
        self.events.append(("left", participant.entity))

    def speakers_changed(self, conference: RunningConference, speakers: tuple[Participant, ...]) -> None:
        self.speakers.append(tuple(p.entity for p in speakers))

    def conference_ended(self, conference: RunningConference) -> None:
        self.events.append(("ended", conference.uri))


@dataclass
class Setup:
    net: Network
    focus: FocusApplication
    rooms: PlannedRooms
    recorder: Recorder


@pytest.fixture
def setup() -> Setup:
    rooms = PlannedRooms()
    built: list[FocusApplication] = []

    def build(services: ApplicationServices) -> FocusApplication:
        built.append(FocusApplication(services, DictLookup(), rooms))
        return built[0]

    net = Network(applications=(build,))
    recorder = Recorder()
    built[0].observers.append(recorder)
    return Setup(net, built[0], rooms, recorder)


def invite(net: Network, ua: UserAgent, uri: str, body: str, *, call_id: str | None = None) -> Response:
    """INVITE with digest credentials after the 407 (a local caller)."""
    extra = "Content-Type: application/sdp\r\n" if body else ""
    ua.send(ua.request("INVITE", uri, body=body, extra=extra, call_id=call_id))
    net.run()
    first = ua.final("INVITE")
    if first.status != 407:
        return first
    auth = ua.digest.authorize(first.headers.get_all("Proxy-Authenticate")[-1], "INVITE", uri)
    ua.send(ua.request("INVITE", uri, body=body, call_id=call_id,
                       extra=extra + f"Proxy-Authorization: {auth}\r\n"))
    net.run()
    return ua.final("INVITE")


def in_dialog(net: Network, ua: UserAgent, ok: Response, method: str, *, body: str = "", extra: str = "",
              cseq: int | None = None) -> Request:
    assert ok.to is not None and ok.contact
    return ua.request(method, ok.contact[0].uri_text, to=ok.to.uri_text, to_tag=ok.to.tag, body=body,
                      extra=extra, call_id=ok.call_id, cseq=cseq)


def ack(net: Network, ua: UserAgent, ok: Response, body: str = "") -> None:
    assert ok.cseq is not None
    extra = "Content-Type: application/sdp\r\n" if body else ""
    ua.send_stateless(in_dialog(net, ua, ok, "ACK", body=body, extra=extra, cseq=ok.cseq.seq))
    net.run()


def test_an_invite_with_an_offer_is_answered_by_the_conference(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    assert [app.name for app in net.core.chain] == ["registrar", "focus", "proxy"]
    ok = invite(net, alice, MEETING, offer_sdp("192.0.2.10"))
    assert ok.status == 200, ok
    assert ok.headers.get("Content-Type") == "application/sdp"
    assert b"m=audio 30000 RTP/AVP 111 101\r\n" in ok.body   # telephone-event/8000 beside Opus
    contact = ok.contact[0]
    assert "isfocus" in contact.params and contact.uri_text.startswith("sip:focus@192.0.2.1:5060")
    conference = setup.focus.find_conference("1001")
    [participant] = conference.participants.values()
    assert participant.entity == f"sip:alice@{DOMAIN}" and participant.authenticated
    assert participant.state.value == "connecting"
    ack(net, alice, ok)
    assert participant.state.value == "connected"
    assert setup.recorder.events == [("joined", f"sip:alice@{DOMAIN}"), ("changed", f"sip:alice@{DOMAIN}")]


def test_one_room_per_meeting_and_each_participant_its_own_leg(setup: Setup) -> None:
    net = setup.net
    agents = [net.agent(name, f"192.0.2.{10 + i}") for i, name in enumerate(("alice", "bob", "carol"))]
    answers = [invite(net, ua, MEETING, offer_sdp(ua.address.host)) for ua in agents]
    assert [a.status for a in answers] == [200, 200, 200]
    assert len(setup.rooms.rooms) == 1
    ports = {a.body.split(b"m=audio ")[1].split(b" ")[0] for a in answers}
    assert len(ports) == 3
    assert len(setup.focus.find_conference("1001").participants) == 3
    # Another meeting: another room.
    dave = net.agent("dave", "192.0.2.30")
    assert invite(net, dave, LYNC_MEETING, offer_sdp("192.0.2.30")).status == 200
    assert len(setup.rooms.rooms) == 2
    assert setup.focus.find_conference("1002").uri == LYNC_MEETING


def test_an_unknown_conference_uri_is_404_and_other_uris_are_not_claimed(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    unknown = f"sip:alice@{DOMAIN};gruu;opaque=app:conf:focus:id:NOPE99"
    alice.send(alice.request("INVITE", unknown, body=offer_sdp("192.0.2.10"),
                             extra="Content-Type: application/sdp\r\n"))
    net.run()
    response = alice.final("INVITE")
    assert response.status == 404 and response.reason == "Conference Not Found"
    # A user URI is the proxy's: it challenges and then finds nobody registered.
    response = invite(net, alice, f"sip:bob@{DOMAIN}", offer_sdp("192.0.2.10"))
    assert response.status in (404, 480)
    assert setup.rooms.rooms == [] and setup.focus.conferences == {}


def test_an_offer_without_a_common_codec_is_488_and_leaves_nothing(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    response = invite(net, alice, MEETING, offer_sdp("192.0.2.10", codecs="g729"))
    assert response.status == 488
    warning = response.headers.get("Warning") or ""
    assert warning.startswith("305 192.0.2.1:5060 ") and "no common codec" in warning
    assert setup.rooms.rooms[0].closed and setup.rooms.rooms[0].legs[0].closed
    assert setup.focus.conferences == {}
    assert setup.recorder.events == [("ended", MEETING)]


def test_bye_removes_the_leg_and_the_last_one_closes_the_room(setup: Setup) -> None:
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    ok_a = invite(net, alice, MEETING, offer_sdp("192.0.2.10"))
    ok_b = invite(net, bob, MEETING, offer_sdp("192.0.2.11"))
    ack(net, alice, ok_a)
    ack(net, bob, ok_b)
    room = setup.rooms.rooms[0]
    alice.send(in_dialog(net, alice, ok_a, "BYE"))
    net.run()
    assert alice.final("BYE").status == 200
    assert room.legs[0].closed and not room.legs[1].closed and not room.closed
    assert [p.entity for p in setup.focus.find_conference("1001").participants.values()] == [f"sip:bob@{DOMAIN}"]
    bob.send(in_dialog(net, bob, ok_b, "BYE"))
    net.run()
    assert bob.final("BYE").status == 200
    assert room.closed and setup.focus.conferences == {}
    assert setup.recorder.events[-3:] == [("left", f"sip:alice@{DOMAIN}"), ("left", f"sip:bob@{DOMAIN}"),
                                          ("ended", MEETING)]
    # The dialog is gone: a second BYE is not the focus's (the proxy answers it).
    alice.send(in_dialog(net, alice, ok_a, "BYE"))
    net.run()
    assert alice.final("BYE").status != 200


def test_reinvite_puts_on_hold_and_resumes_on_the_same_leg(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    ok = invite(net, alice, MEETING, offer_sdp("192.0.2.10"))
    ack(net, alice, ok)
    [participant] = setup.focus.find_conference("1001").participants.values()
    alice.send(in_dialog(net, alice, ok, "INVITE", body=offer_sdp("192.0.2.10", direction="sendonly"),
                         extra="Content-Type: application/sdp\r\n"))
    net.run()
    held = alice.final("INVITE")
    assert held.status == 200 and b"a=recvonly" in held.body
    assert participant.on_hold and len(setup.rooms.rooms[0].legs) == 1
    ack(net, alice, held)
    alice.send(in_dialog(net, alice, ok, "INVITE", body=offer_sdp("192.0.2.10"),
                         extra="Content-Type: application/sdp\r\n"))
    net.run()
    resumed = alice.final("INVITE")
    assert resumed.status == 200 and b"a=sendrecv" in resumed.body and not participant.on_hold
    # An unusable re-offer is refused and the session stays as it was (14.2).
    alice.send(in_dialog(net, alice, ok, "INVITE", body=offer_sdp("192.0.2.10", codecs="g729"),
                         extra="Content-Type: application/sdp\r\n"))
    net.run()
    assert alice.final("INVITE").status == 488
    assert participant.media.direction == "sendrecv" and not participant.media.closed  # type: ignore[attr-defined]


def test_an_out_of_order_cseq_is_500(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    ok = invite(net, alice, MEETING, offer_sdp("192.0.2.10"))
    ack(net, alice, ok)
    assert ok.cseq is not None
    alice.send(in_dialog(net, alice, ok, "OPTIONS", cseq=ok.cseq.seq - 1))
    net.run()
    assert alice.final("OPTIONS").status == 500


def test_an_invite_without_sdp_gets_our_offer_and_the_ack_answers(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    ok = invite(net, alice, MEETING, "")
    assert ok.status == 200 and b"m=audio 30000 RTP/AVP" in ok.body and b"opus/48000/2" in ok.body
    leg = setup.rooms.rooms[0].legs[0]
    assert not leg.joined
    answer = bytes(negotiate_answer(ok.body, LocalCapabilities(address="192.0.2.10", port=4000))).decode()
    ack(net, alice, ok, body=answer)
    [participant] = setup.focus.find_conference("1001").participants.values()
    assert leg.joined and participant.state.value == "connected"


def test_an_unusable_answer_in_the_ack_ends_the_call_with_bye(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    alice.autoanswer = lambda event: (200, []) if event.request.method == "BYE" else None
    ok = invite(net, alice, MEETING, "")
    ack(net, alice, ok, body=offer_sdp("192.0.2.10", codecs="g729"))
    assert [e.request.method for e in alice.requests()] == ["BYE"]
    assert setup.focus.conferences == {} and setup.rooms.rooms[0].closed


def test_mute_and_active_speakers_reach_the_observers(setup: Setup) -> None:
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    invite(net, alice, MEETING, offer_sdp("192.0.2.10"))
    invite(net, bob, MEETING, offer_sdp("192.0.2.11"))
    conference = setup.focus.find_conference("1001")
    first, second = conference.participants.values()
    participant = setup.focus.set_muted("1001", first.id, True)
    assert participant.muted and setup.rooms.rooms[0].legs[0].muted
    assert setup.recorder.events[-1] == ("changed", f"sip:alice@{DOMAIN}")
    setup.focus.set_muted("1001", first.id, True)   # no change, no event
    assert setup.recorder.events.count(("changed", f"sip:alice@{DOMAIN}")) == 1
    with pytest.raises(UnknownParticipant):
        setup.focus.set_muted("1001", "p999", True)
    room = setup.rooms.rooms[0]
    room.on_talkers(((room.legs[1], 20), (room.legs[0], 35)))
    assert setup.recorder.speakers[-1] == (f"sip:bob@{DOMAIN}", f"sip:alice@{DOMAIN}")
    assert second.level == 20 and conference.speakers == (second, first)
    room.on_talkers(())
    assert conference.speakers == () and second.level is None


def test_eject_sends_bye_from_the_focus(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    alice.autoanswer = lambda event: (200, [])
    ok = invite(net, alice, MEETING, offer_sdp("192.0.2.10"))
    ack(net, alice, ok)
    [participant] = setup.focus.find_conference("1001").participants.values()
    setup.focus.eject("1001", participant.id, net.now)
    net.run()
    [bye] = alice.requests("BYE")
    assert bye.request.call_id == ok.call_id and bye.request.from_ is not None
    assert ok.to is not None and bye.request.from_.tag == ok.to.tag
    assert setup.focus.conferences == {}


def test_refer_asks_each_endpoint_of_a_user_to_join_and_notifies_are_answered(setup: Setup) -> None:
    net = setup.net
    bob1, bob2 = net.agent("bob", "192.0.2.20"), net.agent("bob", "192.0.2.21")
    for bob in (bob1, bob2):
        assert bob.register().status == 200
        bob.autoanswer = lambda event: (202, []) if event.request.method == "REFER" else None
    done: list[int | None] = []
    referrals = setup.focus.invite_user(f"sip:bob@{DOMAIN}", LYNC_MEETING, net.now,
                                        on_done=lambda referral: done.append(referral.status))
    net.run()
    assert len(referrals) == 2 and done == [202, 202]
    for bob in (bob1, bob2):
        [refer] = bob.requests("REFER")
        assert refer.request.headers.get("Refer-To") == f"<{LYNC_MEETING}>"
        assert refer.request.uri_text == bob.contact
        contact = refer.request.contact[0]
        assert "isfocus" in contact.params
    # The implicit subscription's NOTIFY (RFC 3515 2.4.4) comes back in its dialog.
    refer = bob1.requests("REFER")[0].request
    assert refer.from_ is not None and refer.from_.tag is not None
    notify = bob1.request("NOTIFY", refer.contact[0].uri_text, to=LYNC_MEETING, to_tag=refer.from_.tag,
                          call_id=refer.call_id, body="SIP/2.0 200 OK\r\n",
                          extra="Event: refer\r\nSubscription-State: terminated;reason=noresource\r\n"
                                "Content-Type: message/sipfrag;version=2.0\r\n")
    bob1.send(notify)
    net.run()
    assert bob1.final("NOTIFY").status == 200
    [referral] = [r for r in referrals if r.target == bob1.contact]
    assert referral.notified == ["SIP/2.0 200 OK"]
    assert referral.subscription_ended and referral.status == 202


def test_refer_to_an_unregistered_user_sends_nothing(setup: Setup) -> None:
    assert setup.focus.invite_user(f"sip:nobody@{DOMAIN}", MEETING, setup.net.now) == []


def answer_with_sdp(net: Network, ua: UserAgent, status: int, body: str = "") -> Response:
    from uc_signal.sip import make_response
    [event] = ua.requests("INVITE")
    response = make_response(event.request, status, to_tag=f"{ua.name}-totag")
    response.headers.add("Contact", f"<{ua.contact}>")
    if body:
        response.set_body(body.encode(), "application/sdp")
    ua.layer.send_response(response, net.now, event.transaction)
    net.run()
    return response


def test_dial_out_adds_a_user_whose_answer_joins_the_mix(setup: Setup) -> None:
    net = setup.net
    bob = net.agent("bob", "192.0.2.20")
    assert bob.register().status == 200
    outcomes: list[int | None] = []
    dial = setup.focus.dial_user(f"sip:bob@{DOMAIN}", MEETING, net.now, on_done=lambda o: outcomes.append(o.status))
    net.run()
    assert dial is not None and dial.target == bob.contact
    [event] = bob.requests("INVITE")
    offer = event.request.body
    assert b"m=audio 30000 RTP/AVP" in offer and "isfocus" in event.request.contact[0].params
    answer = bytes(negotiate_answer(offer, LocalCapabilities(address="192.0.2.20", port=4000))).decode()
    answer_with_sdp(net, bob, 200, answer)
    assert outcomes == [200]
    [ack_request] = bob.requests("ACK")
    assert ack_request.request.call_id == event.request.call_id
    participant = dial.participant
    assert participant is not None and participant.state.value == "connected"
    assert setup.rooms.rooms[0].legs[0].joined
    assert setup.recorder.events == [("joined", f"sip:bob@{DOMAIN}")]
    # Bob hangs up: the BYE finds the focus's UAC dialog.
    bye = bob.request("BYE", event.request.contact[0].uri_text, to=MEETING,
                      to_tag=event.request.from_.tag if event.request.from_ else None,
                      call_id=event.request.call_id)
    bye.headers.set("From", f"<sip:bob@{DOMAIN}>;tag=bob-totag")   # bob's tag in this dialog: its To tag
    bob.send(bye)
    net.run()
    assert bob.final("BYE").status == 200 and setup.focus.conferences == {}


def test_a_declined_dial_out_leaves_no_leg(setup: Setup) -> None:
    net = setup.net
    bob = net.agent("bob", "192.0.2.20")
    assert bob.register().status == 200
    dial = setup.focus.dial_user(f"sip:bob@{DOMAIN}", MEETING, net.now)
    net.run()
    answer_with_sdp(net, bob, 486)
    assert dial is not None and dial.status == 486 and dial.participant is None
    assert setup.rooms.rooms[0].legs[0].closed and setup.rooms.rooms[0].closed
    assert setup.focus.conferences == {}
    assert setup.focus.dial_user(f"sip:nobody@{DOMAIN}", MEETING, net.now) is None


def test_the_200_is_retransmitted_until_the_ack_and_a_missing_ack_ends_the_call(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    alice.autoanswer = lambda event: (200, []) if event.request.method == "BYE" else None
    ok = invite(net, alice, MEETING, offer_sdp("192.0.2.10"))
    assert ok.status == 200
    sent = len(net.sent_by_proxy("SIP/2.0 200 OK"))
    net.advance(0.6, step=0.1)          # T1: the first retransmission
    assert len(net.sent_by_proxy("SIP/2.0 200 OK")) == sent + 1
    net.advance(1.1, step=0.1)          # 2*T1 later: the second
    assert len(net.sent_by_proxy("SIP/2.0 200 OK")) == sent + 2
    assert alice.requests("BYE") == []
    net.advance(32, step=0.5)           # 64*T1 without an ACK: BYE (13.3.1.4)
    assert len(alice.requests("BYE")) == 1
    assert setup.focus.conferences == {} and setup.focus.get_timer() is None


def test_the_ack_stops_the_retransmissions(setup: Setup) -> None:
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    ok = invite(net, alice, MEETING, offer_sdp("192.0.2.10"))
    ack(net, alice, ok)
    assert setup.focus.get_timer() is None
    sent = len(net.sent_by_proxy("SIP/2.0 200 OK"))
    net.advance(5, step=0.5)
    assert len(net.sent_by_proxy("SIP/2.0 200 OK")) == sent
    assert len(setup.focus.find_conference("1001").participants) == 1


def test_end_all_sends_bye_to_every_participant(setup: Setup) -> None:
    net = setup.net
    agents = [net.agent(name, f"192.0.2.{10 + i}") for i, name in enumerate(("alice", "bob"))]
    for ua, uri in zip(agents, (MEETING, LYNC_MEETING)):
        ua.autoanswer = lambda event: (200, [])
        ack(net, ua, invite(net, ua, uri, offer_sdp(ua.address.host)))
    assert setup.focus.end_all(net.now) == 2
    net.run()
    assert [len(ua.requests("BYE")) for ua in agents] == [1, 1]
    assert setup.focus.conferences == {} and all(room.closed for room in setup.rooms.rooms)


def test_a_cancel_after_the_answer_changes_nothing(setup: Setup) -> None:
    """The focus answers an INVITE at once, so a CANCEL always comes after the 200: it has
    no effect on the call (RFC 3261 9.2), which the caller then ends with BYE."""
    net = setup.net
    alice = net.agent("alice", "192.0.2.10")
    ok = invite(net, alice, MEETING, offer_sdp("192.0.2.10"))
    assert ok.status == 200 and ok.cseq is not None
    cancel = alice.request("CANCEL", MEETING, call_id=ok.call_id, cseq=ok.cseq.seq)
    # The CANCEL carries the INVITE's Via branch (9.1).
    branch = ok.top_via.params["branch"] if ok.top_via is not None else ""
    cancel.headers.set("Via", f"SIP/2.0/UDP 192.0.2.10:5060;branch={branch};rport")
    alice.send(cancel)
    net.run()
    # The INVITE's server transaction still absorbs retransmissions (RFC 6026 Accepted), so
    # the core finds it and answers 200 (9.2); the call goes on.
    assert alice.final("CANCEL").status == 200
    assert len(setup.focus.find_conference("1001").participants) == 1
    ack(net, alice, ok)
    alice.send(in_dialog(net, alice, ok, "BYE"))
    net.run()
    assert alice.final("BYE").status == 200 and setup.focus.conferences == {}


def test_joins_and_leaves_are_announced_to_the_meeting(setup: Setup) -> None:
    net = setup.net
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    ok_a = invite(net, alice, MEETING, offer_sdp("192.0.2.10"))
    invite(net, bob, MEETING, offer_sdp("192.0.2.11"))
    room = setup.rooms.rooms[0]
    assert room.announced == ["entry", "entry"]
    alice.send(in_dialog(net, alice, ok_a, "BYE"))
    net.run()
    assert room.announced == ["entry", "entry", "exit"]   # bob hears alice leave
    setup.focus.announcements = False
    carol = net.agent("carol", "192.0.2.12")
    invite(net, carol, MEETING, offer_sdp("192.0.2.12"))
    assert room.announced == ["entry", "entry", "exit"]


def test_a_guest_waits_in_the_lobby_until_admitted(setup: Setup) -> None:
    """The lobby decision (here: callers who are not authenticated users wait) holds a
    guest out of the mix, unannounced, until a presenter admits them."""
    net = setup.net
    setup.focus.admission = lambda handle, entity, authenticated: JoinDecision(
        "presenter" if authenticated else "attendee", not authenticated)
    alice = net.agent("alice", "192.0.2.10")
    guest = net.agent("guest", "192.0.2.50", user=False)
    invite(net, alice, MEETING, offer_sdp("192.0.2.10"))
    # From another domain: not challenged, not authenticated.
    request = guest.request("INVITE", MEETING, body=offer_sdp("192.0.2.50"), extra="Content-Type: application/sdp\r\n")
    request.headers.set("From", "<sip:guest@elsewhere.invalid>;tag=guest-tag")
    guest.send(request)
    net.run()
    assert guest.final("INVITE").status == 200
    conference = setup.focus.find_conference("1001")
    alice_p, guest_p = conference.participants.values()
    assert guest_p.entity == "sip:guest@elsewhere.invalid" and not guest_p.authenticated
    assert guest_p.in_lobby and not alice_p.in_lobby
    assert (alice_p.role, guest_p.role) == ("presenter", "attendee")
    room = setup.rooms.rooms[0]
    assert room.announced == ["entry"]                   # alice's only
    setup.focus.admit("1001", guest_p.id)
    assert not guest_p.in_lobby and room.legs[-1].joined
    assert room.announced == ["entry", "entry"]
    assert setup.recorder.events[-1] == ("changed", "sip:guest@elsewhere.invalid")
    setup.focus.admit("1001", guest_p.id)                # admitted already: nothing more
    assert room.announced == ["entry", "entry"]


def test_a_caller_left_in_the_lobby_is_let_go_after_the_timeout(setup: Setup) -> None:
    net = setup.net
    setup.focus.admission = lambda handle, entity, authenticated: JoinDecision("attendee", True)
    setup.focus.lobby_timeout = 60.0
    alice, bob = net.agent("alice", "192.0.2.10"), net.agent("bob", "192.0.2.11")
    for ua in (alice, bob):
        ua.autoanswer = lambda event: (200, [])
        ack(net, ua, invite(net, ua, MEETING, offer_sdp(ua.address.host)))
    conference = setup.focus.find_conference("1001")
    waiting_alice, waiting_bob = conference.participants.values()
    setup.focus.admit("1001", waiting_bob.id)       # bob is let in; alice keeps waiting
    net.advance(30, step=1.0)
    assert alice.requests("BYE") == [] and len(conference.participants) == 2
    net.advance(31, step=1.0)
    assert len(alice.requests("BYE")) == 1 and bob.requests("BYE") == []
    assert list(conference.participants.values()) == [waiting_bob]
    assert setup.focus.get_timer() is None
    assert waiting_alice.state.value == "disconnected"
