"""Pure pieces split out of the views: the distribution chart's geometry and the sample card."""

from __future__ import annotations

from types import SimpleNamespace

from gradebook import charts, layouts, samples


def test_a_bar_splits_the_chart_width_by_rating_from_the_highest():
    bar = charts.bar("1年 全体", {5: 1, 3: 2, 1: 1}, 5, strong=True)
    assert bar["total"] == 4 and bar["strong"]
    assert [s["rating"] for s in bar["segments"]] == [5, 4, 3, 2, 1]
    widths = [s["width"] for s in bar["segments"]]
    assert widths == [105.0, 0.0, 210.0, 0.0, 105.0]
    assert bar["segments"][0]["x"] == charts.LABEL_W
    assert bar["segments"][2]["x"] == charts.LABEL_W + 105
    assert [s["pct"] for s in bar["segments"]] == [25.0, 0, 50.0, 0, 25.0]
    assert bar["segments"][1]["show_text"] is False  # an empty segment shows no text


def test_an_empty_bar_has_no_width_and_no_division_by_zero():
    bar = charts.bar("x", {}, 3)
    assert bar["total"] == 0
    assert all(s["width"] == 0 and s["pct"] == 0 for s in bar["segments"])


def test_the_scale_is_5_in_junior_high_and_follows_the_ratings_elsewhere():
    assert charts.rating_scale({1: {3: 2}}, junior_high=True) == 5
    assert charts.rating_scale({1: {3: 2, 1: 1}}, junior_high=False) == 3
    assert charts.rating_scale({1: {3: 2}, 2: {4: 1}}, junior_high=False) == 5


def test_distribution_charts_one_per_subject_municipality_first_then_schools():
    schools = {
        1: SimpleNamespace(name="北中", mext_code="B"),
        2: SimpleNamespace(name="南中", mext_code="A"),
    }
    subjects = {
        10: SimpleNamespace(name="数学", sort_order=3),
        11: SimpleNamespace(name="国語", sort_order=1),
    }
    data = {
        (10, 1): {1: {5: 1}, 2: {4: 1}},
        (11, 2): {1: {3: 2}},
        (11, 1): {2: {2: 1}},
    }
    result = charts.distribution_charts(data, schools, subjects, junior_high=True)
    assert [c["subject"].name for c in result] == ["国語", "数学"]
    kokugo = result[0]
    assert [b["label"] for b in kokugo["bars"]] == ["1年 全体", "南中", "2年 全体", "北中"]
    assert [b["y"] for b in kokugo["bars"]] == [4, 4 + charts.BAR_H, 4 + 2 * charts.BAR_H, 82]
    assert kokugo["height"] == charts.BAR_H * 4 + 8
    maths = result[1]
    assert maths["bars"][0]["total"] == 2  # the municipality adds up its schools


def test_the_legend_runs_from_the_highest_rating():
    assert [r for r, _ in charts.legend()] == [5, 4, 3, 2, 1]


def test_the_sample_card_renders_with_the_default_layout_and_saves_nothing():
    card = samples.sample_card()
    assert card.student.name == "見本 太郎"
    assert card.enrolment.pk is None and card.school.pk is None
    assert len(card.subjects) == len(samples.SAMPLE_SUBJECTS)
    (html,) = layouts.render_cards([card], layouts.STANDARD)
    assert "見本 太郎" in html and "数学" in html
