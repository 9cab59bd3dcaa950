"""Hypothesis strategies of the maintenance fuzz tests: topic levels and bad payloads."""

from __future__ import annotations

import json

from hypothesis import strategies as st

# Topic levels: anything but the separators and wildcards, and what MQTT forbids in a topic
# (control characters, surrogates, non-characters: the broker drops such a client itself).
ids = st.text(st.characters(blacklist_characters="/+#", blacklist_categories=("Cc", "Cs", "Cn")),
              min_size=1, max_size=30)
scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)


def payloads(fields: dict) -> st.SearchStrategy[bytes]:
    """Random bytes, JSON of any shape, objects with the right keys and wrong values, huge."""
    objects = st.fixed_dictionaries({}, optional={k: st.one_of(v, json_values)
                                                  for k, v in fields.items()})
    return st.one_of(
        st.binary(max_size=200),
        json_values.map(_dumps),
        objects.map(_dumps),
        st.tuples(objects, st.integers(5_000, 300_000)).map(
            lambda t: _dumps({**t[0], "pad": "x" * t[1]})),
        st.integers(70_000, 1_000_000).map(lambda n: b"\x00\xff" * (n // 2)),
    )


def _dumps(value) -> bytes:
    return json.dumps(value, allow_nan=True).encode()
