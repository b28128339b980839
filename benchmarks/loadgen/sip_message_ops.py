"""One SIP message operation repeated on one captured message: for instruction counts of
the message core (parse, validate, typed access, make_response, serialise) per message.

    python benchmarks/loadgen/sip_message_ops.py FIXTURE N OP

FIXTURE: a file of tests/fixtures/sip/ (linphone_register_auth.sip, baresip_invite.sip,
linphone_message.sip...); OP: `parse` (parse_message), `validate` (parse_message then
validate()), `full` (parse, validate(), check_required_headers(), the Via/From/To/CSeq/
Call-ID/Contact accessors, make_response(200, to_tag=...) and bytes() of it). Prints the
main thread's CPU per operation. Instructions per operation, as the difference of two run
lengths (start-up cancels out):

    ir() { valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
             python benchmarks/loadgen/sip_message_ops.py "$@" 2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,; }
    echo $(( ($(ir linphone_register_auth.sip 3000 full) - $(ir linphone_register_auth.sip 1000 full)) / 2000 ))
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from typing import Callable  # noqa: E402

from uc_signal.sip.message import Request, make_response, parse_message  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "sip"


def operation(data: bytes, op: str) -> Callable[[], object]:
    def parse() -> object:
        return parse_message(data)

    def validate() -> object:
        return parse_message(data).validate()

    def full() -> object:
        msg = parse_message(data)
        assert isinstance(msg, Request)
        msg.validate()
        msg.check_required_headers()
        msg.top_via, msg.from_, msg.to, msg.cseq, msg.call_id, msg.contact
        return bytes(make_response(msg, 200, to_tag="abc"))

    return {"parse": parse, "validate": validate, "full": full}[op]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fixture")
    parser.add_argument("n", type=int)
    parser.add_argument("op", choices=("parse", "validate", "full"))
    args = parser.parse_args()
    # Fixtures are stored with LF or CRLF line ends; SIP has CRLF.
    data = (FIXTURES / args.fixture).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    run = operation(data, args.op)
    started = time.thread_time()
    for _ in range(args.n):
        run()
    print(f"{args.op} {args.fixture}: {(time.thread_time() - started) / max(1, args.n) * 1e6:.2f} us each")
