"""Two builds' steps aligned by instruction, as ``diff`` aligns lines (``difflib``).

A step that stayed is paired with itself wherever it now is, an edited line with the line it
replaced (the same instruction, RUN with RUN), and a line found on both sides at different
places is a move, not one instruction "changed" into another.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

__all__ = ["align_steps"]


def _verb(text: str | None) -> str:
    return (text or "").split(" ", 1)[0].upper()


def _align(
    old: list[Mapping[str, Any]], new: list[Mapping[str, Any]], swap: bool = False
) -> list[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]]:
    """Pairs (old step, new step) in the new build's order, then old steps with no partner.

    An edited line is paired with the line it replaced when both are the same instruction
    (RUN with RUN) and neither appears elsewhere in the other build (then it moved);
    otherwise the two are an addition and a removal.
    """
    a = [str(s.get("instruction", "")) for s in old]
    b = [str(s.get("instruction", "")) for s in new]
    pairs: list[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]] = []
    gone: list[Mapping[str, Any]] = []
    opcodes: list[tuple[str, int, int, int, int]]
    if swap:  # the same alignment problem, ties broken the other way (only "equal" matters)
        opcodes = [
            (t, j1, j2, i1, i2)
            for t, i1, i2, j1, j2 in difflib.SequenceMatcher(None, b, a, False).get_opcodes()
        ]
    else:
        opcodes = list(difflib.SequenceMatcher(None, a, b, False).get_opcodes())
    for tag, i1, i2, j1, j2 in opcodes:
        olds, news = list(old[i1:i2]), list(new[j1:j2])
        if tag == "equal":
            pairs += list(zip(olds, news))
            continue
        for o, n in zip(olds, news):
            ot, nt = str(o.get("instruction", "")), str(n.get("instruction", ""))
            # a line that exists on the other side too is a move, not this line's edit
            if _verb(ot) == _verb(nt) and ot not in b and nt not in a:
                pairs.append((o, n))
            else:
                pairs.append((None, n))
                gone.append(o)
        pairs += [(None, n) for n in news[len(olds) :]]
        gone += olds[len(news) :]
    return pairs + [(o, None) for o in gone]


def _moved(pairs: list[tuple[Any, Any]]) -> dict[int, Mapping[str, Any]]:
    """New steps (by id()) whose exact instruction was removed from another place: moves."""
    removed: dict[str, list[Mapping[str, Any]]] = {}
    for o, n in pairs:
        if n is None and o is not None:
            removed.setdefault(str(o.get("instruction")), []).append(o)
    out: dict[int, Mapping[str, Any]] = {}
    for o, n in pairs:
        if o is None and n is not None and removed.get(str(n.get("instruction"))):
            out[id(n)] = removed[str(n.get("instruction"))].pop(0)
    return out


def align_steps(
    old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]
) -> tuple[list[tuple[Any, Any]], dict[int, Mapping[str, Any]]]:
    """When two alignments are equally long (``COPY .`` moved below ``RUN npm install`` is
    also ``RUN npm install`` moved above it), take the one whose moves go down the file: a
    learner reorders to put what changes often later, and that step is the one that moved."""
    best: tuple[tuple[int, int], list[tuple[Any, Any]], dict[int, Mapping[str, Any]]] | None
    best = None
    for swap in (False, True):
        pairs = _align(old, new, swap)
        moves = _moved(pairs)
        matched = sum(1 for o, n in pairs if o is not None and n is not None)
        down = sum(
            int(n.get("index") or 0) - int(moves[id(n)].get("index") or 0)
            for _, n in pairs
            if n is not None and id(n) in moves
        )
        score = (matched + len(moves), down)
        if best is None or score > best[0]:
            best = (score, pairs, moves)
    assert best is not None
    return best[1], best[2]
