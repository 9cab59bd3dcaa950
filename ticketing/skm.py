"""The satisfaction index of PermenPANRB 14/2017 (Survei Kepuasan Masyarakat). Pure: no I/O.

    >>> r = summarise(2, [7, 6, 8, 4, 6, 8, 8, 6, 4])      # two responses, sums per element
    >>> r["index"], r["grade"]
    (79.09, 'B')

Each response rates the nine elements (unsur) on 1..4. Per element the average (NRR, nilai
rata-rata) over the responses is weighted by 0.111 (1/9 as the regulation rounds it); the
weighted averages summed are the unit's index on 1..4 (IKM unit pelayanan), times 25 the index on
25..100 (nilai konversi), which falls into a grade:

    A  88.31-100.00  Sangat baik      C  65.00-76.60  Kurang baik
    B  76.61-88.30   Baik             D  25.00-64.99  Tidak baik

Nothing is rounded until the end (exact fractions), then the index to two decimals, half up, as
the grade bands are written: 88.305 is 88.31, grade A. With the weight 0.111 a perfect survey
gives 99.90, not 100, and one of all 1s 24.98 (grade D): that is the regulation's own arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

WEIGHT = Fraction(111, 1000)       # 0.111 = 1/9 rounded, as PermenPANRB 14/2017 writes it
LOW, HIGH = 1, 4


@dataclass(frozen=True)
class Element:
    key: str
    name_id: str
    name_en: str
    question_id: str
    question_en: str
    # answers 1..4, worst first
    answers_id: tuple[str, str, str, str]
    answers_en: tuple[str, str, str, str]


# The order of the regulation's questionnaire (and of "scores" in the API). One element a
# paragraph, a field a line (an indented line continues the one above): key; name in Indonesian |
# in English; the question in Indonesian; in English; the answers 1..4, worst first, in
# Indonesian; in English.
_TABLE = """
persyaratan
Persyaratan | Requirements
Bagaimana pendapat Anda tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?
Did the requirements fit the service?
Tidak sesuai | Kurang sesuai | Sesuai | Sangat sesuai
Did not fit | Fitted poorly | Fitted | Fitted very well

prosedur
Prosedur | Procedure
Bagaimana pemahaman Anda tentang kemudahan prosedur pelayanan di unit ini?
How easy was the procedure?
Tidak mudah | Kurang mudah | Mudah | Sangat mudah
Not easy | Not very easy | Easy | Very easy

waktu
Waktu pelayanan | Time taken
Bagaimana pendapat Anda tentang kecepatan waktu dalam memberikan pelayanan?
How quick was the service?
Tidak cepat | Kurang cepat | Cepat | Sangat cepat
Not quick | Not very quick | Quick | Very quick

biaya
Biaya/tarif | Fee
Bagaimana pendapat Anda tentang kewajaran biaya/tarif dalam pelayanan?
How fair was the fee?
Sangat mahal | Cukup mahal | Murah | Gratis
Very expensive | Rather expensive | Cheap | Free

produk
Produk layanan | Product
Bagaimana pendapat Anda tentang kesesuaian produk pelayanan antara yang tercantum dalam
    standar pelayanan dengan hasil yang diberikan?
Did what you received match the published service standard?
Tidak sesuai | Kurang sesuai | Sesuai | Sangat sesuai
Did not match | Matched poorly | Matched | Matched fully

kompetensi
Kompetensi petugas | Staff competence
Bagaimana pendapat Anda tentang kompetensi/kemampuan petugas dalam pelayanan?
How competent were the staff?
Tidak kompeten | Kurang kompeten | Kompeten | Sangat kompeten
Not competent | Not very competent | Competent | Very competent

perilaku
Perilaku petugas | Staff conduct
Bagaimana pendapat Anda tentang perilaku petugas dalam pelayanan terkait kesopanan dan
    keramahan?
How polite and friendly were the staff?
Tidak sopan dan ramah | Kurang sopan dan ramah | Sopan dan ramah | Sangat sopan dan ramah
Not polite or friendly | Not very polite or friendly | Polite and friendly | Very polite and
    friendly

sarana
Sarana dan prasarana | Facilities
Bagaimana pendapat Anda tentang kualitas sarana dan prasarana?
How good were the facilities?
Buruk | Cukup | Baik | Sangat baik
Poor | Fair | Good | Very good

pengaduan
Penanganan pengaduan | Complaint handling
Bagaimana pendapat Anda tentang penanganan pengaduan pengguna layanan?
How are users' complaints handled?
Tidak ada | Ada tetapi tidak berfungsi | Berfungsi kurang maksimal | Dikelola dengan baik
There is no way to complain | There is one, but it does not work | It works, not fully |
    Well managed
