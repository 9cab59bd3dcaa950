"""What announcements say: Indonesian numbers, ticket labels, counters (pure)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, strategies as st
from num2words import num2words

from display.speech import (VOCABULARY, announcement, clip_file, counter_words,
                            english_number_words, number_words, split_ticket, ticket_words,
                            vocabulary)
from support.site import ROOT


@pytest.mark.parametrize("n, words", [
    (0, "nol"), (1, "satu"), (10, "sepuluh"), (11, "sebelas"), (12, "dua belas"),
    (19, "sembilan belas"), (20, "dua puluh"), (21, "dua puluh satu"), (100, "seratus"),
    (101, "seratus satu"), (111, "seratus sebelas"), (115, "seratus lima belas"),
    (200, "dua ratus"), (999, "sembilan ratus sembilan puluh sembilan"), (1000, "seribu"),
    (1001, "seribu satu"), (2024, "dua ribu dua puluh empat"), (100000, "seratus ribu"),
    (1000000, "satu juta"),
])
def test_numbers_are_spoken_as_indonesians_say_them(n, words):
    assert " ".join(number_words(n)) == words


@given(st.integers(min_value=0, max_value=999_999))
def test_number_words_agree_with_num2words(n):
    assert " ".join(number_words(n)) == num2words(n, lang="id")


def test_every_number_clip_is_in_the_vocabulary():
    for n in list(range(0, 2100)) + [9999, 10000, 123456]:
        assert set(number_words(n)) <= set(VOCABULARY), n


@pytest.mark.parametrize("label, words", [
    ("A012", "a dua belas"),
    ("A001", "a satu"),
    ("B100", "be seratus"),
    ("4K-010", "empat ka sepuluh"),
    ("2A-012", "dua a dua belas"),
    ("3C.007", "tiga ce tujuh"),
    ("XZ015", "eks zet lima belas"),
    ("Q1000", "ki seribu"),
    ("12-5", "satu dua lima"),
    ("7", "tujuh"),
])
def test_ticket_labels_spell_the_prefix_and_say_the_number_whole(label, words):
    assert " ".join(ticket_words(label)) == words


def test_a_prefix_ending_in_a_digit_is_split_with_the_service_prefix():
    # "4K1" + "010" cannot be split without knowing the service's prefix.
    assert split_ticket("4K1010", "4K1") == ("4K1", 10)
    assert " ".join(ticket_words("4K1010", "4K1")) == "empat ka satu sepuluh"
    assert " ".join(ticket_words("4K1-010", "4K1-")) == "empat ka satu sepuluh"


def test_garbage_labels_are_spelled_not_crashed_on():
    assert ticket_words("??") == []
    assert ticket_words("A-B") == ["a", "be"]


@pytest.mark.parametrize("counter, words", [
    ("3", "tiga"), ("12", "dua belas"), ("p1", "pe satu"), ("4k1", "empat ka satu"),
    ("vip", "ve i pe"),
])
def test_counters_are_spoken_by_number_or_letters(counter, words):
    assert " ".join(counter_words(counter)) == words


def test_the_announcement_matches_the_issue_example():
    # KBBI: "antrean" in every spoken word (code and topics keep "antrian").
    assert announcement("A012", "3") == ["nomor antrean", "a", "dua", "belas", "silakan menuju",
                                         "loket", "tiga"]


@pytest.mark.parametrize("name, words", [
    ("Loket Prioritas", "loket prioritas"),
    ("Loket 12", "loket dua belas"),
    ("Loket Aduan BPJS", "loket aduan be pe je es"),
    ("Loket M-Paspor", "loket em paspor"),
    ("Loket SIM", "loket sim"),
    ("Loket 4K1", "loket empat ka satu"),
])
def test_a_counter_is_announced_by_the_name_on_its_sign(name, words):
    said = announcement("A012", "p1", name=name)
    assert " ".join(said[said.index("silakan menuju") + 1:]) == words


@pytest.mark.parametrize("ticket, counter, name, words", [
    ("A012", "3", None, "ticket number a twelve please go to counter three"),
    ("4K-010", "p1", "Priority Counter",
     "ticket number four kay ten please go to priority counter"),
    ("B115", "12", "Counter 12",
     "ticket number bee one hundred fifteen please go to counter twelve"),
])
def test_english_boards_announce_in_english(ticket, counter, name, words):
    said = announcement(ticket, counter, name=name, language="en")
    assert all(w.startswith("en:") for w in said)
    assert " ".join(w[3:] for w in said) == words


@given(st.integers(min_value=0, max_value=999_999))
def test_english_number_words_agree_with_num2words(n):
    expected = num2words(n, lang="en").replace(" and ", " ").replace("-", " ").replace(",", "")
    assert " ".join(english_number_words(n)) == expected


def test_every_clip_of_the_example_mall_is_in_its_vocabulary():
    from antrian.config import load
    from display.names import counter_label
    site = load(ROOT / "examples" / "mpp.toml")
    words = set(vocabulary(site))
    for counter in site.counters.values():
        for lang in ("id", "en"):
            name = counter_label(counter.name, counter.id, lang)
            assert set(announcement("4K-010", counter.id, name=name, language=lang)) <= words
    assert {"prioritas", "en:priority"} <= words


def test_every_announcement_uses_only_vocabulary_clips():
    for label in ["A012", "4K-010", "2A-012", "ZZ9999", "B000"]:
        for counter in ["1", "46", "p4", "99"]:
            assert set(announcement(label, counter)) <= set(VOCABULARY)


def test_clip_files_have_no_spaces():
    assert clip_file("nomor antrean") == "nomor_antrean.wav"
    assert clip_file("en:ticket number") == "en_ticket_number.wav"
    assert all(" " not in clip_file(w) for w in VOCABULARY)


def test_voice_words_cli_prints_one_clip_per_line():
    out = subprocess.run([sys.executable, "-m", "antrian.cli", "voice", "words", "A012", "3"],
                         cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["nomor antrean", "a", "dua", "belas", "silakan menuju",
                                       "loket", "tiga"]
