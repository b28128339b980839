"""ucd starts, reports the engine it links, and stops cleanly on SIGTERM."""

import signal
import subprocess
import sys
import time


def test_ucd_starts_logs_capabilities_and_stops_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "uc_signal.daemon"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines = []
    deadline = time.monotonic() + 20
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "ready" in line or not line:
            break
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    text = "".join(lines) + out
    assert proc.returncode == 0, text
    assert "opus libopus 1." in text
    assert "srtp libsrtp2 2." in text
    assert "stopped" in text


def test_ucd_version_names_linked_libraries():
    out = subprocess.run([sys.executable, "-m", "uc_signal.daemon", "--version"],
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("ucd 0.1.0")
    assert "opus: libopus" in out
