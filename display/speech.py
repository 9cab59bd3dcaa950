"""What an announcement says, as a list of voice-pack clip names (pure, no audio).

    >>> announcement("A012", "3")
    ['nomor antrian', 'a', 'dua', 'belas', 'silakan menuju', 'loket', 'tiga']
    >>> ticket_words("4K-010")
    ['empat', 'ka', 'sepuluh']

Numbers are built from a small set of clips (``dua`` + ``belas``, ``seratus``, ``ribu``...), so a
person can record a whole voice pack in one sitting. Letters are spoken by their Indonesian names,
digits inside a ticket prefix one by one, the ticket number as a whole.
"""

from __future__ import annotations

import re

UNITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]
LETTERS = {
    "A": "a", "B": "be", "C": "ce", "D": "de", "E": "e", "F": "ef", "G": "ge", "H": "ha", "I": "i",
    "J": "je", "K": "ka", "L": "el", "M": "em", "N": "en", "O": "o", "P": "pe", "Q": "ki",
    "R": "er", "S": "es", "T": "te", "U": "u", "V": "ve", "W": "we", "X": "eks", "Y": "ye",
    "Z": "zet",
}
PHRASES = ["nomor antrian", "silakan menuju", "loket"]
NUMBER_CLIPS = UNITS + ["sepuluh", "sebelas", "belas", "puluh", "seratus", "ratus", "seribu",
                        "ribu", "juta"]
# Every clip a voice pack needs, in the order `antrian voice build` makes them.
VOCABULARY = PHRASES + NUMBER_CLIPS + list(dict.fromkeys(LETTERS.values()))

_TICKET = re.compile(r"^(?P<prefix>[A-Z0-9]*[A-Z])(?P<sep>[-.]?)(?P<num>\d+)$")
_TICKET_DIGIT_PREFIX = re.compile(r"^(?P<prefix>[A-Z0-9]+)(?P<sep>[-.])(?P<num>\d+)$")


def number_words(n: int) -> list[str]:
    """Indonesian words for 0 <= n < 1,000,000,000, one clip each.

    >>> number_words(115)
    ['seratus', 'lima', 'belas']
    """
    if n < 0 or n >= 10**9:
        raise ValueError(f"cannot speak {n}")
    if n < 10:
        return [UNITS[n]]
    if n == 10:
        return ["sepuluh"]
    if n == 11:
        return ["sebelas"]
    if n < 20:
        return [UNITS[n - 10], "belas"]
    if n < 100:
        tens, rest = divmod(n, 10)
        return [UNITS[tens], "puluh"] + (number_words(rest) if rest else [])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = ["seratus"] if hundreds == 1 else [UNITS[hundreds], "ratus"]
        return head + (number_words(rest) if rest else [])
    if n < 10**6:
        thousands, rest = divmod(n, 1000)
        head = ["seribu"] if thousands == 1 else number_words(thousands) + ["ribu"]
        return head + (number_words(rest) if rest else [])
    millions, rest = divmod(n, 10**6)
    return number_words(millions) + ["juta"] + (number_words(rest) if rest else [])


def spell(text: str) -> list[str]:
    """Letters by name and digits one by one: ``4K`` -> ``empat ka``."""
    words = []
    for ch in text.upper():
        if ch.isdigit():
            words.append(UNITS[int(ch)])
        elif ch in LETTERS:
            words.append(LETTERS[ch])
    return words


def split_ticket(label: str, prefix: str | None = None) -> tuple[str, int] | None:
    """(prefix, number) of a ticket label, or None when it is not one.

    With the service's ``prefix`` (and separator) known, a prefix ending in a digit is split
    exactly; without it, the prefix is everything up to the last letter or the separator.
    """
    label = label.strip().upper()
    if prefix:
        rest = label[len(prefix):] if label.startswith(prefix.upper()) else None
        if rest is not None:
            rest = rest.lstrip("-.")
            if rest.isdigit():
                return prefix.upper().rstrip("-."), int(rest)
    if label.isdigit():
        return "", int(label)
    match = _TICKET.match(label) or _TICKET_DIGIT_PREFIX.match(label)
    if not match:
        return None
    return match["prefix"], int(match["num"])


def ticket_words(label: str, prefix: str | None = None) -> list[str]:
    """Clips for a ticket label; an unparseable label is spelled character by character."""
    parts = split_ticket(label, prefix)
    if parts is None:
        return spell(label)
    head, number = parts
    return spell(head) + number_words(number)


def counter_words(counter: str) -> list[str]:
    """Clips for a counter id after ``loket``: ``3`` -> tiga, ``p1`` -> pe satu, ``12`` ->
    dua belas (digit runs are whole numbers, letters by name)."""
    words: list[str] = []
    for run in re.findall(r"\d+|[A-Za-z]", counter):
        if run.isdigit():
            words += number_words(int(run)) if len(run) < 10 else spell(run)
        else:
            words += spell(run)
    return words


def announcement(ticket: str, counter: str, prefix: str | None = None) -> list[str]:
    """The clips of one call: "Nomor antrian, A, dua belas, silakan menuju, loket, tiga"."""
    return ["nomor antrian", *ticket_words(ticket, prefix), "silakan menuju", "loket",
            *counter_words(counter)]


def clip_file(word: str) -> str:
    """The file name of a clip in a voice pack: ``nomor antrian`` -> ``nomor_antrian.wav``."""
    return word.replace(" ", "_") + ".wav"
