"""ucd starts, reports the engine it links, and stops cleanly on SIGTERM."""

import signal
import subprocess
import sys
import time


def test_ucd_starts_logs_capabilities_and_stops_on_sigterm(tmp_path):
    # Ephemeral ports and a private data dir: the defaults (5060, 8080, ./var) are for `make run`.
    config = tmp_path / "ucd.toml"
    config.write_text(f'[daemon]\ndata_dir = "{tmp_path / "var"}"\n[sip]\nudp_port = 0\ntcp_port = 0\n'
                      'tls_port = 0\nws_port = 0\n[http]\nport = 0\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "uc_signal.daemon", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines = []
    deadline = time.monotonic() + 20
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "Stop with Ctrl-C" in line or not line:
            break
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    text = "".join(lines) + out
    assert proc.returncode == 0, text
    assert "opus libopus 1." in text
    assert "srtp libsrtp2 2." in text
    assert "stopped" in text
    assert "event loop uvloop.Loop" in text   # uvloop is installed with ucd (pyproject)


def test_ucd_version_names_linked_libraries():
    out = subprocess.run([sys.executable, "-m", "uc_signal.daemon", "--version"],
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("ucd 0.1.0")
    assert "opus: libopus" in out


def test_ucd_exits_1_with_one_line_when_a_port_is_taken(tmp_path):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
        udp.bind(("127.0.0.1", 0))
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(1)
        for table, key, port, words in (("sip", "udp_port", udp.getsockname()[1], "cannot open the SIP transports"),
                                        ("http", "port", tcp.getsockname()[1], "cannot open the HTTP listeners")):
            config = tmp_path / f"{table}.toml"
            sip = {"udp_port": 0, "tcp_port": 0, "tls_port": 0, "ws_port": 0}
            http = {"port": 0}
            (sip if table == "sip" else http)[key] = port
            config.write_text(f'[daemon]\ndata_dir = "{tmp_path / "var"}"\n[sip]\n'
                              + "".join(f"{k} = {v}\n" for k, v in sip.items())
                              + "[http]\n" + "".join(f"{k} = {v}\n" for k, v in http.items()))
            result = subprocess.run([sys.executable, "-m", "uc_signal.daemon", "--config", str(config)],
                                    capture_output=True, text=True, timeout=60)
            assert result.returncode == 1, result.stderr
            last = result.stderr.strip().splitlines()[-1]
            assert last.startswith(f"ucd: {words}"), result.stderr
            assert "Address already in use" in last
            assert "Traceback" not in result.stderr
