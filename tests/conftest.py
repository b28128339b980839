"""Shared test settings."""

import os

from hypothesis import HealthCheck, settings

# CI gets more examples than a quick local run, from a fixed seed so that main stays green
# on a rerun; local runs draw fresh examples to find new failures. Neither has a deadline
# (2 shared cores).
settings.register_profile(
    "ci", max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

