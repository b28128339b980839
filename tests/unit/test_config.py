"""ucd's configuration: defaults, and every error class naming the file and the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from uc_signal.config import Config, ConfigError, config_from_dict, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ucd.toml"
    path.write_text(text)
    return path


def test_defaults_match_the_documented_embedded_deployment():
    config = load_config(None)
    assert config == Config()
    assert config.sip.domain == "example.test"
    assert (config.sip.udp_port, config.sip.tcp_port, config.sip.tls_port, config.sip.ws_port) == (5060, 5060, 5061, 5065)
    assert (config.http.host, config.http.port) == ("127.0.0.1", 8080)
    assert config.daemon.data_dir == "./var"
    assert config.store.backend == "sqlite"
    assert config.log.format == "text"


def test_every_documented_key_exists_and_every_key_is_documented():
    doc = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    import dataclasses
    for section in dataclasses.fields(Config):
        for key in dataclasses.fields(section.default_factory()):  # type: ignore[misc]
            assert f"`{section.name}.{key.name}`" in doc, f"{section.name}.{key.name} is not documented"


def test_a_file_sets_values_and_leaves_the_rest_at_defaults(tmp_path):
    config = load_config(write(tmp_path, '[sip]\ndomain = "corp.example"\nudp_port = 5070\n'
                                         'transports = ["udp", "tcp"]\n[log]\nformat = "json"\n'))
    assert config.sip.domain == "corp.example"
    assert config.sip.udp_port == 5070
    assert config.sip.tcp_port == 5060
    assert config.sip.transports == ("udp", "tcp")
    assert config.log.format == "json"


@pytest.mark.parametrize("text, key, reason", [
    ('[sip]\nudp_port = "abc"\n', "sip.udp_port", 'must be an integer 0-65535 (0: any free port), got "abc"'),
    ('[sip]\nudp_port = 70000\n', "sip.udp_port", "must be an integer 0-65535"),
    ('[sip]\ntcp_port = true\n', "sip.tcp_port", "got true"),
    ('[sip]\ndomain = "bad domain"\n', "sip.domain", "must be a domain name"),
    ('[sip]\nlisten = ["localhost"]\n', "sip.listen", "must be an IP address"),
    ('[sip]\ntransports = ["udp", "sctp"]\n', "sip.transports", "drawn from udp, tcp, tls, ws"),
    ('[sip]\nws_path = "sip"\n', "sip.ws_path", "must be a URL path"),
    ('[sip]\nprot = 5060\n', "sip.prot", "unknown key"),
    ('[sipp]\nudp_port = 5060\n', "sipp", "unknown table"),
    ('sip = 3\n', "sip", "must be a table"),
    ('[log]\nformat = "xml"\n', "log.format", "must be one of text, json"),
    ('[log]\nlevel = "loud"\n', "log.level", "must be one of debug, info, warning, error"),
    ('[http]\nhost = "example.test"\n', "http.host", "must be an IP address"),
    ('[http]\nadmin_token = "short"\n', "http.admin_token", "at least 16"),
    ('[http]\nport = 5060\n', "http.port", "must differ from sip.tcp_port"),
    ('[store]\nbackend = "oracle"\n', "store.backend", "must be one of sqlite"),
    ('[auth]\nalgorithms = ["SHA-1"]\n', "auth.algorithms", "SHA-256, MD5"),
    ('[daemon]\nshutdown_grace = -1\n', "daemon.shutdown_grace", "positive number of seconds"),
    ('[registrar]\nmin_expires = 0\n', "registrar.min_expires", "positive integer"),
    ('[registrar]\nmin_expires = 7200\n', "registrar.min_expires", "must not exceed registrar.max_expires"),
    ('[registrar]\ndefault_expires = 10\n', "registrar.default_expires", "must lie between"),
    ('[sip]\ntls_cert = "/nonexistent.pem"\n', "sip.tls_key", "must be set together with sip.tls_cert"),
    ('[sip]\ntls_cert = "/nonexistent.pem"\ntls_key = "/nonexistent.key"\n', "sip.tls_cert", "no such file"),
    ('[sip]\ntls_port = 5060\n', "sip.tls_port", "must differ from sip.tcp_port"),
])
def test_each_error_names_the_file_the_key_and_the_reason(tmp_path, text, key, reason):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert reason in message
    assert caught.value.key == key


@pytest.mark.parametrize("text, reason", [
    ("[sip\n", "not valid TOML"),
    ("[sip]\nudp_port = \n", "not valid TOML"),
])
def test_unreadable_toml_names_the_file(tmp_path, text, reason):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: {reason}")


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")


def test_config_from_dict_reports_the_embedded_source():
    with pytest.raises(ConfigError, match="^<embedded defaults>: sip.udp_port: "):
        config_from_dict({"sip": {"udp_port": -1}})


def test_ucd_exits_non_zero_with_the_one_line_on_bad_config(tmp_path):
    path = write(tmp_path, '[sip]\nudp_port = "abc"\n')
    result = subprocess.run([sys.executable, "-m", "uc_signal.daemon", "--config", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == f'ucd: {path}: sip.udp_port: must be an integer 0-65535 (0: any free port), got "abc"\n'
    assert result.stdout == ""


def test_ucd_refuses_the_retired_focus_conferences_and_says_what_replaces_them(tmp_path):
    """`[focus] conferences` (meetings without a roster) is gone: a config that still has it
    stops ucd before it starts, naming the file and the key, and pointing to stored
    meetings; an operator who missed it would otherwise lose the conference URIs silently."""
    path = write(tmp_path, '[focus]\nconferences = ["sip:meet1@example.test"]\n')
    result = subprocess.run([sys.executable, "-m", "uc_signal.daemon", "--config", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"ucd: {path}: focus.conferences: removed: "), result.stderr
    assert "ucctl meeting add" in result.stderr and "/api/v1/meetings" in result.stderr
    with pytest.raises(ConfigError) as caught:
        config_from_dict({"focus": {"conferences": []}})     # even an empty list: the key is gone
    assert caught.value.key == "focus.conferences"


def test_ucd_check_config_accepts_a_good_file(tmp_path):
    path = write(tmp_path, '[sip]\ndomain = "corp.example"\n')
    result = subprocess.run([sys.executable, "-m", "uc_signal.daemon", "--config", str(path), "--check-config"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


from hypothesis import given, settings, strategies as st  # noqa: E402

_toml_values = st.recursive(
    st.none().map(lambda _: "x") | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4), max_leaves=8)
_tables = st.sampled_from(["daemon", "sip", "auth", "registrar", "store", "http", "log", "bogus"])
_keys = st.sampled_from(["data_dir", "shutdown_grace", "domain", "listen", "transports", "udp_port", "tcp_port",
                         "tls_port", "ws_port", "ws_path", "tls_cert", "tls_key", "max_connections", "idle_timeout",
                         "algorithms", "min_expires", "max_expires", "default_expires", "backend", "path", "host",
                         "port", "admin_token", "format", "level", "nonsense"])


def test_a_value_with_a_newline_is_reported_on_one_line():
    with pytest.raises(ConfigError) as caught:
        config_from_dict({"sip": {"udp_port": "50\n60"}}, "/etc/ucd.toml")
    assert str(caught.value) == '/etc/ucd.toml: sip.udp_port: must be an integer 0-65535 (0: any free port), got "50\\n60"'


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_tables, st.dictionaries(_keys, _toml_values, max_size=4), max_size=4))
def test_any_document_loads_or_fails_with_a_config_error_naming_the_source(document):
    try:
        config = config_from_dict(document, "/etc/ucd.toml")
    except ConfigError as error:
        assert str(error).startswith("/etc/ucd.toml: ")
        assert "\n" not in str(error)
    else:
        assert isinstance(config, Config)
