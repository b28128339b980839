"""Every fuzz harness imports the code it fuzzes inside `atheris.instrument_imports()`.

atheris instruments a module only when it is first imported inside that block; a module
some earlier import already loaded (tests/corpus.py, say, imports uc_signal.sip) stays
uninstrumented, and libFuzzer runs blind: no `cov:` in its status lines and "Is the code
instrumented for coverage?". Each harness runs in its own interpreter up to the moment it
enters the block (nothing of the harness after that runs: no engine, no socket), and the
test names any module of the block's packages that was already loaded by then.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HARNESSES = sorted((REPO / "fuzz").glob("fuzz_*.py"))

# Runs one harness as a module (not __main__) with atheris.instrument_imports replaced by a
# probe that reports what was loaded before the block and stops the harness there.
PROBE = r"""
import json, runpy, sys
import atheris

class Entered(Exception):
    pass

def probe(include=None, exclude=None, enable_loader_override=True):
    packages = sorted({name.split(".")[0] for name in include or ("uc_signal", "uc_media")})
    loaded = sorted(name for name in sys.modules if name.split(".")[0] in packages)
    print(json.dumps({"packages": packages, "loaded": loaded}))
    raise Entered

atheris.instrument_imports = probe
sys.path[:0] = [sys.argv[2], sys.argv[3]]
try:
    runpy.run_path(sys.argv[1], run_name="instrumentation_probe")
except Entered:
    sys.exit(0)
sys.exit("the harness never entered atheris.instrument_imports()")
"""


def test_there_are_harnesses() -> None:
    assert len(HARNESSES) >= 10


@pytest.mark.parametrize("harness", HARNESSES, ids=lambda p: p.stem)
def test_code_under_test_is_first_imported_inside_the_instrumented_block(harness: Path) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, str(harness), str(REPO / "fuzz"), str(REPO)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["loaded"] == [], (
        f"{harness.name} imports {report['loaded']} before atheris.instrument_imports(): "
        "those modules get no coverage instrumentation")
