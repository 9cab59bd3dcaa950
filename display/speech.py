"""What an announcement says, as a list of voice-pack clip names (pure, no audio).

    >>> announcement("A012", "3")
    ['nomor antrean', 'a', 'dua', 'belas', 'silakan menuju', 'loket', 'tiga']
    >>> announcement("A012", "p1", name="Loket Prioritas")
    ['nomor antrean', 'a', 'dua', 'belas', 'silakan menuju', 'loket', 'prioritas']
    >>> announcement("A012", "3", language="en")
    ['en:ticket number', 'en:a', 'en:twelve', 'en:please go to', 'en:counter', 'en:three']
    >>> ticket_words("4K-010")
    ['empat', 'ka', 'sepuluh']

A counter is announced by its NAME, the words visitors read on its sign ("Loket Prioritas"),
not by its id ("p1"); :func:`vocabulary` lists the clips a site's names need. English boards
speak English: their clips are named ``en:<words>`` (files ``en_<words>.wav``) and made with
espeak-ng's ``en`` voice, in the same pack folder.

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
PHRASES = ["nomor antrean", "silakan menuju", "loket"]
# Clips renamed since packs were first recorded: an older pack's file still serves.
LEGACY_CLIPS = {"nomor antrean": ("nomor antrian",)}
NUMBER_CLIPS = UNITS + ["sepuluh", "sebelas", "belas", "puluh", "seratus", "ratus", "seribu",
                        "ribu", "juta"]
EN_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
            "eighteen", "nineteen"]
EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
EN_LETTERS = {
    "A": "a", "B": "bee", "C": "see", "D": "dee", "E": "ee", "F": "ef", "G": "jee",
    "H": "aitch", "I": "eye", "J": "jay", "K": "kay", "L": "el", "M": "em", "N": "en", "O": "oh",
    "P": "pee", "Q": "cue", "R": "ar", "S": "ess", "T": "tee", "U": "you", "V": "vee",
    "W": "double you", "X": "ex", "Y": "why", "Z": "zed",
}
EN_PHRASES = ["ticket number", "please go to", "counter"]
EN_NUMBER_CLIPS = EN_UNITS + EN_TENS[2:] + ["hundred", "thousand", "million"]
EN = "en:"
# Every clip a voice pack needs, in the order `antrian voice build` makes them.
VOCABULARY = (PHRASES + NUMBER_CLIPS + list(dict.fromkeys(LETTERS.values()))
              + [EN + w for w in EN_PHRASES + EN_NUMBER_CLIPS
                 + list(dict.fromkeys(EN_LETTERS.values()))])
# Words of counter names said as words, not letter by letter, although written in capitals.
SAID_AS_WORDS = {"SIM", "NIK", "SAMSAT", "DUKCAPIL", "TASPEN", "PLN", "PDAM", "BJB", "BRI"}

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


def english_number_words(n: int) -> list[str]:
    """English words for 0 <= n < 1,000,000,000: ``115`` -> one hundred fifteen."""
    if n < 0 or n >= 10**9:
        raise ValueError(f"cannot speak {n}")
    if n < 20:
        return [EN_UNITS[n]]
    if n < 100:
        tens, rest = divmod(n, 10)
        return [EN_TENS[tens]] + ([EN_UNITS[rest]] if rest else [])
    for size, word in ((10**6, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            head, rest = divmod(n, size)
            return (english_number_words(head) + [word]
                    + (english_number_words(rest) if rest else []))
    raise AssertionError(n)


def english_spell(text: str) -> list[str]:
    return [EN_UNITS[int(ch)] if ch.isdigit() else EN_LETTERS[ch]
            for ch in text.upper() if ch.isdigit() or ch in EN_LETTERS]


def name_words(name: str, language: str = "id") -> list[str]:
    """Clips for a counter's name as its sign reads: "Loket Prioritas" -> loket, prioritas;
    "Loket 12" -> loket, dua belas; "Loket Aduan BPJS" -> loket, aduan, be, pe, je, es.
    Words are lower-cased clips; numbers are whole numbers; short all-capital words (acronyms)
    are spelled, except those said as words (SIM)."""
    words: list[str] = []
    number = number_words if language == "id" else english_number_words
    letters = spell if language == "id" else english_spell
    for token in re.findall(r"[^\W_]+", name):
        if token.isdigit():
            words += number(int(token)) if len(token) < 10 else letters(token)
        elif any(ch.isdigit() for ch in token):
            words += counter_words(token) if language == "id" else english_spell(token)
        elif token.isupper() and len(token) <= 5 and token not in SAID_AS_WORDS:
            words += letters(token)
        elif token.isalpha() and token.isascii():
            words.append(token.lower())
    prefix = "" if language == "id" else EN
    return [prefix + w for w in words]


def announcement(ticket: str, counter: str, prefix: str | None = None, *,
                 name: str | None = None, language: str = "id") -> list[str]:
    """The clips of one call: "Nomor antrean, A, dua belas, silakan menuju, loket, tiga".

    :param counter: the counter's id, spoken after "loket" when no ``name`` is given.
    :param name: the counter's name as visitors read it ("Loket Prioritas"; on an English
        board its English form, "Priority Counter"); spoken from its words.
    :param language: ``id`` or ``en``.
    """
    if language == "en":
        parts = split_ticket(ticket, prefix)
        said = (english_spell(ticket) if parts is None
                else english_spell(parts[0]) + english_number_words(parts[1]))
        place = (name_words(name, "en") if name
                 else [EN + "counter"] + [EN + w for w in english_spell_counter(counter)])
        return [EN + "ticket number", *[EN + w for w in said], EN + "please go to", *place]
    place = name_words(name) if name else ["loket", *counter_words(counter)]
    return ["nomor antrean", *ticket_words(ticket, prefix), "silakan menuju", *place]


def english_spell_counter(counter: str) -> list[str]:
    words: list[str] = []
    for run in re.findall(r"\d+|[A-Za-z]", counter):
        words += (english_number_words(int(run)) if run.isdigit() and len(run) < 10
                  else english_spell(run))
    return words


def vocabulary(site=None) -> list[str]:
    """Every clip a pack needs: :data:`VOCABULARY` plus the words of the site's counter names
    in both languages (give this to ``build_pack`` so "Loket Prioritas" can be said)."""
    from display.names import counter_label
    words = list(VOCABULARY)
    for counter in (site.counters.values() if site is not None else ()):
        words += name_words(counter.name)
        words += name_words(counter_label(counter.name, counter.id, "en"), "en")
    return list(dict.fromkeys(words))


def clip_file(word: str) -> str:
    """The file name of a clip in a voice pack: ``nomor antrean`` -> ``nomor_antrean.wav``,
    ``en:ticket number`` -> ``en_ticket_number.wav``."""
    return word.replace(":", "_").replace(" ", "_").replace("/", "_") + ".wav"


def spoken_text(word: str) -> tuple[str, str]:
    """(espeak-ng voice, text) of a clip: ``en:twelve`` -> ("en", "twelve")."""
    return ("en", word[len(EN):]) if word.startswith(EN) else ("id", word)
