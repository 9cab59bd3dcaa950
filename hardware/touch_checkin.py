"""The touch kiosk's check-in screen (issue 15): a booked visitor types the booking code on an
on-screen keyboard, then the NIK's last 4 digits on a number pad, and taps Kirim.

    flow = CheckinFlow()
    flow.open(t)                                   # "Sudah pesan online? Lapor di sini"
    for ch in "ABCD2345" "0007":
        flow.press(Key(rect, "char", ch, ch), t)   # the code, then the pad's digits
    flow.press(kirim, t)                           # -> ("ABCD2345", "0007"), once: then sending
    flow.answer("ack", "Silakan ambil tiket Anda: A001", t)    # the kiosk's next feedback

The keyboard has exactly the characters of a booking code (``ticketing.booking.CODE_ALPHABET``:
no 0/O or 1/I to confuse), in a phone's QWERTY order, or in alphabetical rows where a portrait
panel has no room for QWERTY's 9 keys across (:func:`keyboard_rows`); the pad has the ten
digits. The request is the keypad's (``Kiosk.check_in``: ``kiosk/<id>/checkin``), so the answer
is what the kiosk signals next: ``ack`` (the ticket printed) or ``refused`` (unknown, too_early,
expired, used: the queue's reason; or the printer, or no broker). The layout is a pure function
of the flow's view and the screen size (:func:`checkin_layout`); keys are at least 9 mm at the
screen's DPI (:func:`target_px`). Its words are in the screen's language (hardware.touch_text;
the header's language button switches it); the kiosk's answers carry both (hardware.said).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from hardware.checkin import TIMEOUT_S
from hardware.config import DEFAULT_DPI
from hardware.said import Said, in_language
# the finger-target rule is the home screen's too
from hardware.touch_layout import Rect, header_height, language_button, target_px
from hardware.touch_text import LABELS
from ticketing.booking import CODE_ALPHABET, CODE_LEN

QWERTY = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
PAD_ROWS = ("123", "456", "789", "0")
NIK_DIGITS = 4
IDLE_S = TIMEOUT_S         # as a keypad entry: left alone this long, the screen goes home
CODE, NIK, SENDING, WAITING, DONE, ERROR = "code", "nik", "sending", "waiting", "done", "error"
BUSY_TEXT = Said(LABELS["id"]["checkin_busy"], LABELS["en"]["checkin_busy"])


def keyboard_rows(alphabet: str = CODE_ALPHABET, cols: int | None = None) -> list[str]:
    """The code's characters as keyboard rows: its digits, then QWERTY without what is missing.

    ``cols``: the most keys a row can hold. Under QWERTY's longest row (9: a portrait panel),
    the digits and then the letters in alphabetical rows of at most ``cols``, as even as their
    count allows, digits and letters never in one row: a QWERTY row wrapped would be no order
    a visitor knows."""
    digits = "".join(c for c in alphabet if c.isdigit())
    rows = ["".join(c for c in row if c in alphabet) for row in QWERTY]
    if cols is not None and cols < max(len(r) for r in rows):
        letters = "".join(sorted(c for c in alphabet if not c.isdigit()))
        return even_rows(digits, cols) + even_rows(letters, cols)
    rows = [digits] + rows
    rest = "".join(c for c in alphabet if c not in "".join(rows))    # none today: never lose one
    return [r for r in rows + [rest] if r]


def even_rows(chars: str, cols: int) -> list[str]:
    """``chars`` in as few rows of at most ``cols`` as they need, the rows as even as can be
    (24 letters in rows of 7: four of 6, not 7, 7, 7 and 3)."""
    if not chars:
        return []
    n = -(-len(chars) // max(1, cols))
    size, longer = divmod(len(chars), n)
    out, i = [], 0
    for r in range(n):
        out.append(chars[i:i + size + (r < longer)])
        i += size + (r < longer)
    return out


def key_columns(w: int, pad: int, target: int) -> int:
    """How many keys of ``target`` px (and a pad between) a row of ``w`` px holds: at least 3
    (the NIK pad's), even where they are narrower (the kiosk then warns: hardware.touch)."""
    return max(3, (w - pad) // (target + pad))


@dataclass(frozen=True)
class Key:
    rect: Rect
    kind: str                   # char | hapus | batal | kirim | ulangi | selesai | language
    label: str
    char: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class CheckinView:
    """What the screen shows; the NIK's digits themselves are not in it, only how many."""
    state: str | None
    code: str = ""
    typed: int = 0              # NIK digits typed
    text: str = ""              # the answer (done, error)


@dataclass
class CheckinLayout:
    header: Rect
    field: Rect
    message: Rect | None = None
    keys: list[Key] = field(default_factory=list)
    language: Key | None = None     # top right in the header (touch_layout.language_button)
    title: Rect | None = None       # the header's text, clear of it

    def hit(self, x: int, y: int) -> Key | None:
        for k in self.keys + ([self.language] if self.language else []):
            kx, ky, kw, kh = k.rect
            if k.enabled and kx <= x < kx + kw and ky <= y < ky + kh:
                return k
        return None


class CheckinFlow:
    """The screen's state (thread-safe: taps on the screen's thread, answers on the kiosk's)."""

    def __init__(self, *, idle_s: float = IDLE_S):
        self.idle_s = idle_s
        self.state: str | None = None
        self.code = self.nik = self.text = ""
        self.last = 0.0
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return self.state is not None

    def view(self) -> CheckinView:
        with self._lock:
            return CheckinView(self.state, self.code, len(self.nik), self.text)

    def open(self, t: float) -> None:
        with self._lock:
            self.state, self.code, self.nik, self.text, self.last = CODE, "", "", "", t

    def close(self) -> None:
        with self._lock:
            self.state, self.code, self.nik, self.text = None, "", "", ""

    def expired(self, t: float) -> bool:
        return self.state is not None and t - self.last > self.idle_s

    def press(self, key: Key, t: float) -> tuple[str, str] | None:
        """One key; the (code, NIK last 4) to send when it was Kirim with both complete. Any
        other key (the language button) only keeps the screen from going home."""
        with self._lock:
            if self.state is None:
                return None
            self.last = t
            if key.kind == "char" and key.char:
                if self.state == CODE and key.char in CODE_ALPHABET:
                    self.code += key.char
                    if len(self.code) == CODE_LEN:
                        self.state = NIK
                elif self.state == NIK and key.char.isdigit() and len(self.nik) < NIK_DIGITS:
                    self.nik += key.char
            elif key.kind == "hapus" and self.state in (CODE, NIK):
                if self.state == NIK and self.nik:
                    self.nik = self.nik[:-1]
                else:                       # past the NIK's first digit: back into the code
                    self.code, self.state = self.code[:-1], CODE
            elif key.kind == "kirim" and self.state == NIK and len(self.nik) == NIK_DIGITS:
                # the digits leave the screen with the request; a second tap finds nothing
                out, self.nik, self.state = (self.code, self.nik), "", SENDING
                return out
            elif key.kind == "ulangi" and self.state == ERROR:
                self.state = NIK if len(self.code) == CODE_LEN else CODE
                self.nik = self.text = ""
            elif key.kind in ("batal", "selesai"):
                self.state, self.code, self.nik, self.text = None, "", "", ""
            return None

    def begin(self, code: str, t: float) -> None:
        """A check-in is about to be sent (typed here, or scanned): its answer is shown."""
        with self._lock:
            self.state, self.code, self.nik, self.text, self.last = SENDING, code, "", "", t

    def sent(self, rid: str | None) -> None:
        """The kiosk's answer to sending: a take id, or None when it sent nothing. A refusal it
        signalled (no broker, printer) has already been shown; otherwise it was busy."""
        with self._lock:
            if self.state == SENDING:
                self.state, self.text = (WAITING, "") if rid else (ERROR, BUSY_TEXT)

    def refused(self, text: str, t: float) -> bool:
        """A scan the kiosk could not read while this screen is open: said here, where the
        visitor is looking (the home screen's banner is behind it). A check-in under way keeps
        waiting for its own answer."""
        with self._lock:
            if self.state is None or self.state in (SENDING, WAITING):
                return False
            self.state, self.text, self.last = ERROR, text, t
            return True

    def answer(self, kind: str, text: str, t: float) -> bool:
        """The kiosk's feedback; True when it was the answer this screen waited for."""
        with self._lock:
            if self.state not in (SENDING, WAITING) or kind not in ("ack", "refused"):
                return False
            self.state, self.text, self.last = (DONE if kind == "ack" else ERROR), text, t
            return True


def field_text(view: CheckinView, language: str = "id") -> tuple[str, str]:
    """(prompt, what is typed) for the field above the keys; the NIK's digits are dots."""
    words = LABELS[language]
    padded = view.code.ljust(CODE_LEN, "_")
    code = f"{padded[:CODE_LEN // 2]}-{padded[CODE_LEN // 2:]}"
    if view.state == CODE:
        return words["code_prompt"].format(n=CODE_LEN), code
    if view.state == NIK:
        nik = "\u2022" * view.typed + "_" * (NIK_DIGITS - view.typed)
        return words["nik_prompt"].format(n=NIK_DIGITS), f"{code}   NIK {nik}"
    return words["code"], code


def checkin_layout(view: CheckinView, size: tuple[int, int], *, dpi: float = DEFAULT_DPI,
                   language: str = "id") -> CheckinLayout:
    """Header, field and keys. The keyboard's rows hold as many keys as fit at
    :func:`target_px` (:func:`keyboard_rows`: QWERTY where its 9 fit, alphabetical rows on a
    narrower portrait panel). Its rows and one of Batal, Hapus, Kirim share what the header
    and field leave, as tall as touch.py's buttons (80 px, a ninth of the height) when the
    screen allows, and never under :func:`target_px` at ``dpi`` where the screen has the room:
    the field gives way first. The NIK pad's four rows fill the keyboard's height, so Kirim
    stays where it was. Labels in ``language``."""
    w, h = size
    words = LABELS[language]
    pad = max(8, w // 120)
    target = target_px(dpi)
    header_h = header_height(h, 10, dpi, pad)
    code_rows = keyboard_rows(cols=key_columns(w, pad, target))
    lines = max(len(code_rows), len(PAD_ROWS))
    # the keys' rows and the controls' take the field's room before their own: 9 mm, and from
    # 600 lines up touch.py's 80 px (a 480-line panel would leave the field no room for it)
    want = max(target, 80) if h >= 600 else target
    field_h = min(h * 12 // 100,
                  max(h - header_h - 2 * pad - (lines + 1) * (want + pad), h * 7 // 100))
    switch, title = language_button(w, header_h, pad, language, portrait=w < h)
    out = CheckinLayout(header=(0, 0, w, header_h), field=(pad, header_h + pad, w - 2 * pad,
                                                           field_h),
                        language=Key(switch.rect, "language", switch.label), title=title)
    top = header_h + field_h + 2 * pad
    key_h = min((h - top - pad - lines * pad) // (lines + 1), max(80, h // 9, target))
    controls_y = top + lines * (key_h + pad)
    third = (w - 4 * pad) // 3
    if view.state in (CODE, NIK):
        rows = code_rows if view.state == CODE else list(PAD_ROWS)
        cols = max(len(r) for r in rows)
        row_h = (controls_y - top) // len(rows) - pad     # fewer rows: taller keys
        key_w = min((w - (cols + 1) * pad) // cols, 2 * row_h)
        for r, row in enumerate(rows):
            x = (w - len(row) * key_w - (len(row) - 1) * pad) // 2
            y = top + r * (row_h + pad)
            for i, ch in enumerate(row):
                out.keys.append(Key((x + i * (key_w + pad), y, key_w, row_h), "char", ch, ch))
        ready = view.state == NIK and view.typed == NIK_DIGITS
        out.keys += [Key((pad, controls_y, third, key_h), "batal", words["batal"]),
                     Key((2 * pad + third, controls_y, third, key_h), "hapus", words["hapus"]),
                     Key((3 * pad + 2 * third, controls_y, third, key_h), "kirim",
                         words["kirim"], enabled=ready)]
        return out
    out.message = (pad, top, w - 2 * pad, controls_y - top - pad)
    if view.state == DONE:
        out.keys.append(Key((2 * pad + third, controls_y, third, key_h), "selesai",
                            words["selesai"]))
    elif view.state == ERROR:
        half = (w - 3 * pad) // 2
        out.keys += [Key((pad, controls_y, half, key_h), "ulangi", words["ulangi"]),
                     Key((2 * pad + half, controls_y, half, key_h), "batal", words["kembali"])]
    return out


def message_text(view: CheckinView, language: str = "id") -> tuple[str, str]:
    """(text, colour name) of the answer area."""
    if view.state in (SENDING, WAITING):
        return LABELS[language]["checking"], "info"
    return in_language(view.text, language), "ack" if view.state == DONE else "refused"


def draw(surface, view: CheckinView, lay: CheckinLayout, colours: dict,
         text: Callable[..., None], language: str = "id") -> None:
    """Draw the screen; ``text(str, rect, px, colour, align=, wrap_ok=)`` is the touch screen's."""
    import pygame
    white = (255, 255, 255)
    words = LABELS[language]
    surface.fill(colours["bg"])
    hx, hy, hw, hh = lay.title or lay.header
    pygame.draw.rect(surface, colours["header"], lay.header)
    text(words["checkin_title"], (hx, hy, hw, hh * 6 // 10), hh * 4 // 10, white)
    text(words["checkin_hint"], (hx, hy + hh * 55 // 100, hw, hh * 4 // 10), hh * 24 // 100,
         colours["detail_text"], wrap_ok=True)     # two lines rather than tiny on a portrait
    if lay.language is not None:
        pygame.draw.rect(surface, colours["nav"], lay.language.rect, border_radius=12)
        text(lay.language.label, lay.language.rect, lay.language.rect[3] * 32 // 100, white)
    prompt, typed = field_text(view, language)
    fx, fy, fw, fh = lay.field
    pygame.draw.rect(surface, white, lay.field, border_radius=12)
    pygame.draw.rect(surface, colours["header"], lay.field, width=3, border_radius=12)
    text(prompt, (fx, fy, fw, fh * 38 // 100), fh * 26 // 100, colours["heading"])
    text(typed, (fx, fy + fh * 36 // 100, fw, fh * 62 // 100), fh * 5 // 10, colours["header"])
    if lay.message is not None:
        said, kind = message_text(view, language)
        pygame.draw.rect(surface, colours[kind], lay.message, border_radius=12)
        mx, my, mw, mh = lay.message
        text(said, (mx + 16, my, mw - 32, mh), max(24, mh // 6), white, wrap_ok=True)
    for k in lay.keys:
        colour = {"char": colours["button"], "kirim": colours["ack"],
                  "batal": colours["nav"]}.get(k.kind, colours["nav"])
        pygame.draw.rect(surface, colour if k.enabled else colours["disabled"], k.rect,
                         border_radius=12)
        text(k.label, k.rect, k.rect[3] * (45 if k.kind == "char" else 32) // 100, white)
