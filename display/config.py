"""The boards' part of the site TOML: ``[[board]]`` tables and the ``[voice]`` table.

    >>> boards = load_boards(site)
    >>> boards["lobby"].layout
    'landscape'

A board shows some services (``services = [...]``), the services of some agencies
(``agencies = [...]``) or, with neither, every service. Voice settings come from ``[voice]`` and
may be overridden per board (``volume``, ``voice``). Every error names its key, e.g.
``board[lobby].layout: must be 'landscape' or 'portrait'``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from antrian.config import ConfigError, Site, need, need_id, tables
from antrian.sections import BOARD, VOICE

# The key names live in the one registry (antrian.sections), checked when the site is loaded.
BOARD_KEYS, VOICE_KEYS = BOARD.known, VOICE.known
LAYOUTS = ("landscape", "portrait")
LANGUAGES = ("id", "en")


@dataclass(frozen=True)
class VoiceConfig:
    """Where the voice pack is and how loud it plays."""
    enabled: bool = True
    dir: Path | None = None
    volume: int = 80
    gap_ms: int = 60


@dataclass(frozen=True)
class BoardConfig:
    """One waiting-room board: which services it shows and how."""
    id: str
    title: str
    services: tuple[str, ...]
    counters: tuple[str, ...]
    layout: str = "landscape"
    language: str = "id"
    running_text: str = ""
    rotate: int = 0
    page_seconds: float = 8.0
    flash_seconds: float = 4.0
    voice: VoiceConfig = VoiceConfig()

    @property
    def component(self) -> str:
        return f"board-{self.id}"


def default_voice_dir() -> Path | None:
    """``$XDG_DATA_HOME/antrian/voice`` (or ``~/.local/share``), else ``/var/lib/antrian/voice``,
    whichever exists first; None when neither does."""
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    for candidate in (Path(xdg) / "antrian" / "voice", Path("/var/lib/antrian/voice")):
        if candidate.is_dir():
            return candidate
    return None


def _resolve(site: Site, value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_absolute() and site.path is not None:
        path = site.path.parent / path
    return path


def _volume(table: dict, where: str, default: int) -> int:
    level = need(table, "volume", int, where, default)
    if not 0 <= level <= 100:
        raise ConfigError(f"{where}.volume: must be 0..100, got {level}")
    return level


def load_voice(site: Site) -> VoiceConfig:
    """The site-wide ``[voice]`` table (all keys optional)."""
    table = need(site.raw, "voice", dict, "voice", {})
    folder = need(table, "dir", str, "voice", None)
    gap = need(table, "gap_ms", int, "voice", 60)
    if not 0 <= gap <= 1000:
        raise ConfigError(f"voice.gap_ms: must be 0..1000, got {gap}")
    return VoiceConfig(enabled=need(table, "enabled", bool, "voice", True),
                       dir=_resolve(site, folder) if folder else default_voice_dir(),
                       volume=_volume(table, "voice", 80), gap_ms=gap)


def _seconds(table: dict, key: str, where: str, default: float, low: float, high: float) -> float:
    value = float(need(table, key, (int, float), where, default))
    if not low <= value <= high:
        raise ConfigError(f"{where}.{key}: must be between {low:g} and {high:g} s, got {value:g}")
    return value


def parse_board(site: Site, table: dict, index: int, voice: VoiceConfig) -> BoardConfig:
    bid = need_id(table, "id", f"board[{index}]")
    where = f"board[{bid}]"
    services = need(table, "services", list, where, None)
    agencies = need(table, "agencies", list, where, None)
    if services is not None and agencies is not None:
        raise ConfigError(f"{where}.agencies: give either services or agencies, not both")
    if services is not None:
        for s in services:
            if s not in site.services:
                raise ConfigError(f"{where}.services: unknown service {s!r}")
        chosen = tuple(dict.fromkeys(services))
    elif agencies is not None:
        known = site.agencies
        for a in agencies:
            if a not in known:
                raise ConfigError(f"{where}.agencies: unknown agency {a!r} (known: {', '.join(known)})")
        chosen = tuple(s.id for s in site.services.values() if s.agency in agencies)
    else:
        chosen = tuple(site.services)
    if not chosen:
        raise ConfigError(f"{where}.services: the board must show at least one service")
    layout = need(table, "layout", str, where, "landscape")
    if layout not in LAYOUTS:
        raise ConfigError(f"{where}.layout: must be 'landscape' or 'portrait', got {layout!r}")
    language = need(table, "language", str, where, "id")
    if language not in LANGUAGES:
        raise ConfigError(f"{where}.language: must be 'id' or 'en', got {language!r}")
    rotate = need(table, "rotate", int, where, 0)
    if rotate not in (0, 90, 180, 270):
        raise ConfigError(f"{where}.rotate: must be 0, 90, 180 or 270, got {rotate}")
    wanted = set(chosen)
    counters = tuple(c.id for c in site.counters.values() if wanted & set(c.services))
    board_voice = VoiceConfig(enabled=need(table, "voice", bool, where, voice.enabled),
                              dir=voice.dir, volume=_volume(table, where, voice.volume),
                              gap_ms=voice.gap_ms)
    return BoardConfig(
        id=bid, title=need(table, "title", str, where, site.title), services=chosen,
        counters=counters, layout=layout, language=language,
        running_text=need(table, "running_text", str, where, ""), rotate=rotate,
        page_seconds=_seconds(table, "page_seconds", where, 8.0, 2.0, 120.0),
        flash_seconds=_seconds(table, "flash_seconds", where, 4.0, 0.0, 30.0),
        voice=board_voice)


def load_boards(site: Site) -> dict[str, BoardConfig]:
    """Every ``[[board]]`` of the site, by id, validated."""
    voice = load_voice(site)
    boards: dict[str, BoardConfig] = {}
    for i, table in enumerate(tables(site.raw, "board")):
        board = parse_board(site, table, i, voice)
        if board.id in boards:
            raise ConfigError(f"board[{board.id}].id: duplicate board id")
        boards[board.id] = board
    return boards


def board_config(site: Site, board_id: str) -> BoardConfig:
    """The board named ``board_id``; an error lists the boards the TOML has."""
    boards = load_boards(site)
    if board_id not in boards:
        known = ", ".join(boards) or "none: add a [[board]] table"
        raise ConfigError(f"board: no board {board_id!r} (known: {known})")
    return boards[board_id]


def counter_display_config(site: Site, counter_id: str) -> BoardConfig:
    """A counter display is a board of one counter: its services, no voice by default."""
    if counter_id not in site.counters:
        raise ConfigError(f"counter: no counter {counter_id!r} (known: {', '.join(site.counters)})")
    counter = site.counters[counter_id]
    voice = load_voice(site)
    return BoardConfig(id=counter_id, title=counter.name, services=counter.services,
                       counters=(counter_id,), voice=VoiceConfig(
                           enabled=False, dir=voice.dir, volume=voice.volume, gap_ms=voice.gap_ms))
