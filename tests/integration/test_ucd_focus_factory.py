"""The organizer's client manages its meetings through the focus factory, against a real ucd
over UDP sockets (small SIP agents with digest): addConference, getConference,
modifyConference (the change seen by `ucctl meeting show`, so stored by the directory the
admin API uses), getConferences, someone else refused, deleteConference; then an INVITE to
the deleted meeting's URI is answered 404."""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, fromstring

from sip_udp_agent import UdpAgent, udp_agents
from test_ucd_focus_roster import Caller, offer
from test_ucd_meetnow import add_conference, factory_service
from uc_signal.sip import Response
from ucd_harness import Ucd, start_ucd, ucctl_json

DOMAIN = "example.test"
NS = "{urn:ietf:params:xml:ns:cccp}"
CI = "{urn:ietf:params:xml:ns:conference-info}"
MSCI = "{http://schemas.microsoft.com/rtc/2005/08/confinfoextensions}"
EXPIRY = "2031-01-02T03:04:05Z"


def answered(response: Response, command: str) -> Element:
    root = fromstring(response.body)
    element = root.find(NS + command)
    assert element is not None, response.body
    return element


def description(info: Element | None) -> dict[str, str | None]:
    assert info is not None
    return {child.tag.rpartition("}")[2]: child.text for child in info.iterfind(CI + "conference-description/*")}


def test_the_organizer_gets_modifies_lists_and_deletes_its_meeting(tmp_path: Path) -> None:
    ucd: Ucd = start_ucd(tmp_path)
    agents: list[UdpAgent] = []
    try:
        ucd.add_users("alice", "bob")
        agents += udp_agents(ucd.sip_address("UDP"), DOMAIN, "alice", "bob")
        alice, bob = agents

        made = add_conference(alice, "alice", "Stand-up")
        assert made.status == 200, made
        info = answered(made, "addConference").find(CI + "conference-info")
        assert info is not None
        uri = info.get("entity") or ""
        meeting_id = description(info)["conference-id"] or ""
        keys = f'<conferenceKeys msci:conference-id="{meeting_id}"/>'

        # getConference: the meeting's settings as the directory has them.
        got = factory_service(alice, "alice", f"<getConference>{keys}</getConference>")
        assert got.status == 200 and fromstring(got.body).get("code") == "success"
        info = answered(got, "getConference").find(CI + "conference-info")
        assert info is not None and info.get("entity") == uri
        settings = description(info)
        assert (settings["subject"], settings["lobby-policy"], settings["admission-policy"]) == (
            "Stand-up", "outside-company", "openAuthenticated")
        assert info.findtext(f"{CI}conference-state/{CI}locked") == "false"

        # modifyConference: subject, expiry, lobby, presenters, dial-in bypass, lock; stored.
        modified = factory_service(alice, "alice", (
            f"<modifyConference>{keys}"
            '<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity=""><conference-description>'
            f"<subject>Planning</subject><msci:expiry-time>{EXPIRY}</msci:expiry-time>"
            "<msci:admission-policy>anonymous</msci:admission-policy>"
            "<msci:presenter-policy>everyone</msci:presenter-policy>"
            "<msci:pstn-lobby-bypass>false</msci:pstn-lobby-bypass></conference-description>"
            "<conference-state><locked>true</locked></conference-state></conference-info></modifyConference>"))
        assert modified.status == 200, modified
        assert description(answered(modified, "modifyConference").find(CI + "conference-info"))["subject"] \
            == "Planning"
        shown = ucctl_json(ucd, "meeting", "show", meeting_id)
        assert (shown["subject"], shown["lobby_policy"], shown["presenter_policy"], shown["pstn_bypass_lobby"],
                shown["locked"], shown["expires_at"]) == ("Planning", "nobody", "everyone", False, True, 1925089445.0)
        assert shown["conference_uri"] == uri and shown["kind"] == "meet-now"

        # getConferences: the organizer's meetings.
        listed = answered(factory_service(alice, "alice", "<getConferences/>"), "getConferences")
        assert [i.get("entity") for i in listed] == [uri]

        # Someone else: on alice's factory, and on bob's own factory naming alice's meeting.
        for organizer in ("alice", "bob"):
            refused = factory_service(bob, organizer, f"<getConference>{keys}</getConference>")
            assert refused.status == 403 and answered(refused, "getConference").get("reason") == "unauthorized"
        refused = factory_service(bob, "bob", f"<deleteConference>{keys}</deleteConference>")
        assert refused.status == 403
        assert ucctl_json(ucd, "meeting", "show", meeting_id)["subject"] == "Planning"   # still there
        assert len(answered(factory_service(bob, "bob", "<getConferences/>"), "getConferences")) == 0

        # deleteConference: gone from the directory, and an INVITE to its URI is a 404.
        deleted = factory_service(alice, "alice", f"<deleteConference>{keys}</deleteConference>")
        assert deleted.status == 200, deleted
        assert [i.get("entity") for i in answered(deleted, "deleteConference")] == [uri]
        gone = ucd.ucctl("meeting", "show", meeting_id, check=False)
        assert gone.returncode != 0 and "no meeting" in (gone.stdout + gone.stderr)
        again = factory_service(alice, "alice", f"<getConference>{keys}</getConference>")
        assert again.status == 404 and answered(again, "getConference").get("reason") == "notFound"
        caller = Caller(alice, uri)

        def invite(auth: str) -> bytes:
            caller.cseq += 1
            return caller._head("INVITE", uri, None, "Content-Type: application/sdp\r\n" + auth, offer(40110),
                                caller.cseq)
        assert alice._transact(invite, "INVITE", uri, 20.0).status == 404
    finally:
        for agent in agents:
            agent.close()
        if ucd.proc.poll() is None:
            assert ucd.stop() == 0, ucd.output()
