"""Words for visitors in both of the kiosk's languages, passed where a plain string was.

    text = Said("Silakan ambil tiket Anda: A001", "Please take your ticket: A001")
    feedback.signal("ack", text)        # an LED or a terminal reads the str: the Indonesian
    in_language(text, "en")             # 'Please take your ticket: A001' (a touch screen)

A ``str`` subclass, so every feedback that knows one language (LED, terminal, logs) takes it
unchanged; only the touch screen, which has a language button, asks for the English. Language
codes are the board's and the web's: ``id`` and ``en``.
"""

from __future__ import annotations

LANGUAGES = ("id", "en")


class Said(str):
    """The Indonesian (the string itself) and its English twin ``en``."""

    en: str

    def __new__(cls, text: str, en: str | None = None) -> "Said":
        said = super().__new__(cls, text)
        said.en = text if en is None else en
        return said


def in_language(text: str, language: str) -> str:
    """``text`` in ``language``; a plain string (a text with no English) as it is."""
    return getattr(text, "en", text) if language == "en" else str(text)


def from_message(message, fallback: str) -> Said:
    """A ``{"id": ..., "en": ...}`` text of the queue's messages (a refusal's ``message``, a
    service's ``status.text``); ``fallback`` for what it lacks. Not cleaned: the caller does."""
    said = message.get("id") if isinstance(message, dict) else None
    en = message.get("en") if isinstance(message, dict) else None
    said = said if isinstance(said, str) and said else fallback
    return Said(said, en if isinstance(en, str) and en else said)
