"""Sets of small integers as Python ints: bit n set means n is in the set.

An AND of two sets of 100,000 is a few microseconds in C and `bit_count()` counts one; what
costs is moving between positions and bits, which these helpers do without a Python step per
bit where they can.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from itertools import repeat

_CHUNK = 4096
_ONE = ord("1")


def bits_of(positions: Iterable[int], size: int) -> int:
    """An int with the given bits set; position `size` itself is a scratch bit, left out.

    The bits are written as '0'/'1' digits by `map` (no Python loop per bit) and read back by
    `int(digits, 2)`, which is linear for base 2.
    """
    digits = bytearray(b"0") * (size + 1)  # the last digit takes every position out of range
    deque(map(digits.__setitem__, positions, repeat(_ONE)), maxlen=0)
    del digits[size:]
    digits.reverse()
    return int(digits, 2) if size else 0


def set_bits(bits: int, skip: int, take: int) -> list[int]:
    """The positions of the set bits, lowest first, after skipping `skip` of them.

    Whole chunks are skipped by their count; the bits wanted are peeled off one chunk.
    """
    found: list[int] = []
    base = 0
    while bits and len(found) < take:
        chunk = bits & ((1 << _CHUNK) - 1)
        count = chunk.bit_count()
        if skip >= count:
            skip -= count
        else:
            while chunk and len(found) < take:
                lowest = chunk & -chunk
                if skip:
                    skip -= 1
                else:
                    found.append(base + lowest.bit_length() - 1)
                chunk ^= lowest
        bits >>= _CHUNK
        base += _CHUNK
    return found


def with_bit(bits: int, at: int, value: bool) -> int:
    return bits | (1 << at) if value else bits & ~(1 << at)


def insert_bit(bits: int, at: int, value: bool) -> int:
    """A bit put in at `at`, the higher ones moved up by one."""
    low = bits & ((1 << at) - 1)
    return low | (bits >> at << (at + 1)) | (int(value) << at)
