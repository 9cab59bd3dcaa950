"""The consumer side of the contract (docs/mqtt-api.md): what every board, panel, page and
console needs to read the queue's messages the same way.

    held = {}
    if supersedes(held.get(topic), state.day, state.seq, retained=message.retain):
        held[topic] = (state.day, state.seq)

One rule for freshness, so a board, the page and a panel never disagree on which state is
current.
"""

from __future__ import annotations

Stamp = tuple[str, int]      # (service day "YYYY-MM-DD", seq)


def supersedes(held: Stamp | None, day: str, seq: int, *, retained: bool = False) -> bool:
    """Whether a message stamped ``(day, seq)`` replaces the one ``held`` for its topic.

    - nothing held: it does;
    - a retained message (delivered on subscribing) does: it is what the broker holds now, even
      with a lower seq (a queue service restarted on a fresh database counts from 1 again);
    - a later service day does, an earlier one does not;
    - on the same day, a seq at least as high does (equal: the same state published again).
    """
    if held is None or retained:
        return True
    held_day, held_seq = held
    if day != held_day:
        return day > held_day
    return seq >= held_seq
