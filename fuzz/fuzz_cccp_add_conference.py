"""Fuzz the focus factory's C3P addConference parser (application/cccp+xml SERVICE bodies)
and its response builder: CccpError is the only exception allowed, a parsed request's
lobby policy is one of the mapped ones, and a response built from what came out (success
and failure) is well-formed XML.

    PYTHONPATH=. python fuzz/fuzz_cccp_add_conference.py -atheris_runs=20000
"""

import sys
from pathlib import Path

import atheris  # type: ignore[import-untyped]

from _seeded import seeded_payload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, not an install

with atheris.instrument_imports(include=["uc_signal.focus.cccp"]):
    import defusedxml.ElementTree as SafeET

    from uc_signal.focus.cccp import ADMISSION_POLICIES, CccpError, build_add_conference_response, parse_add_conference

HEAD = (b'<request xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="68537848" from="sip:a@x" '
        b'to="sip:a@x;gruu;opaque=app:conf:focusfactory"><addConference>'
        b'<ci:conference-info xmlns:ci="urn:ietf:params:xml:ns:conference-info" entity="" '
        b'xmlns:msci="http://schemas.microsoft.com/rtc/2005/08/confinfoextensions"><ci:conference-description>')
TAIL = b"</ci:conference-description></ci:conference-info></addConference></request>"
SEEDS = [
    HEAD + b"<ci:subject>Stand-up</ci:subject><msci:conference-id>TPDD8VYG</msci:conference-id>" + TAIL,
    HEAD + b"<msci:admission-policy>anonymous</msci:admission-policy>"
           b"<msci:pstn-lobby-bypass>true</msci:pstn-lobby-bypass>" + TAIL,
    HEAD + b"<msci:admission-policy>closedAuthenticated</msci:admission-policy>" + TAIL,
    b'<request xmlns="urn:ietf:params:xml:ns:cccp" requestId="1"><addConference/></request>',
    b'<!DOCTYPE r [<!ENTITY a "aaaa">]><request><addConference>&a;</addConference></request>',
]


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    body = seeded_payload(fdp, SEEDS, raw_one_in=4)
    try:
        request = parse_add_conference(body)
    except CccpError:
        return
    assert request.lobby_policy is None or request.lobby_policy in ADMISSION_POLICIES.values()
    ok = build_add_conference_response(request.request_id, "sip:a@x;gruu;opaque=app:conf:focusfactory", "sip:a@x",
                                       conference_uri="sip:a@x;gruu;opaque=app:conf:focus:id:F3K4X9Q2",
                                       meeting_id="F3K4X9Q2", conference_id="4711081", subject=request.subject)
    assert SafeET.fromstring(ok).get("code") == "success"
    failed = build_add_conference_response(request.request_id, "sip:a@x", request.subject, reason="requestMalformed")
    assert SafeET.fromstring(failed).get("code") == "failure"


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
