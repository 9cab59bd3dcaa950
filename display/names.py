"""Counter names as visitors read them, in the board's language (pure).

    counter_label("Loket Prioritas", "p1", "en")     # 'Priority Counter'
"""

from __future__ import annotations

# Words of counter names an English board translates ("Loket Prioritas" -> "Priority Counter").
COUNTER_WORDS_EN = {
    "prioritas": "Priority", "aduan": "Complaints", "pengaduan": "Complaints",
    "informasi": "Information", "lansia": "Elderly", "disabilitas": "Accessible",
    "difabel": "Accessible", "umum": "General", "pengambilan": "Collection",
    "pembayaran": "Payment", "konsultasi": "Consultation", "pendaftaran": "Registration",
}


def counter_label(name: str, counter_id: str, language: str) -> str:
    """The counter as visitors read it. An English board translates "Loket": "Loket 3" ->
    "Counter 3", "Loket Prioritas" -> "Priority Counter", "Loket Aduan BPJS" -> "BPJS
    Complaints Counter" (Indonesian puts the modifier after the noun, English before)."""
    if language != "en":
        return name
    words = name.split()
    if not words or words[0].lower() != "loket":
        return name
    rest = words[1:]
    if not rest:
        return "Counter"
    if len(rest) == 1 and any(ch.isdigit() for ch in rest[0]):
        return f"Counter {rest[0]}"
    english = [COUNTER_WORDS_EN.get(w.lower(), w) for w in reversed(rest)]
    return " ".join(english + ["Counter"])


def call_counter_label(site, call, language: str) -> str:
    """The counter of a call (or a shown call) as the board names it: the name the call
    carries, else the site TOML's, else "Loket <id>"."""
    known = site.counters.get(call.counter)
    name = call.counter_name or (known.name if known else f"Loket {call.counter}")
    return counter_label(name, call.counter, language)
