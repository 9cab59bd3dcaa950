"""The [[board]] and [voice] tables: defaults, choices, and errors that name the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from antrian.config import ConfigError, parse
from support.site import SMALL_SITE
from display.config import board_config, counter_display_config, load_boards, load_voice
from board_fakes import BOARDS


def site_with(extra: str, tmp_path: Path | None = None):
    text = SMALL_SITE.format(port=1883) + extra
    return parse(tomllib.loads(text), tmp_path / "site.toml" if tmp_path else None)


def test_the_example_boards_parse_with_their_choices():
    boards = load_boards(site_with(BOARDS))
    assert set(boards) == {"lobby", "capil", "en"}
    lobby, capil, en = boards["lobby"], boards["capil"], boards["en"]
    assert lobby.services == ("ktp", "kk", "skck") and lobby.counters == ("1", "2", "3")
    assert lobby.layout == "landscape" and lobby.language == "id" and lobby.title == "MPP Uji"
    assert capil.services == ("ktp", "kk") and capil.counters == ("1", "2")
    assert capil.layout == "portrait" and capil.title == "Disdukcapil"
    assert en.services == ("skck",) and en.counters == ("3",) and en.language == "en"
    assert lobby.voice.volume == 100 and lobby.component == "board-lobby"


@pytest.mark.parametrize("table, message", [
    ('layout = "sideways"', "board[x].layout: must be 'landscape' or 'portrait'"),
    ('language = "jv"', "board[x].language: must be 'id' or 'en'"),
    ('services = ["nope"]', "board[x].services: unknown service 'nope'"),
    ('agencies = ["Samsat"]', "board[x].agencies: unknown agency 'Samsat'"),
    ('services = ["ktp"]\nagencies = ["Polres"]', "board[x].agencies: give either"),
    ("volume = 120", "board[x].volume: must be 0..100"),
    ("rotate = 45", "board[x].rotate: must be 0, 90, 180 or 270"),
    ("page_seconds = 0.5", "board[x].page_seconds: must be between"),
    ('colour = "red"', "board[x]: unknown key 'colour'"),
    ('title = 5', "board[x].title: expected a string"),
    ("voice = 1", "board[x].voice: expected true/false"),
])
def test_a_wrong_board_key_is_named_in_the_error(table, message):
    with pytest.raises(ConfigError) as e:
        load_boards(site_with(f'[[board]]\nid = "x"\n{table}\n'))
    assert message in str(e.value)


def test_a_board_without_id_and_duplicates_are_refused():
    with pytest.raises(ConfigError, match=r"board\[0\]\.id: missing"):
        load_boards(site_with('[[board]]\ntitle = "t"\n'))
    with pytest.raises(ConfigError, match=r"board\[a\]\.id: duplicate"):
        load_boards(site_with('[[board]]\nid = "a"\n[[board]]\nid = "a"\n'))


def test_an_unknown_board_lists_the_known_ones():
    with pytest.raises(ConfigError, match="no board 'hall' .known: lobby, capil, en"):
        board_config(site_with(BOARDS), "hall")


def test_voice_table_defaults_and_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "none"))
    voice = load_voice(site_with(""))
    assert voice.enabled and voice.volume == 80 and voice.gap_ms == 60
    site = site_with('[voice]\ndir = "voice"\nvolume = 30\nenabled = false\n', tmp_path)
    voice = load_voice(site)
    assert voice.dir == tmp_path / "voice" and voice.volume == 30 and not voice.enabled
    with pytest.raises(ConfigError, match=r"voice: unknown key 'loud'"):
        load_voice(site_with("[voice]\nloud = true\n"))
    with pytest.raises(ConfigError, match=r"voice.volume: must be 0..100"):
        load_voice(site_with("[voice]\nvolume = -1\n"))


def test_the_default_voice_pack_is_found_under_xdg_data_home(tmp_path, monkeypatch):
    (tmp_path / "antrian" / "voice").mkdir(parents=True)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert load_voice(site_with("")).dir == tmp_path / "antrian" / "voice"


def test_board_overrides_the_site_voice_settings():
    boards = load_boards(site_with('[voice]\nvolume = 40\n[[board]]\nid = "a"\nvolume = 90\n'
                                   'voice = false\n[[board]]\nid = "b"\n'))
    assert (boards["a"].voice.volume, boards["a"].voice.enabled) == (90, False)
    assert (boards["b"].voice.volume, boards["b"].voice.enabled) == (40, True)


def test_a_counter_display_follows_its_counter_and_is_silent():
    cfg = counter_display_config(site_with(""), "1")
    assert cfg.counters == ("1",) and cfg.services == ("ktp", "kk") and not cfg.voice.enabled
    with pytest.raises(ConfigError, match="no counter '9'"):
        counter_display_config(site_with(""), "9")


def test_the_documented_example_boards_fit_the_example_site():
    from support.site import ROOT
    doc = (ROOT / "docs" / "display.md").read_text()
    block = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    raw = tomllib.loads((ROOT / "examples" / "mpp.toml").read_text())
    # (the example file may carry a copy of these tables already)
    raw = {k: v for k, v in raw.items() if k not in ("board", "voice")} | tomllib.loads(block)
    boards = load_boards(parse(raw))
    assert list(boards) == ["lobby", "capil", "passport-en"]
    assert len(boards["lobby"].services) == len(raw["service"])
    assert boards["capil"].layout == "portrait" and boards["capil"].rotate == 90
    assert set(boards["capil"].counters) >= {"1", "2", "3", "4", "5", "6", "p1"}
    assert boards["passport-en"].language == "en" and not boards["passport-en"].voice.enabled
