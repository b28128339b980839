"""SRTP protect cost per packet: uc_media (one call per packet, and batches) beside a plain
C loop over the same libsrtp2 and beside pylibsrtp called per packet, all in one run, on
the same packets under the same key.

    python benchmarks/kernel_srtp.py [--quick]

Targets (AES_CM_128_HMAC_SHA1_80, 160 and 1200 byte payloads): uc_media's batch within
1.2x of the plain C loop; uc_media's per-packet call at least 3x faster than pylibsrtp's.

Same work for all: COUNT distinct RTP packets with sequence numbers 0..COUNT-1, protected
by a fresh outbound session per repetition (created outside the timed region), so every
protect is a first, replay-free use of its index. The C loop and protect_batch protect
pre-built buffers in place; uc_media.protect and pylibsrtp take bytes and return new bytes
(their API), which includes one copy. All implementations must produce the same bytes
(the first and last packet are compared with the C loop's). uc_media and the C loop link the
same static libsrtp2 over OpenSSL (scripts/build-libsrtp2-openssl.sh); pylibsrtp bundles its
own libsrtp over OpenSSL. The `*_binding_us` figures are the time above the C loop.

protect_batch grows each bytearray by the SRTP trailer. The C loop's buffers have room for
it, so the batch target is measured on bytearrays that have it too (`uc_batch`: allocated
with SRTP_MAX_OVERHEAD spare bytes, then trimmed to the packet, which CPython does in place);
`uc_batch_fresh` is the same call on `bytearray(packet)`, exactly the packet's size, where
CPython reallocates (and copies) each bytearray to grow it - a cost of the Python object,
largest for large packets, reported beside the target.

Times are thread CPU time (time.thread_time here, CLOCK_THREAD_CPUTIME_ID in the C loop),
best of several repetitions: on the shared 2-core machine wall time mostly measured who
else was running.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script (python benchmarks/kernel_srtp.py) or imported by media_kernels.py:
# either way measure the tree this file is in.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pylibsrtp  # noqa: E402

import uc_media  # noqa: E402
from benchmarks import _common  # noqa: E402

C_SOURCE = Path(__file__).resolve().parent / "cref" / "srtp_loop.c"
SSRC = 0x5EC0DE
PAYLOADS = (160, 1200)
BATCH = 32  # packets per protect_batch call: a typical sendmmsg vector
TARGET_SUITE = "AES_CM_128_HMAC_SHA1_80"
SUITES = {
    "AES_CM_128_HMAC_SHA1_80": ("aes_cm_80", pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80),
    "AEAD_AES_128_GCM": ("aes_gcm", pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM),
}


def packets_for(count: int, payload: int) -> list[bytes]:
    """The C loop's packets (benchmarks/cref/srtp_loop.c, build_packet)."""
    out = []
    for seq in range(count):
        header = bytes([0x80, 111, seq >> 8 & 0xFF, seq & 0xFF]) + (seq * 960 & 0xFFFFFFFF).to_bytes(4, "big")
        out.append(header + SSRC.to_bytes(4, "big") + bytes((7 * i + seq) & 0xFF for i in range(payload)))
    return out


def key_for(suite: str) -> bytes:
    return bytes(range(uc_media.srtp_key_salt_length(suite)))


def time_uc_single(suite: str, packets: list[bytes], repeat: int) -> tuple[float, list[bytes]]:
    best = float("inf")
    out: list[bytes] = []
    for _ in range(repeat):
        protect = uc_media.SrtpSession(suite, key_for(suite), "outbound").protect
        start = _common.time.thread_time()
        out = [protect(p) for p in packets]
        best = min(best, _common.time.thread_time() - start)
    return best / len(packets) * 1e6, out


def with_room(packet: bytes) -> bytearray:
    """A bytearray holding packet with SRTP_MAX_OVERHEAD bytes of spare capacity: trimming
    by less than half keeps CPython's allocation, so growing it back does not reallocate."""
    buf = bytearray(len(packet) + uc_media.SRTP_MAX_OVERHEAD)
    buf[: len(packet)] = packet
    del buf[len(packet) :]
    return buf


