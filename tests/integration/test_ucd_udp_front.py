"""ucd's C front of SIP over UDP with real sipp peers: sipp's digest REGISTER and its
INVITE / 407 / ACK / INVITE-with-credentials calls go through it (the challenges answered
in C, the ACKs to the 407s absorbed there), and /metrics counts those requests as the
Python path would; with `sip.udp_challenge_front = false` the same runs pass through
Python alone and the front's counter is not exported."""

from __future__ import annotations

import re

import pytest

from sipp_calls import register_and_call
from ucd_harness import start_ucd

pytestmark = pytest.mark.peer
# sipp answers only the first challenge and knows only MD5 (test_ucd_sipp_register.py).
MD5_ONLY = {"auth": {"algorithms": ["MD5"]}}
CALLS = 4


def metric(text: str, name: str, **labels: str) -> float | None:
    selector = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(selector) + r"\}" if labels else "") + r" (\S+)"
    found = re.search("^" + pattern + "$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


def requests_and_challenges(metrics: str) -> tuple[float | None, ...]:
    return (metric(metrics, "ucd_sip_requests_total", method="REGISTER"),
            metric(metrics, "ucd_sip_requests_total", method="INVITE"),
            metric(metrics, "ucd_sip_transactions_total", role="server", method="REGISTER", **{"class": "4xx"}),
            metric(metrics, "ucd_sip_transactions_total", role="server", method="INVITE", **{"class": "4xx"}),
            metric(metrics, "ucd_sip_transactions_total", role="server", method="INVITE", **{"class": "2xx"}))


def test_sipp_registration_and_calls_through_the_c_front(tmp_path):
    ucd = start_ucd(tmp_path, MD5_ONLY)
    try:
        register_and_call(ucd, tmp_path, CALLS)
        metrics = ucd.metrics()
        # 1 REGISTER challenged + 1 authenticated; CALLS INVITEs challenged + CALLS authenticated
        assert requests_and_challenges(metrics) == (2, 2 * CALLS, 1, CALLS, CALLS), metrics
        assert metric(metrics, "ucd_sip_udp_front_total", outcome="answered") == 1 + CALLS
        assert metric(metrics, "ucd_sip_udp_front_total", outcome="absorbed") == CALLS   # the ACKs to the 407s
        # the authenticated REGISTER verified in C and applied by the registrar (one Python call)
        assert metric(metrics, "ucd_sip_udp_front_total", outcome="registered") == 1
        assert metric(metrics, "ucd_sip_transactions_total", role="server", method="REGISTER",
                      **{"class": "2xx"}) == 1
        assert metric(metrics, "ucd_errors_total") == 0
    finally:
        assert ucd.stop() == 0, ucd.output()


def test_the_same_runs_with_the_front_off_count_the_same(tmp_path):
    ucd = start_ucd(tmp_path, {**MD5_ONLY, "sip": {"udp_challenge_front": False}})
    try:
        register_and_call(ucd, tmp_path, CALLS)
        metrics = ucd.metrics()
        assert requests_and_challenges(metrics) == (2, 2 * CALLS, 1, CALLS, CALLS), metrics
        assert metric(metrics, "ucd_sip_udp_front_total", outcome="answered") is None
        assert metric(metrics, "ucd_sip_transactions_total", role="server", method="REGISTER",
                      **{"class": "2xx"}) == 1
    finally:
        assert ucd.stop() == 0, ucd.output()
