"""What ucd prints once it is ready: how to sign in (the domain, the ports, and the
ucctl command that creates a user)."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_DATA_DIR = "./var"


def _ucctl() -> str:
    script = Path(sys.executable).parent / "ucctl"
    if not script.exists():
        return "ucctl"
    try:
        relative = os.path.relpath(script)
    except ValueError:
        return str(script)
    return relative if not relative.startswith("..") else str(script)


def sign_in_banner(*, version: str, domain: str, listening: dict[str, list[tuple[str, int]]], admin_url: str,
                   data_dir: str, token_file: Path | None, ws_path: str) -> str:
    ucctl = _ucctl()
    if admin_url != DEFAULT_URL:
        ucctl += f" --url {admin_url}"
    if token_file is not None and os.path.normpath(data_dir) != os.path.normpath(DEFAULT_DATA_DIR):
        ucctl += f" --data-dir {shlex.quote(data_dir)}"
    sip_lines = []
    for transport in ("UDP", "TCP", "TLS", "WS", "WSS"):
        for host, port in listening.get(transport, []):
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            if transport in ("WS", "WSS"):
                where = f"{transport.lower()}://{where}{ws_path}"
            sip_lines.append(f"    {transport.lower():4} {where}")
    first_udp = next(iter(listening.get("UDP", []) or listening.get("TCP", [])), None)
    registrar = f"{first_udp[0]}:{first_udp[1]}" if first_udp else "(no UDP/TCP listener)"
    token = f"token in {token_file}" if token_file else "token from the configuration (http.admin_token)"
    lines = [
        f"ucd {version} is ready.",
        f"  SIP domain: {domain}",
        "  SIP listening on:",
        *sip_lines,
        f"  Admin API:  {admin_url}/api/v1 ({token}); OpenAPI at {admin_url}/api/openapi.json",
        f"  Health:     {admin_url}/healthz   Metrics: {admin_url}/metrics",
        "",
        "Create a user:",
        f"  {ucctl} user add alice --password 'choose-a-secret' --display-name 'Alice'",
        "Then sign in with a softphone (baresip, linphone; see docs/admin-guide.md):",
        f"  user alice, domain {domain}, password as above, outbound proxy/registrar {registrar}",
        f"  e.g. baresip account: <sip:alice@{domain}>;auth_pass=choose-a-secret;outbound=\"sip:{registrar}\"",
        f"List registrations: {ucctl} registrations",
        "Stop with Ctrl-C or SIGTERM.",
    ]
    return "\n".join(lines)
