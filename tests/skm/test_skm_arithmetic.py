"""The SKM arithmetic of PermenPANRB 14/2017 against numbers worked out by hand."""

from __future__ import annotations

import pytest

from ticketing.skm import ELEMENTS, BadScores, check_scores, grade, summarise, totals

# Five visitors rate the nine elements (U1 persyaratan ... U9 penanganan pengaduan).
RESPONSES = [
    (4, 4, 3, 4, 3, 4, 4, 3, 2),
    (3, 3, 3, 4, 3, 3, 4, 3, 3),
    (4, 3, 2, 4, 4, 4, 4, 4, 3),
    (3, 4, 3, 4, 3, 4, 3, 3, 2),
    (4, 3, 3, 4, 3, 3, 4, 4, 1),
]
# By hand:
#   sums per element      U1 18  U2 17  U3 14  U4 20  U5 16  U6 18  U7 19  U8 17  U9 11
#   NRR = sum / 5         3.6    3.4    2.8    4.0    3.2    3.6    3.8    3.4    2.2
#   NRR x 0.111           0.3996 0.3774 0.3108 0.4440 0.3552 0.3996 0.4218 0.3774 0.2442
#   IKM unit = sum of the weighted averages
#            = 0.3996 + 0.3774 + 0.3108 + 0.4440 + 0.3552 + 0.3996 + 0.4218 + 0.3774 + 0.2442
#            = 3.3300   (check: the NRRs add up to 30.0, and 30.0 x 0.111 = 3.33)
#   index    = 3.33 x 25 = 83.25  -> 76.61 <= 83.25 <= 88.30: grade B, "Baik"
HAND_SUMS = [18, 17, 14, 20, 16, 18, 19, 17, 11]
HAND_NRR = [3.6, 3.4, 2.8, 4.0, 3.2, 3.6, 3.8, 3.4, 2.2]
HAND_WEIGHTED = [0.3996, 0.3774, 0.3108, 0.4440, 0.3552, 0.3996, 0.4218, 0.3774, 0.2442]


def test_the_worked_example_gives_83_25_grade_b():
    n, sums = totals(RESPONSES)
    assert (n, sums) == (5, HAND_SUMS)
    r = summarise(n, sums)
    assert [e["nrr"] for e in r["elements"]] == HAND_NRR
    assert [e["weighted"] for e in r["elements"]] == HAND_WEIGHTED
    assert r["ikm_unit"] == 3.33
    assert r["index"] == 83.25
    assert r["grade"] == "B" and r["performance"] == {"id": "Baik", "en": "Good"}
    assert [e["key"] for e in r["elements"]] == ["persyaratan", "prosedur", "waktu", "biaya",
                                                 "produk", "kompetensi", "perilaku", "sarana",
                                                 "pengaduan"]


def test_a_perfect_survey_is_99_90_and_the_worst_24_98_as_the_0_111_weight_makes_them():
    # 4 x 0.111 x 9 = 3.996 -> x 25 = 99.90;  1 x 0.111 x 9 = 0.999 -> x 25 = 24.975 -> 24.98
    assert summarise(3, [12] * 9)["index"] == 99.90
    worst = summarise(3, [3] * 9)
    assert worst["index"] == 24.98 and worst["grade"] == "D"


@pytest.mark.parametrize("per_element_total, index, letter", [
    # 100 responses whose nine NRRs add up to S = total/100: index = S x 0.111 x 25 = 2.775 S
    (3182, 88.30, "B"),      # 2.775 x 31.82 = 88.3005 -> 88.30: the top of B
    (3183, 88.33, "A"),      # 2.775 x 31.83 = 88.32825 -> 88.33
    (2761, 76.62, "B"),      # 2.775 x 27.61 = 76.61775 -> 76.62
    (2760, 76.59, "C"),      # 2.775 x 27.60 = 76.59
    (2343, 65.02, "C"),      # 2.775 x 23.43 = 65.01825 -> 65.02
    (2342, 64.99, "D"),      # 2.775 x 23.42 = 64.9905 -> 64.99: the top of D
])
def test_indexes_next_to_the_band_edges_fall_in_the_right_grade(per_element_total, index, letter):
    # spread the total over the nine elements (the index depends only on the total)
    sums = [per_element_total // 9] * 9
    sums[0] += per_element_total - sum(sums)
    r = summarise(100, sums)
    assert r["index"] == index and r["grade"] == letter


@pytest.mark.parametrize("value, letter", [
    (100, "A"), (88.31, "A"), (88.30, "B"), (88.305, "A"), (76.61, "B"), (76.60, "C"),
    (65.00, "C"), (64.99, "D"), (64.995, "C"), (25.00, "D"), (24.98, "D")])
def test_grade_bands(value, letter):
    assert grade(value)[0] == letter


def test_no_responses_give_no_index():
    r = summarise(0, [0] * 9)
    assert r["n"] == 0 and r["index"] is None and r["grade"] is None


@pytest.mark.parametrize("scores", [
    [4] * 8, [4] * 10, [0] + [4] * 8, [5] + [4] * 8, [3.0] + [4] * 8, [True] + [4] * 8,
    ["4"] + [4] * 8, None, "444444444", {"a": 1}])
def test_anything_but_nine_whole_answers_1_to_4_is_refused(scores):
    with pytest.raises(BadScores):
        check_scores(scores)


def test_sums_impossible_for_the_count_are_refused():
    with pytest.raises(ValueError):
        summarise(2, [9] + [4] * 8)          # two answers cannot add up to 9


def test_every_element_has_four_answers_worst_first_in_both_languages():
    assert len(ELEMENTS) == 9
    for e in ELEMENTS:
        assert len(e.answers_id) == len(e.answers_en) == 4
    assert ELEMENTS[0].answers_id == ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")
    assert ELEMENTS[3].answers_id[-1] == "Gratis"
