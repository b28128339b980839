"""A real ucd in a subprocess on loopback with ephemeral ports, and ucctl against it.

Every wait is bounded. The daemon's stdout and stderr are read by a thread into a list,
so a test can wait for a line without blocking forever.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_WAIT = 60.0   # seconds ucd may take to print its banner on a busy machine
STOP_WAIT = 30.0

EPHEMERAL: dict[str, dict[str, Any]] = {
    "sip": {"udp_port": 0, "tcp_port": 0, "tls_port": 0, "ws_port": 0},
    "http": {"port": 0},
    "daemon": {"shutdown_grace": 2.0},
}


def toml_text(settings: dict[str, dict[str, Any]]) -> str:
    lines = []
    for table, values in settings.items():
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in values.items())
    return "\n".join(lines) + "\n"


@dataclass
class Ucd:
    proc: subprocess.Popen[str]
    data_dir: Path
    config: Path
    lines: list[str] = field(default_factory=list)
    admin_url: str = ""
    token: str = ""
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def wait_for(self, pattern: str, timeout: float = START_WAIT) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        for line in self.lines:
            if (match := regex.search(line)):
                return match
        while time.monotonic() < deadline:
            try:
                queued = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if queued is None:
                raise AssertionError(f"ucd exited ({self.proc.poll()}) before {pattern!r}:\n" + "".join(self.lines))
            if (match := regex.search(queued)):
                return match
        raise AssertionError(f"no {pattern!r} from ucd in {timeout} s:\n" + "".join(self.lines))

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.admin_url, headers={"Authorization": f"Bearer {self.token}"},
                            timeout=20.0)

    def server(self) -> dict[str, Any]:
        with self.api() as client:
            response = client.get("/api/v1/server")
            response.raise_for_status()
            return response.json()

    def sip_address(self, transport: str = "UDP") -> tuple[str, int]:
        host, port = self.server()["listening"][transport][0].rsplit(":", 1)
        return host, int(port)

    def metrics(self) -> str:
        return httpx.get(self.admin_url + "/metrics", timeout=20.0).text

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_WAIT)
            raise AssertionError("ucd did not stop within the bound:\n" + "".join(self.lines)) from None

    def output(self) -> str:
        return "".join(self.lines)

    def ucctl(self, *args: str, check: bool = True, url: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_ucctl("--url", url or self.admin_url, "--data-dir", str(self.data_dir), *args, check=check)

    def add_users(self, *usernames: str) -> None:
        """Each user added with ucctl, the password `<username>-pw`."""
        for username in usernames:
            self.ucctl("user", "add", username, "--password", f"{username}-pw")


def run_ucctl(*args: str, check: bool = True, env: dict[str, str] | None = None,
              input: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    environment.pop("UCD_ADMIN_TOKEN", None) if env is None or "UCD_ADMIN_TOKEN" not in env else None
    result = subprocess.run([sys.executable, "-m", "uc_signal.ucctl", *args], capture_output=True, text=True,
                            timeout=60, cwd=ROOT, env=environment, input=input)
    if check and result.returncode != 0:
        raise AssertionError(f"ucctl {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def ucctl_json(ucd: Ucd, *args: str) -> Any:
    return json.loads(ucd.ucctl(*args, "--json").stdout)


def start_ucd(tmp_path: Path, settings: dict[str, dict[str, Any]] | None = None, *, data_dir: Path | None = None,
              name: str = "ucd.toml") -> Ucd:
    """Start ucd with ephemeral ports, `settings` over them, its data in `data_dir`
    (default tmp_path/var)."""
    data_dir = data_dir or tmp_path / "var"
    merged = {table: dict(values) for table, values in EPHEMERAL.items()}
    merged["daemon"]["data_dir"] = str(data_dir)
    for table, values in (settings or {}).items():
        merged.setdefault(table, {}).update(values)
    config = tmp_path / name
    config.write_text(toml_text(merged))
    proc = subprocess.Popen([sys.executable, "-m", "uc_signal.daemon", "--config", str(config)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    ucd = Ucd(proc, data_dir, config)

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            ucd.lines.append(line)
            ucd._queue.put(line)
        ucd._queue.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        ucd.admin_url = ucd.wait_for(r"Admin API:\s+(http://\S+)/api/v1").group(1)
        ucd.wait_for(r"Stop with Ctrl-C")
    except AssertionError:
        ucd.stop(signal.SIGKILL)
        raise
    ucd.token = (data_dir / "admin-token").read_text().strip() if (data_dir / "admin-token").exists() else ""
    return ucd
