"""The focus's C3P subset (application/cccp+xml): each control, refusals of anything else,
XML bombs and external entities refused, and a property test over arbitrary bodies."""

from __future__ import annotations

import defusedxml.ElementTree as SafeET
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal.focus.cccp import CccpError, CccpRequest, build_response, parse_request
from uc_signal.focus.roster import CONTROLS


def request(control: str, request_id: str = "9") -> bytes:
    return (f'<request xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="{request_id}" '
            f'from="sip:alice@example.com" to="sip:alice@example.com;gruu;opaque=app:conf:focus:id:X">'
            f'{control}</request>').encode()


BOB = '<userKeys userEntity="sip:bob@example.com"/>'


@pytest.mark.parametrize(("control", "command", "target"), [
    (f"<modifyEndpointMedia>{BOB}<media><status>recvonly</status></media></modifyEndpointMedia>", "mute", True),
    (f"<modifyEndpointMedia>{BOB}<media><status>sendrecv</status></media></modifyEndpointMedia>", "unmute", True),
    ("<modifyConference><mute-audience>true</mute-audience></modifyConference>", "audience-mute", False),
    ("<modifyConference><mute-audience>false</mute-audience></modifyConference>", "audience-unmute", False),
    ("<modifyConferenceLock><locked>true</locked></modifyConferenceLock>", "lock", False),
    ("<modifyConferenceLock><locked>false</locked></modifyConferenceLock>", "unlock", False),
    (f"<deleteUser>{BOB}</deleteUser>", "eject", True),
    (f"<setLobbyAccess>{BOB}<access>granted</access></setLobbyAccess>", "admit", True),
    (f"<setLobbyAccess>{BOB}<access>denied</access></setLobbyAccess>", "deny", True),
    (f"<modifyUserRoles>{BOB}<user-roles><entry>presenter</entry></user-roles></modifyUserRoles>", "promote", True),
    (f"<modifyUserRoles>{BOB}<user-roles><entry>attendee</entry></user-roles></modifyUserRoles>", "demote", True),
    ("<deleteConference/>", "end", False),
])
def test_each_control_of_the_subset(control: str, command: str, target: bool) -> None:
    assert parse_request(request(control)) == CccpRequest("9", command, "sip:bob@example.com" if target else None)


@pytest.mark.parametrize("body", [
    b"", b"not xml", b"<response/>", request(""), request("<deleteConference/><deleteConference/>"),
    request("<addUser/>"), request("<deleteUser/>"),
    request(f"<modifyEndpointMedia>{BOB}<media><status>inactive</status></media></modifyEndpointMedia>"),
    request("<modifyConferenceLock><locked>yes</locked></modifyConferenceLock>"),
    request(f"<setLobbyAccess>{BOB}<access>maybe</access></setLobbyAccess>"),
    request(f"<modifyUserRoles>{BOB}<user-roles/></modifyUserRoles>"),
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><request>&b;</request>',
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><request>&x;</request>',
    b"<request>" + b"x" * 20_000 + b"</request>",
])
def test_anything_else_is_a_cccp_error(body: bytes) -> None:
    with pytest.raises(CccpError):
        parse_request(body)


def test_responses_are_well_formed_and_escaped() -> None:
    ok = SafeET.fromstring(build_response("7", "sip:c@x", "sip:a@x"))
    assert ok.get("code") == "success" and ok.get("requestId") == "7"
    refused = SafeET.fromstring(build_response('<"&>', "sip:c@x", "sip:a@x", "sip:a@x is not a presenter <&>"))
    assert refused.get("code") == "failure" and refused.get("requestId") == '<"&>'
    assert refused[0].text == "sip:a@x is not a presenter <&>"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.sampled_from([request("<deleteConference/>")]).map(
    lambda b: b[:len(b) // 2]))
def test_arbitrary_bodies_parse_or_raise_cccp_error_only(body: bytes) -> None:
    try:
        parsed = parse_request(body)
    except CccpError:
        return
    assert parsed.command in CONTROLS
