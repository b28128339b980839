"""Fuzz the focus's C3P control parser (application/cccp+xml INFO bodies) and its response
builder: CccpError is the only exception allowed, a parsed control is one of the roster's,
and a response built with whatever came out is well-formed XML.

    PYTHONPATH=. python fuzz/fuzz_cccp.py -atheris_runs=20000
"""

import sys
from pathlib import Path

import atheris  # type: ignore[import-untyped]

from _seeded import seeded_payload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, not an install

with atheris.instrument_imports(include=["uc_signal.focus.cccp"]):
    import defusedxml.ElementTree as SafeET

    from uc_signal.focus.cccp import CccpError, build_response, parse_request
    from uc_signal.focus.roster import CONTROLS

NS = b'<request xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="7" to="sip:c@x">'
SEEDS = [
    NS + b'<modifyEndpointMedia><userKeys userEntity="sip:bob@x"/><media><status>recvonly</status></media>'
         b'</modifyEndpointMedia></request>',
    NS + b"<modifyConference><mute-audience>true</mute-audience></modifyConference></request>",
    NS + b"<modifyConferenceLock><locked>false</locked></modifyConferenceLock></request>",
    NS + b'<deleteUser><userKeys userEntity="sip:bob@x"/></deleteUser></request>',
    NS + b'<setLobbyAccess><userKeys userEntity="sip:g@y"/><access>granted</access></setLobbyAccess></request>',
    NS + b'<modifyUserRoles><userKeys userEntity="sip:bob@x"/><user-roles><entry>presenter</entry></user-roles>'
         b"</modifyUserRoles></request>",
    NS + b"<deleteConference/></request>",
    b'<!DOCTYPE r [<!ENTITY a "aaaa">]><request>&a;</request>',
]


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    body = seeded_payload(fdp, SEEDS, raw_one_in=4)
    try:
        control = parse_request(body)
    except CccpError:
        return
    assert control.command in CONTROLS
    response = build_response(control.request_id, "sip:c@x", control.target or "sip:a@x", control.target)
    SafeET.fromstring(response)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
