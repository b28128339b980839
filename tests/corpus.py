"""The RFC 4475 SIP torture corpus, shared by the tests and the SIP parser's fuzz harness.

It is not copied into the repository: it lives at $UC_SHARED_DIR/corpus/rfc4475, or
<repo>/../shared/corpus/rfc4475 when UC_SHARED_DIR is unset. The helpers here never skip:
a test asserts the corpus is there (test_sip_torture.test_corpus_is_present), so a missing
corpus fails the suite instead of making the torture tests silently vanish.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

from uc_signal.sip import Request, Response

REPO = Path(__file__).resolve().parents[1]

Exchange = Callable[[bytes], list[Response]]
Retry = Callable[[bytes, Response], list[Response]]


def rfc4475_dir() -> Path:
    shared = Path(os.environ.get("UC_SHARED_DIR") or REPO.parent / "shared")
    return shared / "corpus" / "rfc4475"


def rfc4475_manifest() -> list[dict[str, str]]:
    """The rows of manifest.tsv (file, parser verdict, server_should, ...); [] when the
    corpus is missing, so that parametrised tests collect and the presence test fails."""
    path = rfc4475_dir() / "manifest.tsv"
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def rfc4475_message(name: str) -> bytes:
    """The bytes of one torture message, e.g. "wsinv.dat"."""
    return (rfc4475_dir() / name).read_bytes()


def judge_server_answer(row: dict[str, str], data: bytes, exchange: Exchange,
                        retry_with_credentials: Retry) -> str | None:
    """Send one corpus message (through `exchange`, which returns the final responses it
    drew) and compare with the manifest's `server_should`; return what went wrong, or
    None. A 401/407 the manifest does not ask for is answered once, as a UA would."""
    advice = row["server_should"]
    finals = exchange(data)
    statuses = [r.status for r in finals]
    if advice == "drop" or row["file"] in ("unreason.dat", "noreason.dat"):
        # Responses matching no transaction of ours are dropped (16.7, 18.1.2).
        return None if statuses == [] else f"expected nothing, got {statuses}"
    if len(finals) != 1:
        return f"expected one final response, got {statuses}"
    response = finals[0]
    wanted = int(advice[:3]) if advice[:3].isdigit() else None
    if response.status in (401, 407) and wanted not in (401, 407):
        finals = retry_with_credentials(data, response)
        if len(finals) != 1:
            return f"after authenticating: expected one final response, got {[r.status for r in finals]}"
        response = finals[0]
    if wanted is not None:
        if response.status != wanted:
            return f"expected {wanted}, got {response.status} {response.reason}"
        if "Unsupported" in advice and not response.headers.get("Unsupported"):
            return "420 without Unsupported"
        if "Accept" in advice and not response.headers.get("Accept"):
            return "415 without Accept"
        if wanted == 401 and not response.headers.get("WWW-Authenticate"):
            return "401 without a challenge"
        return None
    # "process normally" and its variants: an answer from normal processing (forwarded
    # and answered by the UAS, or a routing answer such as 404/403/407), never a 400 or
    # a server error; an unknown method addressed to us may get 501.
    allowed_5xx = (501,) if "501" in advice else ()
    if response.status == 400 or (response.status >= 500 and response.status not in allowed_5xx):
        return f"expected normal processing, got {response.status} {response.reason}"
    return None


def torture_uas_answer(request: Request) -> tuple[int, list[tuple[str, str]]]:
    """What the torture tests' UAS at user@example.com answers (RFC 3261 8.2.3, 21.4.7):
    the 415/406 that some corpus messages expect come from it, not from the proxy."""
    if request.method == "INVITE":
        content_type = request.content_type
        if content_type is not None and request.body and content_type.mime_type != "application/sdp":
            return 415, [("Accept", "application/sdp")]
        accept = request.headers.values("Accept")
        if accept and not any(a.split(";")[0].strip() in ("application/sdp", "application/*", "*/*") for a in accept):
            return 406, [("Accept", "application/sdp")]
        return 486, []
    if request.method in ("OPTIONS", "MESSAGE", "BYE", "INFO"):
        return 200, []
    return 501, []
