"""The RFC 4475 SIP torture corpus, shared by the tests and the SIP parser's fuzz harness.

It is not copied into the repository: it lives at $UC_SHARED_DIR/corpus/rfc4475, or
<repo>/../shared/corpus/rfc4475 when UC_SHARED_DIR is unset. The helpers here never skip:
a test asserts the corpus is there (test_sip_torture.test_corpus_is_present), so a missing
corpus fails the suite instead of making the torture tests silently vanish.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


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
