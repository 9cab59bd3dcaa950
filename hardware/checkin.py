"""Check-in of a booked visitor at a kiosk (issue 15): a QR code read by a USB scanner (which
types like a keyboard), or the booking code and the NIK's last 4 digits typed on the keypad.

    entry = CheckinEntry()
    entry.start(t)                       # "b" on the keypad; a scanner's first "A" also starts
    for ch in "ABCD2345" "0007":
        done = entry.feed(ch, t)         # -> ("ABCD2345", "0007") after the 12th character

A scanned QR (``ANTRIAN:BK:<code>``) completes after its 8 code characters: the code alone is
proof enough, like the slip in a visitor's hand. A typed code needs the NIK's last 4 digits too,
so a code read over someone's shoulder is not enough. The kiosk publishes
``kiosk/<id>/checkin`` ``{"code", "id", "nik_last4"?}`` and is answered like a take (a ``ticket``
event with the ``booking`` code, printed as usual) or refused on its error topic.
"""

from __future__ import annotations

from hardware.said import Said
from ticketing.booking import CODE_ALPHABET, CODE_LEN, clean_code

PREFIX = "ANTRIAN:BK:"
CANCEL = "*/"
TIMEOUT_S = 30.0          # an entry left half typed is forgotten after this long
START_KEY = "b"           # the keypad key that starts typing a code
# why an entry ended, in the kiosk's two languages (a touch screen shows the English)
NOT_A_BOOKING_QR = Said("Kode QR bukan kode pemesanan", "This QR code is not a booking code")
NOT_CODE_CHARACTERS = Said("Kode pemesanan hanya berisi huruf dan angka 2-9",
                           "A booking code has only letters and the digits 2-9")
NIK_DIGITS_ONLY = Said("Ketik 4 angka terakhir NIK", "Type the last 4 digits of the NIK")


class InvalidEntry(ValueError):
    """What was typed cannot be a booking code (the text is for the screen)."""

    def __str__(self) -> str:
        # the Said itself, not a plain copy: ``str(e)`` reaches the screen with its English
        return self.args[0] if self.args and isinstance(self.args[0], str) else super().__str__()


class CheckinEntry:
    """Characters from a keypad or a scanner, gathered into a check-in (pure: time passed in)."""

    def __init__(self, *, timeout_s: float = TIMEOUT_S):
        self.timeout_s = timeout_s
        self.buffer = ""
        self.active = False
        self.last = 0.0

    def start(self, t: float) -> None:
        self.buffer, self.active, self.last = "", True, t

    def cancel(self) -> None:
        self.buffer, self.active = "", False

    def expired(self, t: float) -> bool:
        return self.active and t - self.last > self.timeout_s

    def starts_scan(self, ch: str) -> bool:
        """Whether ``ch`` (outside an entry) is a scanner's first character."""
        return ch.upper() == PREFIX[0]

    def feed(self, ch: str, t: float) -> tuple[str, str | None] | None:
        """Add one character; the (code, NIK last 4 or None) once complete. Raises
        InvalidEntry when the characters cannot make a check-in (the entry ends)."""
        if self.expired(t):
            self.cancel()
        if not self.active:
            self.start(t)
        self.last = t
        ch = ch.upper()
        if ch in CANCEL:
            self.cancel()
            return None
        if ch.isspace() or ch == "-":
            return None
        self.buffer += ch
        if PREFIX.startswith(self.buffer) or self.buffer.startswith(PREFIX):
            if len(self.buffer) < len(PREFIX) + CODE_LEN:
                return None
            code = clean_code(self.buffer)
            self.cancel()
            if code is None:
                raise InvalidEntry(NOT_A_BOOKING_QR)
            return code, None
        if len(self.buffer) <= CODE_LEN and ch not in CODE_ALPHABET:
            self.cancel()
            raise InvalidEntry(NOT_CODE_CHARACTERS)
        if len(self.buffer) > CODE_LEN and not ch.isdigit():
            self.cancel()
            raise InvalidEntry(NIK_DIGITS_ONLY)
        if len(self.buffer) < CODE_LEN + 4:
            return None
        code, last4 = self.buffer[:CODE_LEN], self.buffer[CODE_LEN:]
        self.cancel()
        return code, last4

    @property
    def prompt(self) -> str:
        """What the screen says while typing."""
        if len(self.buffer) < CODE_LEN:
            return f"Kode pemesanan: {self.buffer}{'_' * (CODE_LEN - len(self.buffer))}"
        typed = len(self.buffer) - CODE_LEN
        return f"4 angka terakhir NIK: {'•' * typed}{'_' * (4 - typed)}"


def entry_keys(keymap: dict[str, str]) -> dict[str, str]:
    """The keys a keypad kiosk adds for check-in: every code character (as ``=<char>``) that is
    not already a service or priority key, and ``:`` for scanners."""
    extra = {}
    for ch in set(CODE_ALPHABET.lower() + "abcdefghijklmnopqrstuvwxyz0123456789:*/"):
        if ch not in keymap:
            extra[ch] = f"={ch}"
    return extra
