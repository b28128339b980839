"""Tags and branches from the buffered random source (uc_signal.sip.random_tokens)."""

from __future__ import annotations

import os

from uc_signal.sip import random_tokens
from uc_signal.sip.random_tokens import token_hex


def test_tokens_are_hex_of_the_asked_length_and_distinct_across_refills() -> None:
    tokens = [token_hex(6) for _ in range(3 * random_tokens._REFILL // 6)]  # several refills
    assert all(len(t) == 12 and int(t, 16) >= 0 and t == t.lower() for t in tokens)
    assert len(set(tokens)) == len(tokens)  # 48 random bits each: a repeat would be a bug
    assert len(token_hex(4)) == 8
    assert len(token_hex(random_tokens._REFILL + 10)) == 2 * (random_tokens._REFILL + 10)


def test_a_forked_child_draws_fresh_octets() -> None:
    token_hex(6)  # the parent holds a partly used buffer
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next token and leave at once
        os.write(write, token_hex(6).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    os.close(read)
    assert len(child) == 12 and child != token_hex(6)
