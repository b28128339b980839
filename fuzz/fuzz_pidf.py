"""Fuzz the PIDF/RPID parser (uc_signal.presence.pidf.parse_pidf) and the iCalendar
free/busy reader with arbitrary and mutated documents.

    PYTHONPATH=. python fuzz/fuzz_pidf.py -atheris_runs=20000

The only acceptable exceptions are PidfError and CalendarError (a 400 / 422 for the
client); anything else is a bug. A document that parses must build back into a document
that parses to the same availability (what watchers are sent).
"""

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports():
    from uc_signal.presence.calendar import CalendarError, parse_busy
    from uc_signal.presence.model import Availability, CustomState
    from uc_signal.presence.pidf import PidfError, WatcherView, build_pidf, parse_pidf

from _seeded import seeded_payload  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "presence"
NS = ('xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
      'xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:ucs="urn:ucserver:params:xml:ns:presence"')
SEEDS = [
    f'<presence {NS} entity="sip:a@b"><tuple id="t"><status><basic>open</basic></status></tuple></presence>'.encode(),
    (f'<presence {NS} entity="sip:a@b"><tuple id="t"><status><basic>closed</basic></status></tuple>'
     '<dm:person id="p"><rpid:activities><rpid:busy/><rpid:other>Do Not Disturb</rpid:other></rpid:activities>'
     '<dm:note>hi</dm:note><rpid:user-input>idle</rpid:user-input></dm:person></presence>').encode(),
    (f'<presence {NS} entity="sip:a@b"><dm:person id="p"><ucs:availability>12500</ucs:availability>'
     '<ucs:location>B7</ucs:location></dm:person></presence>').encode(),
    *(path.read_bytes() for path in sorted(FIXTURES.glob("*.xml"))),
]
ICS = [b"BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\nFREEBUSY:20300101T100000Z/PT1H\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n",
       b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20300102T090000Z\nDTEND:20300102T100000Z\nEND:VEVENT\nEND:VCALENDAR\n"]
CUSTOM = (CustomState("Working from home", Availability.AVAILABLE),)


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeIntInRange(0, 4) == 0:
        text = seeded_payload(fdp, ICS, 3).decode("utf-8", "replace")
        try:
            intervals = parse_busy(text)
        except CalendarError:
            return
        assert all(i.end > i.start for i in intervals)
        return
    body = seeded_payload(fdp, SEEDS, 4)
    try:
        state = parse_pidf(body, CUSTOM)
    except PidfError:
        return
    again = parse_pidf(build_pidf("sip:a@b", WatcherView(state.availability, note=state.note)), CUSTOM)
    assert again.availability is state.availability, (state, again)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
