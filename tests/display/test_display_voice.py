"""Voice packs and the announcer, heard through SDL's disk audio driver (what was really played)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import wave

import pygame
import pytest

from support.site import ROOT
from display.speech import VOCABULARY, announcement, clip_file
from display.voice import Announcer, VoicePack, chime_samples
from board_fakes import wait_for

pytestmark = pytest.mark.skipif(subprocess.run(["which", "espeak-ng"], capture_output=True)
                                .returncode != 0, reason="espeak-ng not installed")


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """The default pack, made by the real `antrian voice build`."""
    out = tmp_path_factory.mktemp("voice") / "pack"
    run = subprocess.run([sys.executable, "-m", "antrian.cli", "voice", "build", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return out


@pytest.fixture
def disk_audio(tmp_path, monkeypatch):
    """Route the mixer to a file; SDL writes what it plays there (8x faster than real time)."""
    out = tmp_path / "played.raw"
    pygame.mixer.quit()
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out))
    monkeypatch.setenv("SDL_DISKAUDIODELAY", "5")
    yield out
    pygame.mixer.quit()


def test_the_built_pack_has_every_clip_and_each_is_speech(pack):
    for word in VOCABULARY:
        path = pack / clip_file(word)
        with wave.open(str(path)) as w:
            seconds = w.getnframes() / w.getframerate()
        assert 0.1 < seconds < 3.0, (word, seconds)
    check = subprocess.run([sys.executable, "-m", "antrian.cli", "voice", "check", "--voice",
                            str(pack)], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0 and f"{len(VOCABULARY)}/{len(VOCABULARY)}" in check.stdout


def test_voice_check_names_the_missing_clips(pack, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "loket.wav").write_bytes((pack / "loket.wav").read_bytes())
    check = subprocess.run([sys.executable, "-m", "antrian.cli", "voice", "check", "--voice",
                            str(partial)], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert check.returncode == 1 and "missing: nomor_antrean.wav" in check.stdout
    assert "missing: loket.wav" not in check.stdout


def play_all(announcer: Announcer, timeout: float = 20.0) -> None:
    def done():
        announcer.poll(time.monotonic())
        return not announcer.queue and not announcer.busy()
    wait_for(done, timeout=timeout, interval=0.01)


def test_an_announcement_is_played_whole_chime_first(pack, disk_audio):
    a = Announcer(VoicePack(pack), volume=100)
    words = announcement("A012", "3")
    expected = a.assemble(words)
    a.say(words)
    play_all(a)
    assert a.played == 1
    pygame.mixer.quit()
    played = disk_audio.read_bytes()
    at = played.find(expected)
    assert at >= 0, "the announcement's samples are not in what the device played"
    # it starts with the chime, and the chime is really there (not silence)
    assert expected.startswith(a.chime()) and max(chime_samples()) > 10000


def test_announcements_queue_and_none_is_cut_off(pack, disk_audio):
    a = Announcer(VoicePack(pack), volume=100)
    first, second = announcement("A012", "3"), announcement("4K-010", "p1")
    raw1, raw2 = a.assemble(first), a.assemble(second)
    a.say(first)
    a.say(second)
    a.poll(time.monotonic())
    assert a.busy() and len(a.queue) == 1      # the second waits for the first
    play_all(a)
    pygame.mixer.quit()
    played = disk_audio.read_bytes()
    i1, i2 = played.find(raw1), played.find(raw2)
    assert i1 >= 0 and i2 >= i1 + len(raw1), (i1, i2)


def test_volume_scales_what_is_played(pack, disk_audio):
    a = Announcer(VoicePack(pack), volume=100)
    a.volume = 25
    a.say(["loket"])
    play_all(a)
    pygame.mixer.quit()
    import array
    played = array.array("h", disk_audio.read_bytes())
    loud = array.array("h", a.assemble(["loket"]))
    assert 0 < max(abs(v) for v in played) <= max(abs(v) for v in loud) * 0.3


def test_without_a_pack_only_the_chime_plays(disk_audio, tmp_path, caplog):
    a = Announcer(VoicePack(tmp_path / "nowhere"), volume=100)
    assert "no voice pack" in caplog.text
    assert a.assemble(announcement("A1", "1")) == a.chime() + a._silence(250) + a._silence(150)
    a.say(announcement("A1", "1"))
    play_all(a)
    pygame.mixer.quit()
    assert disk_audio.read_bytes().find(a.chime()) >= 0


def test_a_recorded_chime_in_the_pack_replaces_the_built_in_one(pack, tmp_path, disk_audio):
    import shutil
    custom = tmp_path / "custom"
    shutil.copytree(pack, custom)
    shutil.copyfile(pack / "loket.wav", custom / "chime.wav")
    a = Announcer(VoicePack(custom))
    assert a.chime() == a.clip("loket")


def test_voice_say_writes_the_announcement_as_a_wav(pack, tmp_path):
    out = tmp_path / "a.wav"
    run = subprocess.run([sys.executable, "-m", "antrian.cli", "voice", "say", "A012", "3",
                          "--voice", str(pack), "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, SDL_AUDIODRIVER="dummy"))
    assert run.returncode == 0, run.stderr
    with wave.open(str(out)) as w:
        assert w.getframerate() == 22050 and 3.0 < w.getnframes() / 22050 < 12.0


def test_english_clips_are_made_by_the_english_voice(pack):
    """`en:` clips come from espeak-ng's English voice: "twelve" is not the Indonesian "dua
    belas" clip, and every English clip is a sound of its own."""
    assert (pack / "en_twelve.wav").read_bytes() != (pack / "dua.wav").read_bytes()
    english = [w for w in VOCABULARY if w.startswith("en:")]
    assert len({(pack / clip_file(w)).read_bytes() for w in english}) == len(english)


def test_a_pack_made_before_the_kbbi_spelling_still_says_the_opening(pack, tmp_path):
    import shutil
    old = tmp_path / "old"
    shutil.copytree(pack, old)
    (old / "nomor_antrean.wav").rename(old / "nomor_antrian.wav")
    assert VoicePack(old).clip_path("nomor antrean") == old / "nomor_antrian.wav"
    assert VoicePack(old).missing(announcement("A012", "3")) == []


def test_a_counter_name_the_pack_cannot_say_is_said_by_its_id(pack, disk_audio):
    a = Announcer(VoicePack(pack), volume=100)
    named = announcement("A012", "p1", name="Loket Prioritas")     # no "prioritas" clip here
    by_id = announcement("A012", "p1")
    assert VoicePack(pack).missing(named) == ["prioritas"]
    a.say(named, fallback=by_id)
    assert a.queue[-1] == by_id
    a.say(announcement("A012", "3", name="Loket 3"), fallback=by_id)
    assert a.queue[-1] == announcement("A012", "3")    # every clip there: the name is said


def test_a_pack_built_for_the_site_says_its_counter_names(tmp_path):
    from display.speech import vocabulary
    from display.voice import build_pack
    words = ["nomor antrean", "a", "satu", "silakan menuju", "loket", "prioritas",
             "en:priority", "en:counter"]
    build_pack(tmp_path / "p", words=words)
    assert VoicePack(tmp_path / "p").missing(words) == []
    assert "prioritas" in vocabulary(__import__("antrian.config").config.load(
        ROOT / "examples" / "mpp.toml"))
