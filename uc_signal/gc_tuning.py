"""Cyclic garbage-collector settings for a long-running signalling process.

A server holds many young objects that outlive a collection: every UDP transaction stays
32 s after its final response (RFC 3261 17.2.2 Timer J, 17.1.2.2 Timer K) with its parsed
request and response. CPython's default thresholds (700, 10, 10) then run a collection
every few messages and a full one over the whole heap often enough that, under REGISTER
load, the collector took about a third of the process's CPU per registration (measured:
benchmarks/ucd_overhead.py, docs/benchmarks.md). Reference counting still frees every
message the moment it is dropped; the collector only finds cycles, so collecting less
often costs only the memory of cyclic garbage between collections.
"""

from __future__ import annotations

import gc

# Allocations (net of frees) between young collections: ~70x CPython's default, so a
# collection runs every few hundred messages instead of every few.
YOUNG_THRESHOLD = 50_000


def tune_for_server() -> None:
    """Call once start-up is done: move what start-up built (modules, configuration, the
    loaded bindings) out of the collector's sight (`gc.freeze`, never collected, never
    scanned again) and collect young objects less often. The older generations keep their
    thresholds, and CPython still runs a full collection only when the objects that
    survived since the last one reach a quarter of the heap."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