def time_uc_batch(suite: str, packets: list[bytes], repeat: int, room: bool) -> tuple[float, list[bytearray]]:
    best = float("inf")
    work: list[bytearray] = []
    make = with_room if room else bytearray
    for _ in range(repeat):
        session = uc_media.SrtpSession(suite, key_for(suite), "outbound")
        work = [make(p) for p in packets]  # fresh plaintext, untimed (as in C)
        chunks = [work[i : i + BATCH] for i in range(0, len(work), BATCH)]
        protect_batch = session.protect_batch
        start = _common.time.thread_time()
        for chunk in chunks:
            protect_batch(chunk)
        best = min(best, _common.time.thread_time() - start)
    return best / len(packets) * 1e6, work


def time_pylibsrtp(suite: str, packets: list[bytes], repeat: int) -> tuple[float, list[bytes]]:
    best = float("inf")
    out: list[bytes] = []
    profile = SUITES[suite][1]
    for _ in range(repeat):
        policy = pylibsrtp.Policy(key=key_for(suite), ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND, srtp_profile=profile)
        protect = pylibsrtp.Session(policy).protect
        start = _common.time.thread_time()
        out = [protect(p) for p in packets]
        best = min(best, _common.time.thread_time() - start)
    return best / len(packets) * 1e6, out


def run(quick: bool) -> tuple[dict, dict]:
    count = 2000 if quick else 20000
    repeat = 5 if quick else 9
    binary = _common.build_c(C_SOURCE)
    figures: dict = {"srtp_packets": count, "srtp_batch": BATCH}
    targets: dict = {}
    for suite, (short, _) in SUITES.items():
        c_ref = _common.run_c(binary, suite, str(count), str(repeat), *map(str, PAYLOADS))
        figures["srtp_libsrtp_version"] = c_ref["version"]
        for payload in PAYLOADS:
            packets = packets_for(count, payload)
            c = c_ref["sizes"][str(payload)]
            single_us, single_out = time_uc_single(suite, packets, repeat)
            batch_us, batch_out = time_uc_batch(suite, packets, repeat, room=True)
            fresh_us, fresh_out = time_uc_batch(suite, packets, repeat, room=False)
            py_us, py_out = time_pylibsrtp(suite, packets, repeat)
            same = all(
                out[0].hex() == c["first"] and out[-1].hex() == c["last"] for out in (single_out, batch_out, fresh_out, py_out)
            )
            name = f"srtp_{short}_{payload}"
            figures.update({
                f"{name}_same_bytes_all": same,
                f"{name}_us_c": round(c["us"], 3),
                f"{name}_us_uc_batch": round(batch_us, 3),
                f"{name}_us_uc_batch_fresh": round(fresh_us, 3),
                f"{name}_us_uc_single": round(single_us, 3),
                f"{name}_us_pylibsrtp": round(py_us, 3),
                f"{name}_ratio_uc_batch_vs_c": round(batch_us / c["us"], 3),
                f"{name}_ratio_uc_batch_fresh_vs_c": round(fresh_us / c["us"], 3),
                f"{name}_ratio_uc_single_vs_c": round(single_us / c["us"], 3),
                f"{name}_speedup_uc_single_vs_pylibsrtp": round(py_us / single_us, 3),
                f"{name}_speedup_uc_batch_vs_pylibsrtp": round(py_us / batch_us, 3),
                # the ceiling for any binding of this libsrtp: no time above the C loop at all
                f"{name}_speedup_c_vs_pylibsrtp": round(py_us / c["us"], 3),
                f"{name}_uc_batch_binding_us": round(batch_us - c["us"], 3),
                f"{name}_uc_single_binding_us": round(single_us - c["us"], 3),
            })
            if suite == TARGET_SUITE:
                targets[f"{name}_uc_batch_vs_c"] = _common.target(batch_us / c["us"], 1.2, "<= 1.2x plain C")
                targets[f"{name}_uc_single_speedup_vs_pylibsrtp"] = _common.target(
                    py_us / single_us, 3.0, ">= 3x pylibsrtp", higher_is_better=True
                )
    return figures, targets


if __name__ == "__main__":
    _common.emit(*run(_common.quick_flag()))
