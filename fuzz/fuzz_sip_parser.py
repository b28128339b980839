"""Fuzz the SIP message layer: datagram parse, validate, serialize, re-parse, stream framing.

    python fuzz/fuzz_sip_parser.py -atheris_runs=20000 [corpus dirs...]

Only ParseError (FramingError is one) may escape the parser; a message that parsed must
re-parse to itself after serialising. Without a corpus argument it works in
build/fuzz/sip_parser, seeded from tests/fixtures/sip/*.sip and, when present, the
RFC 4475 corpus ($UC_SHARED_DIR or ../shared).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # tests/corpus.py

with atheris.instrument_imports():
    from uc_signal.sip import NEED_DATA, ConnectionClosed, ParseError, StreamFramer, parse_datagram, parse_message
    from uc_signal.sip.multipart import parse_multipart

# After the instrumented imports: corpus imports uc_signal.sip, and a module imported
# before instrument_imports() is not instrumented (libFuzzer then runs blind).
from corpus import rfc4475_dir  # noqa: E402


def check_message(data: bytes) -> None:
    try:
        msg = parse_datagram(data)
    except ParseError:
        return
    if msg is None:
        return
    wire = bytes(msg)
    again = parse_message(wire)
    if again != msg or bytes(again) != wire:
        raise AssertionError(f"serialize/parse not a fixed point for {data!r}")
    try:
        msg.validate()
        msg.check_required_headers()
        for name in ("via", "contact", "route", "record-route", "authorization", "www-authenticate",
                     "event", "subscription-state", "replaces", "refer-to", "supported"):
            msg.header(name)
        ct = msg.content_type
        if ct is not None and ct.type == "multipart":
            parse_multipart(msg.body, ct)
    except ParseError:
        pass


def check_stream(data: bytes, cut: int) -> None:
    framer = StreamFramer(max_head=4096, max_body=4096)
    # Two chunks (empty ones skipped: b"" means close), then the close itself.
    chunks = [chunk for chunk in (data[:cut], data[cut:]) if chunk] + [b""]
    try:
        for chunk in chunks:
            framer.receive_data(chunk)
            for _ in range(len(data) + 2):
                event = framer.next_event()
                if event is NEED_DATA or isinstance(event, ConnectionClosed):
                    break
    except ParseError:
        pass


def test_one_input(data: bytes) -> None:
    check_message(data)
    if data:
        check_stream(data, data[0] % (len(data) + 1))


def working_corpus() -> str:
    """build/fuzz/sip_parser, seeded from the fixtures and the RFC 4475 corpus (libFuzzer
    writes new inputs into its first corpus directory: never the fixtures themselves)."""
    work = ROOT / "build" / "fuzz" / "sip_parser"
    work.mkdir(parents=True, exist_ok=True)
    seeds = [*(ROOT / "tests" / "fixtures" / "sip").glob("*.sip"), *rfc4475_dir().glob("*.dat")]
    for seed in seeds:
        target = work / seed.name
        if not target.exists():
            shutil.copyfile(seed, target)
    return str(work)


if __name__ == "__main__":
    args = sys.argv[:]
    if not any(not a.startswith("-") for a in args[1:]):
        args.append(working_corpus())
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()
