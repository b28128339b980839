"""Cost of answering one ICE connectivity check: the C responder beside a plain C floor,
and the Python binding beside aioice's pure-Python STUN, all in one run on the same
requests.

    python benchmarks/kernel_stun.py [--quick]

C (benchmarks/cref/stun_loop.c): uc_ice_lite_handle against the straightforward code over
OpenSSL's one-shot HMAC() and zlib's crc32() that checks FINGERPRINT and MESSAGE-INTEGRITY
at known offsets and writes the response (no attribute walk, no USERNAME check, no pair
state: a floor, not a responder), once with HMAC() and once with an EVP_MAC context keyed
once and re-initialised per message (OpenSSL 3's recommended API). The responses are
compared byte for byte, and allocations per request are counted (HMAC() builds an EVP
context per call; EVP_MAC re-init duplicates its digest contexts; the responder's
precomputed keys allocate nothing).

Python: IceLiteResponder.handle(bytes, addr, now) against what aioice does per check
(stun.parse_message, check_message_integrity, a response Message with
XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT, bytes()).

Targets: the C responder within 1.2x of the floor and allocation-free; the binding at least
10x faster than aioice. Times are thread CPU time, best of several repetitions.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aioice import stun as aioice_stun  # noqa: E402

import uc_media  # noqa: E402
from benchmarks import _common  # noqa: E402

HERE = Path(__file__).resolve().parent
C_SOURCE = HERE / "cref" / "stun_loop.c"
C_EXTRA = (_common.ROOT / "csrc" / "stun.c", _common.ROOT / "csrc" / "ice_lite.c")
PWD = "serverpasswordserverpass"
SRC = ("192.0.2.7", 40000)


def requests(count: int) -> list[bytes]:
    out = []
    for i in range(count):
        msg = uc_media.StunMessage(uc_media.StunMethod.BINDING, uc_media.StunClass.REQUEST,
                                   i.to_bytes(4, "big") + bytes(8))
        msg.add(uc_media.StunAttr.USERNAME, b"srvU:cliU")
        msg.add_u32(uc_media.StunAttr.PRIORITY, 1853824767)
        msg.add_u64(uc_media.StunAttr.ICE_CONTROLLING, 0x1234567890 + i)
        msg.add(uc_media.StunAttr.USE_CANDIDATE)
        out.append(msg.encode(integrity_key=PWD.encode(), fingerprint=True))
    return out


def time_uc(reqs: list[bytes], repeat: int) -> tuple[float, bytes]:
    responder = uc_media.IceLiteResponder("srvU", PWD, "cliU", "clientpasswordclientpass")
    handle = responder.handle
    best = float("inf")
    out: bytes | None = b""
    for _ in range(repeat):
        start = time.thread_time()
        for i, r in enumerate(reqs):
            out = handle(r, SRC, i * 0.001)
        best = min(best, time.thread_time() - start)
    assert out is not None
    return best / len(reqs) * 1e6, out


def aioice_answer(data: bytes, key: bytes) -> bytes:
    request = aioice_stun.parse_message(data)
    if not request.check_message_integrity(key):
        raise ValueError("integrity")
    response = aioice_stun.Message(
        message_method=request.message_method,
        message_class=aioice_stun.Class.RESPONSE,
        transaction_id=request.transaction_id,
    )
    response.attributes["XOR-MAPPED-ADDRESS"] = SRC
    response.add_message_integrity(key)
    response.add_fingerprint()
    return bytes(response)


def time_aioice(reqs: list[bytes], repeat: int) -> tuple[float, bytes]:
    key = PWD.encode()
    best = float("inf")
    out = b""
    for _ in range(repeat):
        start = time.thread_time()
        for r in reqs:
            out = aioice_answer(r, key)
        best = min(best, time.thread_time() - start)
    return best / len(reqs) * 1e6, out


def run(quick: bool) -> tuple[dict, dict]:
    count = 2000 if quick else 20000
    repeat = 5 if quick else 9
    binary = _common.build_c(C_SOURCE, C_EXTRA)
    c = _common.run_c(binary, str(count), str(repeat))
    reqs = requests(count)
    uc_us, uc_out = time_uc(reqs, repeat)
    py_count = max(count // 4, 200)  # aioice is slow; fewer requests, same per-request figure
    aioice_us, aioice_out = time_aioice(reqs[:py_count], repeat)
    same_py = uc_media.StunMessage.parse(aioice_out).attributes == uc_media.StunMessage.parse(
        uc_media.IceLiteResponder("srvU", PWD, "cliU", "clientpasswordclientpass").handle(
            reqs[py_count - 1], SRC, 0.0) or b"").attributes
    figures = {
        "stun_requests": count,
        "stun_c_us_uc": c["us_uc"],
        "stun_c_us_floor_hmac": c["us_ref"],
        "stun_c_us_floor_evp_mac": c["us_evp"],
        "stun_c_ratio_uc_vs_floor_hmac": round(c["us_uc"] / c["us_ref"], 3),
        "stun_c_ratio_uc_vs_floor_evp_mac": round(c["us_uc"] / c["us_evp"], 3),
        "stun_c_allocs_per_request_uc": c["allocs_per_request_uc"],
        "stun_c_allocs_per_request_floor_hmac": c["allocs_per_request_ref"],
        "stun_c_allocs_per_request_floor_evp_mac": c["allocs_per_request_evp"],
        "stun_c_same_bytes": c["same_bytes"],
        "stun_py_us_uc": round(uc_us, 3),
        "stun_py_us_aioice": round(aioice_us, 3),
        "stun_py_speedup_uc_vs_aioice": round(aioice_us / uc_us, 2),
        "stun_py_same_attributes": same_py and len(uc_out) == 64,
    }
    targets = {
        "stun_c_uc_vs_floor": _common.target(c["us_uc"] / min(c["us_ref"], c["us_evp"]), 1.2,
                                             "<= 1.2x plain C (faster OpenSSL floor)"),
        "stun_c_allocs_per_request": _common.target(c["allocs_per_request_uc"], 0.0, "0 allocations per check"),
        "stun_py_speedup_vs_aioice": _common.target(aioice_us / uc_us, 10.0, ">= 10x aioice",
                                                    higher_is_better=True),
    }
    return figures, targets


if __name__ == "__main__":
    _common.emit(*run(_common.quick_flag()))
