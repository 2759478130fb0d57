"""Moving one item of an ordered list a place up or down, as the studio's arrow buttons do."""

from __future__ import annotations

from typing import Any


def move_one_place(ordered: list[Any], item: Any, step: int) -> bool:
    """Swap `item` with its neighbour before (-1) or after (+1); False at either end.

    Positions are renumbered 0..n-1 on the way, so equal positions (left by an import, say)
    cannot stall a move.
    """
    index = ordered.index(item)
    other = index + step
    if step not in (-1, 1) or not 0 <= other < len(ordered):
        return False
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, each in enumerate(ordered):
        each.position = position
    return True
