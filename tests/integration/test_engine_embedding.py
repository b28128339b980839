"""Runs the embedder script of docs/embedding.md with two plain-Python participants."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

from engine_participant import Participant, run

DOC = Path(__file__).resolve().parents[2] / "docs" / "embedding.md"


def script_from_doc() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_embedding_script_runs_a_conference(tmp_path: Path) -> None:
    script = tmp_path / "conference.py"
    script.write_text(script_from_doc())
    assert len(script.read_text().splitlines()) <= 32
    people = [Participant(SimpleNamespace(local_port=0), f, srtp=None) for f in (440.0, 660.0)]  # type: ignore[arg-type]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}  # this checkout's uc_media, as pytest imports it
    proc = subprocess.Popen(
        [sys.executable, "-u", str(script), "4", *(str(p.address[1]) for p in people)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    lines: list[str] = []
    watchdog = threading.Timer(30, proc.kill)  # bounds the blocking reads below
    watchdog.start()
    try:
        assert proc.stdout is not None
        for _ in range(2):
            lines.append(proc.stdout.readline())  # '' at EOF if the script died
        ports = [int(line.rsplit(" ", 1)[1]) for line in lines if line.startswith("participant")]
        assert len(ports) == 2, (lines, proc.poll() is not None and proc.stderr and proc.stderr.read())
        for p, port in zip(people, ports):
            p.leg = SimpleNamespace(local_port=port)  # type: ignore[assignment]
        run(people, 100)
        out, err = proc.communicate(timeout=20)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for p in people:
            p.close()
    assert proc.returncode == 0, err
    assert "talking:" in out
    assert "participants=2" in out
    assert all(len(p.received) >= 50 for p in people)
