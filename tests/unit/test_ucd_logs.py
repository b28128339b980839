"""ucd's log formats: JSON lines with extra fields, text with key=value."""

from __future__ import annotations

import json
import logging

from uc_signal.ucd.logs import JsonFormatter, TextFormatter


def record(**extra: object) -> logging.LogRecord:
    item = logging.LogRecord("ucd", logging.INFO, __file__, 1, "ready on %s", ("udp",), None)
    for key, value in extra.items():
        setattr(item, key, value)
    return item


def test_json_line_has_time_level_logger_message_and_extras():
    entry = json.loads(JsonFormatter().format(record(domain="example.test", port=5060)))
    assert entry["level"] == "info"
    assert entry["logger"] == "ucd"
    assert entry["msg"] == "ready on udp"
    assert entry["domain"] == "example.test" and entry["port"] == 5060
    assert entry["ts"].endswith("Z")


def test_json_line_carries_the_exception():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys
        item = logging.LogRecord("ucd", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter().format(item))
    assert "ValueError: boom" in entry["exc"]


def test_text_line_appends_extras_as_key_value():
    line = TextFormatter().format(record(domain="example.test"))
    assert line.endswith("INFO ucd: ready on udp domain=example.test")
