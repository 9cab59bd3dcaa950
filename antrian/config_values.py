"""Reading one value of the site TOML, with errors that name the key: ``broker.port: expected an
integer, got str '1883'``.

    >>> need({"port": 1883}, "port", int, "broker")
    1883

The site loader (:mod:`antrian.config`, which re-exports every name here) and each role's own
sections (``[[board]]``, ``[[panel]]``...) read their values through these, so every error reads
the same way.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
PREFIX = re.compile(r"^[A-Z0-9]{1,4}$")


class ConfigError(ValueError):
    """The site TOML is missing a key or holds a wrong value; the message names the key."""


# -- helpers shared with the roles' own sections ------------------------------------------------

def _key(where: str, key: str) -> str:
    """How an error names a key: ``broker.port``; a top-level key (``where`` is the key itself,
    as in ``need(raw, "timezone", str, "timezone")``) is named once, not ``timezone.timezone``."""
    return key if where in ("", key) else f"{where}.{key}"


def need(table: dict, key: str, kind: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
    """Read ``table[key]`` checking its type; ``where`` names the table in the error."""
    name = _key(where, key)
    if key not in table:
        if default is ...:
            raise ConfigError(f"{name}: missing")
        return default
    value = table[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # TOML booleans are ints in Python: never accept one where a number is asked.
    if isinstance(value, bool) and bool not in kinds:
        raise ConfigError(f"{name}: expected {_names(kinds)}, got a boolean")
    if not isinstance(value, kinds):
        raise ConfigError(f"{name}: expected {_names(kinds)}, got {type(value).__name__} {value!r}")
    return value


def need_id(table: dict, key: str, where: str, default: Any = ...) -> str:
    value = need(table, key, str, where, default)
    if value is not None and not ID.match(value):
        raise ConfigError(f"{_key(where, key)}: {value!r} must be lowercase letters, digits and '-'")
    return value


def need_time(table: dict, key: str, where: str, default: str = ...) -> time:
    value = need(table, key, str, where, default)
    try:
        hh, mm = value.split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise ConfigError(f"{_key(where, key)}: {value!r} is not a time HH:MM") from None


def tables(raw: dict, key: str) -> list[dict]:
    """An array of tables (``[[board]]``), checked to be one."""
    value = raw.get(key, [])
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise ConfigError(f"{key}: expected [[{key}]] tables")
    return value


def no_unknown(table: dict, known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")


def _names(kinds: tuple[type, ...]) -> str:
    return " or ".join({str: "a string", int: "an integer", float: "a number", bool: "true/false",
                        list: "a list", dict: "a table"}.get(k, k.__name__) for k in kinds)
