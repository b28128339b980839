"""Fuzz the conference-info+xml parser (RFC 4575): raw bytes, and full, partial and
hostile (DTD, entity) documents with bytes overwritten. Whatever parses must build and
parse again to a fixed point, and fold into a full state when it is a partial update;
ConferenceInfoError and ConferenceInfoMismatch are the only exceptions allowed.

    PYTHONPATH=. python fuzz/fuzz_conference_info.py -atheris_runs=20000
"""

import sys
from pathlib import Path
from dataclasses import replace

import atheris  # type: ignore[import-untyped]

from _seeded import seeded_payload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, not an install

with atheris.instrument_imports(include=["uc_signal.conferencing"]):
    from uc_signal.conferencing import (Conference, ConferenceInfoError, ConferenceInfoMismatch,
                                        ConferenceEvents, DocState, Joiner, LobbyPolicy, MeetingPolicies,
                                        PresenterPolicy, apply, build, parse)


def _seeds() -> list[bytes]:
    conference = Conference(MeetingPolicies("sip:alice@example.test", PresenterPolicy.COMPANY,
                                            LobbyPolicy.OUTSIDE_COMPANY, True),
                            entity="sip:alice@example.test;gruu;opaque=app:conf:focus:id:ABCD2345", subject="Plan")
    conference.join(Joiner("sip:alice@example.test", "Alice", True, True), "alice-1", 0.0)
    events = ConferenceEvents(conference.snapshot())
    subscription = events.subscribe()
    seeds = [subscription.notify()]
    conference.join(Joiner("sip:carol@partner.test", "Carol", True, False), "carol-1", 1.0)
    conference.join(Joiner("tel:+14255550123", "Dave", via_pstn=True), "dave-1", 1.0)
    conference.mute("sip:alice@example.test", "tel:+14255550123", 2.0)
    conference.talkers(["sip:alice@example.test"], 2.0)
    events.publish(conference.snapshot())
    seeds.append(subscription.notify())
    conference.leave("tel:+14255550123", "dave-1", 3.0)
    events.publish(conference.snapshot())
    seeds.append(subscription.notify())
    seeds.append(b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                 b'<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="x" version="1">'
                 b'&b;</conference-info>')
    return [seed for seed in seeds if seed is not None]


SEEDS = _seeds()
FULL = parse(SEEDS[0])


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    document = seeded_payload(fdp, SEEDS, raw_one_in=8)
    try:
        info = parse(document)
    except ConferenceInfoError:
        return
    again = parse(build(info))
    assert parse(build(again)) == again
    if info.state is DocState.PARTIAL:
        try:
            apply(replace(FULL, entity=info.entity, version=info.version - 1), info)
        except ConferenceInfoMismatch:
            pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