"""


def _elements(table: str) -> tuple[Element, ...]:
    """The :class:`Element` of each paragraph of ``table`` (the layout above)."""
    elements = []
    for paragraph in table.strip().split("\n\n"):
        fields: list[str] = []
        for line in paragraph.splitlines():
            if line.startswith(" ") and fields:
                fields[-1] += " " + line.strip()
            else:
                fields.append(line.strip())
        key, names, question_id, question_en, answers_id, answers_en = fields
        name_id, name_en = names.split(" | ")
        elements.append(Element(key, name_id, name_en, question_id, question_en,
                                _four(answers_id), _four(answers_en)))
    return tuple(elements)


def _four(answers: str) -> tuple[str, str, str, str]:
    a, b, c, d = answers.split(" | ")
    return a, b, c, d


ELEMENTS: tuple[Element, ...] = _elements(_TABLE)
N_ELEMENTS = len(ELEMENTS)

# (lowest index of the band, grade, performance in Indonesian, in English)
GRADES = ((Decimal("88.31"), "A", "Sangat baik", "Very good"),
          (Decimal("76.61"), "B", "Baik", "Good"),
          (Decimal("65.00"), "C", "Kurang baik", "Not good"),
          # 25.00 in the regulation; but nine answers of 1 weighted 0.111 give 24.98: D as well
          (Decimal("0"), "D", "Tidak baik", "Poor"))


class BadScores(ValueError):
    """The scores are not nine whole numbers 1..4."""


def check_scores(scores: Any) -> tuple[int, ...]:
    """The nine scores as a tuple, or BadScores saying what is wrong."""
    if not isinstance(scores, (list, tuple)):
        raise BadScores(f"scores must be a list of {N_ELEMENTS} whole numbers 1-4")
    if len(scores) != N_ELEMENTS:
        raise BadScores(f"scores must hold {N_ELEMENTS} numbers (one per element), "
                        f"not {len(scores)}")
    for i, s in enumerate(scores):
        # JSON true is an int in Python; 3.0 is not a whole answer either.
        if isinstance(s, bool) or not isinstance(s, int) or not LOW <= s <= HIGH:
            raise BadScores(f"scores[{i}] ({ELEMENTS[i].key}): {s!r} is not a whole number 1-4")
    return tuple(scores)


def round2(value: Fraction | Decimal) -> Decimal:
    """Two decimals, half up (``Decimal`` of an exact fraction: no float on the way)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grade(index: Decimal | float) -> tuple[str, str, str] | None:
    """(grade, performance id, performance en) of an index on 25..100 (two decimals)."""
    value = round2(Decimal(str(index)))
    for low, letter, text_id, text_en in GRADES:
        if value >= low:
            return letter, text_id, text_en
    return None


def summarise(n: int, sums: Sequence[int]) -> dict[str, Any]:
    """The survey's result from the number of responses and each element's sum of scores.

    ``elements``: per element its average (NRR) and the weighted average (NRR × 0.111);
    ``ikm_unit``: the index on 1..4 (four decimals); ``index``: on 25..100 (two decimals);
    ``grade`` and ``performance``. With no responses every figure is None.
    """
    if len(sums) != N_ELEMENTS:
        raise ValueError(f"expected {N_ELEMENTS} sums, got {len(sums)}")
    if n <= 0:
        return {"n": 0, "elements": [{"key": e.key, "name": e.name_id, "nrr": None,
                                      "weighted": None} for e in ELEMENTS],
                "ikm_unit": None, "index": None, "grade": None, "performance": None}
    if any(not n * LOW <= s <= n * HIGH for s in sums):
        raise ValueError("a sum lies outside what n responses of 1..4 can give")
    nrr = [Fraction(s, n) for s in sums]
    weighted = [x * WEIGHT for x in nrr]
    unit = sum(weighted, Fraction(0))
    index = round2(unit * 25)
    letter, text_id, text_en = grade(index)
    return {
        "n": n,
        "elements": [{"key": e.key, "name": e.name_id, "nrr": round(float(x), 3),
                      "weighted": round(float(w), 4)}
                     for e, x, w in zip(ELEMENTS, nrr, weighted)],
        "ikm_unit": round(float(unit), 4),
        "index": float(index),
        "grade": letter,
        "performance": {"id": text_id, "en": text_en},
    }


def totals(responses: Iterable[Sequence[int]]) -> tuple[int, list[int]]:
    """(n, per-element sums) of responses given as nine scores each."""
    n, sums = 0, [0] * N_ELEMENTS
    for scores in responses:
        n += 1
        for i, s in enumerate(scores):
            sums[i] += s
    return n, sums
