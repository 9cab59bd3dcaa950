"""Text measured without a screen: widths, the largest size that fits, two-line wrapping, and
colour contrast (pure).

    text_width("A012", 100, "bold")                      # 280.0 px, estimated
    wrap("Pendaftaran dan Perubahan Data JKN", 700, 64, "condensed")
    contrast((245, 247, 250), (20, 52, 96))              # 11.6 (WCAG ratio)
"""

from __future__ import annotations

import functools

LINE = 1.17      # DejaVu line height in em

Color = tuple[int, int, int]

# Advance widths (em) of DejaVu Sans faces by character class: digit, upper, lower, space, other.
# Measured with pygame on the real fonts; the renderer still clips with the real metrics.
ADVANCE = {
    "regular": (0.64, 0.68, 0.58, 0.32, 0.45),
    "bold": (0.70, 0.76, 0.66, 0.35, 0.50),
    "condensed": (0.57, 0.61, 0.51, 0.29, 0.40),
    "condensed-bold": (0.63, 0.68, 0.58, 0.31, 0.45),
}
WIDE = 1.0       # em: a character outside the Latin classes (CJK, emoji) is counted this wide


def text_width(text: str, px: float, face: str = "regular") -> float:
    return _em(text, face) * px


@functools.lru_cache(maxsize=8192)
def _em(text: str, face: str) -> float:
    """Width in em (cached: a board measures the same names on every layout)."""
    digit, upper, lower, space, other = ADVANCE[face]
    total = 0.0
    for ch in text:
        if ord(ch) > 0x24F and not ch.isspace():
            total += WIDE
            continue
        total += (digit if ch.isdigit() else upper if ch.isupper() else lower if ch.islower()
                  else space if ch == " " else other)
    return total


def box_width(text: str, px: float, face: str, height: float) -> float:
    """A cell width that holds ``text`` with the renderer's side padding (height / 8) and a
    margin for the estimate."""
    return text_width(text, px, face) * 1.08 + height / 4 + 2


def fit_px(text: str, width: float, height: float, face: str, largest: float) -> int:
    """The largest font size (<= ``largest``) at which ``text`` fits the box."""
    px = min(largest, height / LINE)
    need = text_width(text or " ", 1.0, face)
    if need > 0:
        px = min(px, width * 0.94 / need)
    return max(1, int(px))


def split_two(text: str, face: str) -> tuple[str, str] | None:
    """The split at a space that makes the longer of two lines shortest (None: one word)."""
    words = text.split(" ")
    if len(words) < 2:
        return None
    best = None
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        widest = max(text_width(a, 1, face), text_width(b, 1, face))
        if best is None or widest < best[0]:
            best = (widest, a, b)
    return best[1], best[2]


def wrap(text: str, width: float, px: float, face: str, max_lines: int = 3) -> list[str]:
    """``text`` in lines that fit ``width`` at ``px``: one when it fits, else two balanced
    lines, else as many as it takes up to ``max_lines`` (the renderer shortens a last line
    that still does not fit with an ellipsis)."""
    return list(_wrap(text, width, px, face, max_lines))


@functools.lru_cache(maxsize=4096)
def _wrap(text: str, width: float, px: float, face: str, max_lines: int) -> tuple[str, ...]:
    def fits(line: str) -> bool:
        return text_width(line, px, face) * 1.08 + px * 0.5 <= width
    if fits(text):
        return (text,)
    two = split_two(text, face)
    if two is None:
        return (text,)
    if all(fits(line) for line in two) or max_lines < 3:
        return two
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines) < max_lines and fits(f"{lines[-1]} {word}"):
            lines[-1] += f" {word}"
        elif lines and len(lines) == max_lines:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return tuple(lines)


def _channel(v: int) -> float:
    v = v / 255
    return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4


def luminance(color: Color) -> float:
    r, g, b = (_channel(v) for v in color[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: Color, bg: Color) -> float:
    """The WCAG 2 contrast ratio (1..21); text needs 4.5, large text 3."""
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def fit_lines(text: str, w: float, h: float, face: str, largest: float) -> tuple[list[str], int]:
    """One line, or two when two lines let the text be larger: (lines, px)."""
    one = fit_px(text, w, h, face, largest)
    two = split_two(text, face) if one < largest else None
    if two:
        px = min(fit_px(line, w, h / 2, face, largest) for line in two)
        if px > one * 1.1:
            return list(two), px
    return [text], one


def pack_pages(sizes: list[int], room: int) -> list[tuple[int, int]]:
    """Blocks of ``sizes`` lines packed in order into pages of ``room`` lines."""
    pages, start, used = [], 0, 0
    for i, size in enumerate(sizes):
        if used and used + size > room:
            pages.append((start, i))
            start, used = i, 0
        used += size
    pages.append((start, len(sizes)))
    return pages
