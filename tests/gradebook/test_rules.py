"""The derivation rules, exhaustively: plain pytest, no database."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from gradebook import rules
from gradebook.rules import (
    ABSENT,
    ALL_COMBINATIONS,
    ATTITUDE,
    KNOWLEDGE,
    THINKING,
    AssessmentSpec,
    Overrides,
    RatingRule,
    ScoreError,
    Thresholds,
)

D = Decimal

# --- the Osaka table, every one of the 27 ordered combinations ------------------------------

OSAKA_EXPECTED = {
    5: {"AAA"},
    4: {"AAB", "ABB"},
    3: {"BBB", "ABC", "AAC", "BBC"},
    2: {"ACC", "BCC"},
    1: {"CCC"},
}


def _osaka_expected(combo: str) -> int:
    key = "".join(sorted(combo))
    return next(r for r, keys in OSAKA_EXPECTED.items() if key in keys)


def test_there_are_27_combinations_and_10_order_free_keys():
    assert len(ALL_COMBINATIONS) == 27
    assert len(set(ALL_COMBINATIONS)) == 27
    assert len(rules.COMBINATION_KEYS) == 10


@pytest.mark.parametrize("combo", ALL_COMBINATIONS)
def test_osaka_table_every_combination(combo):
    assert rules.RULES_5["osaka"].rating(combo) == _osaka_expected(combo)


# A=3/B=2/C=1 summed: 5 levels 9->5, 7-8->4, 5-6->3, 4->2, 3->1
AVERAGE_5_BY_SUM = {9: 5, 8: 4, 7: 4, 6: 3, 5: 3, 4: 2, 3: 1}
# 3 levels: 8-9 -> 3 (AAA, AAB), 5-7 -> 2, 3-4 -> 1 (BCC, CCC)
AVERAGE_3_BY_SUM = {9: 3, 8: 3, 7: 2, 6: 2, 5: 2, 4: 1, 3: 1}


def _sum(combo: str) -> int:
    return sum(rules.LEVEL_POINTS[c] for c in combo)


@pytest.mark.parametrize("combo", ALL_COMBINATIONS)
def test_average_bands_5_every_combination(combo):
    assert rules.RULES_5["average"].rating(combo) == AVERAGE_5_BY_SUM[_sum(combo)]


@pytest.mark.parametrize("combo", ALL_COMBINATIONS)
def test_average_bands_3_every_combination(combo):
    assert rules.RULES_3["average"].rating(combo) == AVERAGE_3_BY_SUM[_sum(combo)]


@pytest.mark.parametrize("combo", ALL_COMBINATIONS)
def test_ratings_do_not_depend_on_viewpoint_order(combo):
    for rule in [*rules.RULES_5.values(), *rules.RULES_3.values()]:
        assert rule.rating(combo) == rule.rating(combo[::-1])


def test_every_rule_is_monotonic_a_better_level_never_lowers_the_rating():
    better = {"C": "B", "B": "A"}
    for rule in [*rules.RULES_5.values(), *rules.RULES_3.values()]:
        for combo in ALL_COMBINATIONS:
            for i, level in enumerate(combo):
                if level in better:
                    up = combo[:i] + better[level] + combo[i + 1 :]
                    assert rule.rating(up) >= rule.rating(combo), (rule, combo, up)


def test_average_rule_with_custom_bands():
    # A board that wants AAB -> 5 too: lower the first band to 2.6 (sum 8 = 2.667).
    rule = RatingRule("average", 5, bands=((D("2.6"), 5), (D("2"), 4), (D("1.5"), 3), (D(0), 2)))
    assert rule.rating("AAB") == 5
    assert rule.rating("BBB") == 4  # mean exactly 2.0 reaches the band
    assert rule.rating("BBC") == 3
    assert rule.rating("CCC") == 2


def test_custom_table_rule():
    table = dict(rules.OSAKA_TABLE, AAC=4)
    assert RatingRule("table", 5, table=table).rating("CAA") == 4


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "table", "scale": 5, "table": {"AAA": 5}}, "組み合わせ"),
        ({"kind": "table", "scale": 3, "table": rules.OSAKA_TABLE}, "1 から 3"),
        ({"kind": "average", "scale": 5, "bands": ((D(2), 5),)}, "すべて C"),
        ({"kind": "average", "scale": 5, "bands": ((D(1), 2), (D(2), 5), (D(0), 1))}, "高い順"),
        ({"kind": "average", "scale": 4, "bands": ((D(0), 1),)}, "段階"),
    ],
)
def test_invalid_rules_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RatingRule(**kwargs)


@pytest.mark.parametrize("levels", [(None, "A", "A"), ("A", "A"), ("A", "B", "D"), ()])
def test_no_rating_while_a_viewpoint_is_missing(levels):
    for rule in [*rules.RULES_5.values(), *rules.RULES_3.values()]:
        assert rule.rating(levels) is None


# --- 評定 scale per school type and grade --------------------------------------------------


@pytest.mark.parametrize(
    "school_type, grade, graded, scale",
    [
        ("elementary", 1, True, None),
        ("elementary", 2, True, None),
        ("elementary", 3, True, 3),
        ("elementary", 6, True, 3),
        ("elementary", 4, False, None),
        ("junior_high", 1, True, 5),
        ("junior_high", 3, True, 5),
        ("junior_high", 2, False, None),
        ("compulsory", 2, True, None),
        ("compulsory", 5, True, 3),
        ("compulsory", 7, True, 5),
        ("elementary", None, True, None),
    ],
)
def test_rating_scale(school_type, grade, graded, scale):
    assert rules.rating_scale(school_type, grade, graded) == scale


# --- thresholds: boundary percentages ------------------------------------------------------


@pytest.mark.parametrize(
    "pct, level",
    [
        (Fraction(100), "A"),
        (Fraction(80), "A"),
        (Fraction(7999, 100), "B"),
        (Fraction(240, 3), "A"),  # exactly 80 from a division
        (Fraction(50), "B"),
        (Fraction(4999, 100), "C"),
        (Fraction(0), "C"),
        (None, None),
    ],
)
def test_default_thresholds_boundaries(pct, level):
    assert rules.DEFAULT_THRESHOLDS.level(pct) == level


def test_custom_thresholds():
    t = Thresholds(a=D(85), b=D(60))
    assert t.level(Fraction(85)) == "A"
    assert t.level(Fraction(84)) == "B"
    assert t.level(Fraction(60)) == "B"
    assert t.level(Fraction(59)) == "C"


@pytest.mark.parametrize("a, b", [(D(50), D(80)), (D(80), D(80)), (D(101), D(50)), (D(80), D(-1))])
def test_invalid_thresholds(a, b):
    with pytest.raises(ValueError):
        Thresholds(a=a, b=b)


# --- percentages: weights, blanks, absences -----------------------------------------------


def spec(key, max_points, k=0, t=0, a=0):
    return AssessmentSpec(key, D(max_points), {KNOWLEDGE: D(k), THINKING: D(t), ATTITUDE: D(a)})


def test_percentage_is_weighted_by_viewpoint():
    tests = [spec(1, 100, k=1), spec(2, 50, k=3, t=1), spec(3, 10, a=1)]
    pct = rules.viewpoint_percentages(tests, {1: D(60), 2: D(50), 3: D(7)})
    # knowledge: (1*0.6 + 3*1.0) / 4 = 90 %
    assert pct[KNOWLEDGE] == 90
    assert pct[THINKING] == 100
    assert pct[ATTITUDE] == 70


def test_blank_is_not_yet_and_is_excluded():
    tests = [spec(1, 100, k=1), spec(2, 100, k=1)]
    assert rules.viewpoint_percentages(tests, {1: D(90), 2: None})[KNOWLEDGE] == 90
    assert rules.viewpoint_percentages(tests, {1: D(90)})[KNOWLEDGE] == 90


def test_absent_is_excluded_not_zero():
    tests = [spec(1, 100, k=1), spec(2, 100, k=1)]
    pct = rules.viewpoint_percentages(tests, {1: D(90), 2: ABSENT})
    assert pct[KNOWLEDGE] == 90  # a zero would have made it 45


def test_zero_is_a_score():
    tests = [spec(1, 100, k=1), spec(2, 100, k=1)]
    assert rules.viewpoint_percentages(tests, {1: D(90), 2: D(0)})[KNOWLEDGE] == 45


def test_viewpoint_without_any_score_has_no_percentage():
    tests = [spec(1, 100, k=1), spec(2, 100, t=1)]
    pct = rules.viewpoint_percentages(tests, {1: D(90), 2: ABSENT})
    assert pct[THINKING] is None
    assert pct[ATTITUDE] is None


def test_percentage_is_exact_at_the_boundary():
    # 3 tests of max 3, 2.4 each: 80 % exactly (floats would give 79.99999)
    tests = [spec(i, 3, k=1) for i in range(3)]
    pct = rules.viewpoint_percentages(tests, {i: D("2.4") for i in range(3)})
    assert pct[KNOWLEDGE] == 80
    assert rules.DEFAULT_THRESHOLDS.level(pct[KNOWLEDGE]) == "A"


# --- the whole chain -------------------------------------------------------------------------


def test_evaluate_the_whole_chain_with_osaka():
    tests = [spec(1, 100, k=1, t=1), spec(2, 20, a=1)]
    result = rules.evaluate(tests, {1: D(80), 2: D(9)}, rule=rules.RULES_5["osaka"])
    assert result.levels == {KNOWLEDGE: "A", THINKING: "A", ATTITUDE: "C"}
    assert result.rating == result.derived_rating == 3
    assert result.overridden == frozenset()
    assert result.percentage_text(ATTITUDE) == "45.0"


def test_evaluate_without_a_rule_gives_no_rating():
    result = rules.evaluate([spec(1, 10, k=1, t=1, a=1)], {1: D(10)}, rule=None)
    assert result.levels == {KNOWLEDGE: "A", THINKING: "A", ATTITUDE: "A"}
    assert result.rating is None


def test_evaluate_with_missing_scores_gives_no_rating_yet():
    tests = [spec(1, 10, k=1), spec(2, 10, t=1), spec(3, 10, a=1)]
    result = rules.evaluate(tests, {1: D(10), 2: D(10), 3: ABSENT}, rule=rules.RULES_5["osaka"])
    assert result.levels[ATTITUDE] is None
    assert result.rating is None


def test_viewpoint_override_feeds_the_rating():
    tests = [spec(1, 10, k=1, t=1, a=1)]
    result = rules.evaluate(
        tests, {1: D(4)}, rule=rules.RULES_5["osaka"], overrides=Overrides(levels={ATTITUDE: "A"})
    )
    assert result.derived_levels[ATTITUDE] == "C"
    assert result.levels[ATTITUDE] == "A"
    assert result.derived_rating == 2  # ACC with the override of A: C,C + A
    assert result.overridden == {ATTITUDE}


def test_rating_override_wins_over_the_table():
    tests = [spec(1, 10, k=1, t=1, a=1)]
    result = rules.evaluate(
        tests, {1: D(10)}, rule=rules.RULES_5["osaka"], overrides=Overrides(rating=4)
    )
    assert result.derived_rating == 5
    assert result.rating == 4
    assert "rating" in result.overridden


def test_override_gives_a_rating_even_before_scores():
    result = rules.evaluate(
        [spec(1, 10, k=1)],
        {},
        rule=rules.RULES_3["average"],
        overrides=Overrides(levels={KNOWLEDGE: "A", THINKING: "A", ATTITUDE: "B"}),
    )
    assert result.rating == 3


@pytest.mark.parametrize("rating", [0, 6])
def test_rating_override_out_of_scale_is_refused(rating):
    with pytest.raises(ValueError):
        rules.evaluate([], {}, rule=rules.RULES_5["osaka"], overrides=Overrides(rating=rating))


def test_validate_override():
    assert rules.validate_override({KNOWLEDGE: "A"}, None, 5, "") == {
        "reason": "変更の理由を入力してください。"
    }
    assert rules.validate_override({KNOWLEDGE: "A"}, 4, 5, "面談の結果") == {}
    assert "rating" in rules.validate_override({}, 4, 3, "理由")
    assert "rating" in rules.validate_override({}, 2, None, "理由")
    assert KNOWLEDGE in rules.validate_override({KNOWLEDGE: "S"}, None, 5, "理由")
    # clearing every override needs no reason
    assert rules.validate_override({KNOWLEDGE: None}, None, 5, "") == {}


# --- parsing cells -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("80", D(80)),
        (" 80 ", D(80)),
        ("８０", D(80)),
        ("7.5", D("7.5")),
        ("0", D(0)),
        ("100", D(100)),
        ("", None),
        ("  ", None),
        (None, None),
        ("欠", ABSENT),
        ("欠席", ABSENT),
        ("/", ABSENT),
        ("／", ABSENT),
    ],
)
def test_parse_score_accepts(text, expected):
    assert rules.parse_score(text, D(100)) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("101", "満点 100 を超えて"),
        ("-1", "0 から 100"),
        ("abc", "点数として読めません"),
        ("8O", "点数として読めません"),
        ("7.25", "点数として読めません"),
        ("1e2", "点数として読めません"),
    ],
)
def test_parse_score_refuses(text, message):
    with pytest.raises(ScoreError, match=message):
        rules.parse_score(text, D(100))


@pytest.mark.parametrize("score", [None, ABSENT, D(0), D(7), D("7.5"), D("100.0")])
def test_format_then_parse_round_trips(score):
    assert rules.parse_score(rules.format_score(score), D(100)) == score


def test_default_tables_start_from_the_default_rules():
    assert rules.default_table(5) == rules.OSAKA_TABLE
    assert rules.default_table(3)["AAB"] == 3 and rules.default_table(3)["BCC"] == 1


@pytest.mark.parametrize("combo", ALL_COMBINATIONS)
def test_custom_table_rule_every_combination(combo):
    table = {key: 1 + rules.COMBINATION_KEYS.index(key) % 5 for key in rules.COMBINATION_KEYS}
    rule = rules.named_rule(rules.CUSTOM, 5, table)
    assert rule.rating(combo) == table["".join(sorted(combo))]


def test_custom_table_must_be_complete_and_in_scale():
    with pytest.raises(ValueError):
        rules.named_rule(rules.CUSTOM, 5, {"AAA": 5})
    with pytest.raises(ValueError):
        rules.named_rule(rules.CUSTOM, 3, rules.OSAKA_TABLE)
    assert rules.named_rule("osaka", 5) is rules.RULES_5["osaka"]
