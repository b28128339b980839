"""Fuzz the focus factory's C3P command parser (SERVICE bodies: addConference,
getConference, modifyConference, deleteConference, getConferences) and its response
builder: CccpError is the only exception allowed; a parsed command names a meeting exactly
when it should, a modification changes something and only to values of the subset, an
addConference's lobby policy is one of the mapped ones, and a response built from what came
out (success with the meeting as modified or added, and failure) is well-formed XML naming
the command.

    PYTHONPATH=. python fuzz/fuzz_cccp_focus_factory.py -atheris_runs=20000
"""

import sys
from pathlib import Path

import atheris  # type: ignore[import-untyped]

from _seeded import seeded_payload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, not an install

with atheris.instrument_imports(include=["uc_signal.focus.cccp"]):
    import defusedxml.ElementTree as SafeET

    from uc_signal.focus.cccp import (ADMISSION_POLICIES, FACTORY_COMMANDS, LOBBY_POLICIES, NAMESPACE,
                                      PRESENTER_POLICIES, CccpError, MeetingInfo, build_add_conference_response,
                                      build_factory_response, parse_factory_request)

HEAD = (b'<request xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="5" from="sip:a@x" '
        b'to="sip:a@x;gruu;opaque=app:conf:focusfactory" '
        b'xmlns:msci="http://schemas.microsoft.com/rtc/2005/08/confinfoextensions">')
KEYS = b'<conferenceKeys msci:conference-id="F3K4X9Q2"/>'
INFO = b'<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="">'
SEEDS = [
    HEAD + b"<getConference>" + KEYS + b"<msci:encryption-key/></getConference></request>",
    HEAD + b'<deleteConference><conferenceKeys confEntity="sip:a@x;gruu;opaque=app:conf:focus:id:F3K4X9Q2"/>'
           b"</deleteConference></request>",
    HEAD + b"<getConferences/></request>",
    HEAD + b"<modifyConference>" + KEYS + INFO + b"<conference-description><subject>Planning</subject>"
           b"<msci:expiry-time>2026-12-01T10:00:00Z</msci:expiry-time>"
           b"<msci:end-time>2026-12-01T09:00:00+01:00</msci:end-time>"
           b"<msci:admission-policy>anonymous</msci:admission-policy>"
           b"<msci:lobby-policy>unauthenticated</msci:lobby-policy>"
           b"<msci:presenter-policy>everyone</msci:presenter-policy>"
           b"<msci:pstn-lobby-bypass>false</msci:pstn-lobby-bypass></conference-description>"
           b"<conference-state><locked>true</locked></conference-state></conference-info></modifyConference></request>",
    HEAD + b"<addConference>" + INFO + b"<conference-description><subject>S</subject></conference-description>"
           b"</conference-info></addConference></request>",
    b'<!DOCTYPE r [<!ENTITY a "aaaa">]><request><getConferences>&a;</getConferences></request>',
]
# addConference as Lync clients send it (prefixed conference-info, MS-CONFBAS 4.1).
ADD_HEAD = (b'<request xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="68537848" from="sip:a@x" '
            b'to="sip:a@x;gruu;opaque=app:conf:focusfactory"><addConference>'
            b'<ci:conference-info xmlns:ci="urn:ietf:params:xml:ns:conference-info" entity="" '
            b'xmlns:msci="http://schemas.microsoft.com/rtc/2005/08/confinfoextensions"><ci:conference-description>')
ADD_TAIL = b"</ci:conference-description></ci:conference-info></addConference></request>"
SEEDS += [
    ADD_HEAD + b"<ci:subject>Stand-up</ci:subject><msci:conference-id>TPDD8VYG</msci:conference-id>" + ADD_TAIL,
    ADD_HEAD + b"<msci:admission-policy>anonymous</msci:admission-policy>"
               b"<msci:pstn-lobby-bypass>true</msci:pstn-lobby-bypass>" + ADD_TAIL,
    ADD_HEAD + b"<msci:admission-policy>closedAuthenticated</msci:admission-policy>" + ADD_TAIL,
    b'<request xmlns="urn:ietf:params:xml:ns:cccp" requestId="1"><addConference/></request>',
    b'<!DOCTYPE r [<!ENTITY a "aaaa">]><request><addConference>&a;</addConference></request>',
]


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    body = seeded_payload(fdp, SEEDS, raw_one_in=4)
    try:
        request = parse_factory_request(body)
    except CccpError:
        return
    assert request.command in FACTORY_COMMANDS
    assert (request.meeting_id is not None) == (request.command in ("getConference", "modifyConference",
                                                                     "deleteConference"))
    assert (request.add is not None) == (request.command == "addConference")
    if request.add is not None:
        add = request.add
        assert add.lobby_policy is None or add.lobby_policy in ADMISSION_POLICIES.values()
        added = build_add_conference_response(add.request_id, "sip:a@x;gruu;opaque=app:conf:focusfactory", "sip:a@x",
                                              conference_uri="sip:a@x;gruu;opaque=app:conf:focus:id:F3K4X9Q2",
                                              meeting_id="F3K4X9Q2", conference_id="4711081", subject=add.subject)
        assert SafeET.fromstring(added).get("code") == "success"
        refused = build_add_conference_response(add.request_id, "sip:a@x", add.subject, reason="requestMalformed")
        assert SafeET.fromstring(refused).get("code") == "failure"
    changes = request.changes
    assert request.command != "modifyConference" or changes.any()
    assert changes.lobby_policy in (None, *LOBBY_POLICIES)
    assert changes.presenter_policy in (None, *PRESENTER_POLICIES)
    meeting = MeetingInfo(conference_uri=f"sip:a@x;gruu;opaque=app:conf:focus:id:{request.meeting_id or 'F3K4X9Q2'}",
                          meeting_id=request.meeting_id or "F3K4X9Q2", conference_id="4711081",
                          subject=changes.subject or "", expires_at=changes.expires_at or 0.0, end=changes.end,
                          lobby_policy=changes.lobby_policy or "nobody",
                          presenter_policy=changes.presenter_policy or "company",
                          pstn_bypass_lobby=bool(changes.pstn_bypass_lobby), locked=bool(changes.locked))
    ok = SafeET.fromstring(build_factory_response(request.command, request.request_id, "sip:a@x;gruu;opaque=x",
                                                  "sip:a@x", meetings=(meeting,)))
    assert ok.get("code") == "success" and ok[0].tag == f"{{{NAMESPACE}}}{request.command}"
    failed = SafeET.fromstring(build_factory_response(request.command, request.request_id, "sip:a@x",
                                                      changes.subject or "", reason="notFound"))
    assert failed.get("code") == "failure" and failed[0].get("reason") == "notFound"


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
