"""Shared test settings."""

import os

import pytest
from hypothesis import HealthCheck, settings

# CI gets more examples than a quick local run, from a fixed seed so that main stays green
# on a rerun; local runs draw fresh examples to find new failures. Neither has a deadline
# (2 shared cores).
settings.register_profile(
    "ci", max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_configure(config: pytest.Config) -> None:
    # The one real-time test of RFC 7675 consent expiry waits out the 30 s timeout.
    config.addinivalue_line("markers", "slow: waits out a real protocol timer (tens of seconds)")
