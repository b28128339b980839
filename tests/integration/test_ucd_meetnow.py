"""Meet-now from a client and a stored meeting lock, against a real ucd over UDP sockets (no
softphone: small SIP agents): the organizer's SERVICE with a C3P addConference to its focus
factory makes a meeting the admin API then lists, the organizer joins it with an INVITE,
someone else's SERVICE is refused; the organizer locks the running meeting by C3P INFO,
and after a restart the meeting is still locked (stored), so a new joiner waits in the
lobby."""

from __future__ import annotations

import secrets
from pathlib import Path
from xml.etree.ElementTree import fromstring

from sip_udp_agent import UdpAgent, udp_agents
from test_ucd_focus_roster import Caller, c3p
from uc_signal.sip import Response
from ucd_harness import Ucd, start_ucd, ucctl_json

DOMAIN = "example.test"
NS = "{urn:ietf:params:xml:ns:cccp}"
CI = "{urn:ietf:params:xml:ns:conference-info}"
MSCI = "{http://schemas.microsoft.com/rtc/2005/08/confinfoextensions}"


def factory_uri(user: str) -> str:
    return f"sip:{user}@{DOMAIN};gruu;opaque=app:conf:focusfactory"


def factory_service(agent: UdpAgent, organizer: str, command: str) -> Response:
    """A C3P command in a SERVICE to `organizer`'s focus factory, with digest (MS-CONFBAS
    4.1's and [MS-CONFPRO] 4.5's shape)."""
    uri = factory_uri(organizer)
    body = (f'<request xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="{secrets.randbelow(10**8)}" '
            f'from="{agent.aor}" to="{uri}" '
            f'xmlns:msci="http://schemas.microsoft.com/rtc/2005/08/confinfoextensions">{command}</request>').encode()
    return agent._transact(lambda extra: agent._request("SERVICE", uri, uri,
                                                        "Content-Type: application/cccp+xml\r\n" + extra, body),
                           "SERVICE", uri, 20.0)


def add_conference(agent: UdpAgent, organizer: str, subject: str) -> Response:
    """The addConference a Lync client sends its focus factory (MS-CONFBAS 4.1's shape)."""
    return factory_service(agent, organizer, '<addConference>'
                           '<ci:conference-info xmlns:ci="urn:ietf:params:xml:ns:conference-info" entity="" '
                           'xmlns:msci="http://schemas.microsoft.com/rtc/2005/08/confinfoextensions">'
                           '<ci:conference-description>'
                           f'<ci:subject>{subject}</ci:subject><msci:conference-id>TPDD8VYG</msci:conference-id>'
                           '<msci:admission-policy>openAuthenticated</msci:admission-policy>'
                           '</ci:conference-description></ci:conference-info></addConference>')


def test_meet_now_by_service_then_join_and_the_lock_survives_a_restart(tmp_path: Path) -> None:
    ucd: Ucd = start_ucd(tmp_path)
    agents: list[UdpAgent] = []
    second: Ucd | None = None
    try:
        ucd.add_users("alice", "bob")
        agents += udp_agents(ucd.sip_address("UDP"), DOMAIN, "alice", "bob")
        alice, bob = agents
        assert alice.register().status == 200

        ok = add_conference(alice, "alice", "Stand-up")
        assert ok.status == 200, ok
        root = fromstring(ok.body)
        assert root.get("code") == "success" and root.get("to") == alice.aor
        info = root.find(f"{NS}addConference/{CI}conference-info")
        assert info is not None
        uri = info.get("entity") or ""
        meeting_id = info.findtext(f"{CI}conference-description/{MSCI}conference-id")
        conference_id = info.findtext(f"{CI}conference-description/{MSCI}pstn-access/{MSCI}conference-id")
        assert uri == f"sip:alice@{DOMAIN};gruu;opaque=app:conf:focus:id:{meeting_id}"
        # Stored by the directory the admin API uses.
        shown = ucctl_json(ucd, "meeting", "show", conference_id or "")
        assert (shown["meeting_id"], shown["kind"], shown["subject"], shown["organizer"]) == (
            meeting_id, "meet-now", "Stand-up", f"sip:alice@{DOMAIN}")
        assert shown["conference_uri"] == uri and shown["locked"] is False
        # Only the organizer makes its meetings.
        refused = add_conference(bob, "alice", "Not mine")
        assert refused.status == 403 and fromstring(refused.body).get("reason") == "unauthorized"

        # The new meeting is joined with an INVITE; the organizer locks it by C3P.
        organizer = Caller(alice, uri)
        organizer.join(40100)
        roster = ucctl_json(ucd, "meeting", "roster", conference_id or "")
        assert [(p["entity"], p["role"]) for p in roster["participants"]] == [(f"sip:alice@{DOMAIN}", "organizer")]
        locked = organizer.info(c3p("<modifyConferenceLock><locked>true</locked></modifyConferenceLock>"))
        assert locked.status == 200
        assert ucctl_json(ucd, "meeting", "roster", conference_id or "")["locked"] is True
        assert ucctl_json(ucd, "meeting", "show", conference_id or "")["locked"] is True   # in the store
        assert ucd.stop() == 0, ucd.output()

        # Restarted: the meeting is still locked, so bob (a company user) waits in the lobby.
        second = start_ucd(tmp_path, data_dir=ucd.data_dir, name="ucd2.toml")
        assert ucctl_json(second, "meeting", "show", conference_id or "")["locked"] is True
        server = second.sip_address("UDP")
        bob_again = UdpAgent("bob", "bob-pw", DOMAIN, server)
        agents.append(bob_again)
        Caller(bob_again, uri).join(40102)
        roster = ucctl_json(second, "meeting", "roster", conference_id or "")
        assert roster["locked"] is True
        assert [(p["entity"], p["state"]) for p in roster["participants"]] == [(f"sip:bob@{DOMAIN}", "lobby")]
        second.ucctl("meeting", "lock", conference_id or "", "--unlock")
        assert ucctl_json(second, "meeting", "show", conference_id or "")["locked"] is False
    finally:
        for agent in agents:
            agent.close()
        if second is not None:
            assert second.stop() == 0, second.output()
        elif ucd.proc.poll() is None:
            ucd.stop()
