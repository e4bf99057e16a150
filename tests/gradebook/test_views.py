"""Pages through real HTTP requests on the municipality's host: grid, save, permissions, queries."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gradebook.models import Score
from schools.models import Role
from tests import factories


def grid_url(s, name="gradebook:grid"):
    return reverse(name, args=[s.classroom.pk, s.subject.pk, s.term.pk])


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_grid_page_shows_students_assessments_and_derived_columns(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    response = client.get(grid_url(setup))
    assert response.status_code == 200
    html = response.content.decode()
    assert setup.students[0].name in html
    assert "テスト1" in html
    assert 'id="grid-data"' in html
    assert "評定" in html


def test_save_the_whole_grid_in_one_request(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    cells = [
        {
            "student": st.pk,
            "assessment": a.pk,
            "text": "18" if a.max_points == 20 else "90",
            "version": 0,
        }
        for st in setup.students
        for a in setup.assessments
    ]
    response = post_json(client, grid_url(setup, "gradebook:grid-save"), {"cells": cells})
    assert response.status_code == 200, response.content
    body = response.json()
    assert Score.objects.count() == len(cells)
    row = body["rows"][0]
    assert row["levels"] == {"knowledge": "A", "thinking": "A", "attitude": "A"}
    assert row["rating"] == 5
    assert len(body["versions"]) == len(cells)


def test_invalid_cell_answers_400_with_reasons_and_writes_nothing(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    a = setup.assessments[1]  # max 20
    cells = [
        {"student": setup.students[0].pk, "assessment": a.pk, "text": "25", "version": 0},
        {"student": setup.students[1].pk, "assessment": a.pk, "text": "x", "version": 0},
        {"student": setup.students[2].pk, "assessment": a.pk, "text": "10", "version": 0},
    ]
    response = post_json(client, grid_url(setup, "gradebook:grid-save"), {"cells": cells})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 2
    assert "満点 20" in errors[0]["message"]
    assert not Score.objects.exists()


def test_conflict_answers_409_with_the_current_value(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    cell = {"student": setup.students[0].pk, "assessment": setup.assessments[0].pk, "version": 0}
    assert (
        post_json(
            client, grid_url(setup, "gradebook:grid-save"), {"cells": [{**cell, "text": "60"}]}
        ).status_code
        == 200
    )
    response = post_json(
        client, grid_url(setup, "gradebook:grid-save"), {"cells": [{**cell, "text": "65"}]}
    )
    assert response.status_code == 409
    (conflict,) = response.json()["conflicts"]
    assert conflict["current"] == "60"
    assert conflict["version"] == 1


def test_malformed_body_is_a_400_not_a_500(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    response = client.post(
        grid_url(setup, "gradebook:grid-save"), data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    response = post_json(
        client, grid_url(setup, "gradebook:grid-save"), {"cells": [{"student": "x"}]}
    )
    assert response.status_code == 400


def test_forbidden_paths(setup, builder, client_for, muni, other_muni):
    url = grid_url(setup)
    save_url = grid_url(setup, "gradebook:grid-save")
    # anonymous: to the login page
    assert client_for(muni).get(url).status_code == 302
    # a teacher of another school: the class does not exist for them
    other = builder()
    assert client_for(muni, other.teacher.user).get(url).status_code == 404
    # a teacher of another subject in the same school: 403 on save, 403 on the page
    colleague = factories.staff()
    factories.give_role(
        colleague,
        Role.SUBJECT,
        classroom=setup.classroom,
        subject=factories.subject("junior_high", "国語"),
    )
    c = client_for(muni, colleague.user)
    assert c.get(url).status_code == 403
    body = {
        "cells": [
            {"student": setup.students[0].pk, "assessment": setup.assessments[0].pk, "text": "1"}
        ]
    }
    assert post_json(c, save_url, body).status_code == 403
    # the homeroom teacher reads but cannot write
    h = client_for(muni, setup.homeroom.user)
    assert h.get(url).status_code == 200
    assert post_json(h, save_url, body).status_code == 403
    assert not Score.objects.exists()
    # the same path on another municipality's host: no such class there
    assert client_for(other_muni).get(url).status_code in (302, 404)


def test_finalised_grid_refuses_teacher_and_accepts_admin_with_reason(setup, client_for, muni):
    admin = client_for(muni, setup.admin.user)
    response = admin.post(
        reverse("gradebook:finalise-run", args=[setup.term.pk]), {"accept_gaps": "1"}
    )
    assert response.status_code == 302
    body = {
        "cells": [
            {
                "student": setup.students[0].pk,
                "assessment": setup.assessments[0].pk,
                "text": "50",
                "version": 0,
            }
        ]
    }
    teacher = client_for(muni, setup.teacher.user)
    response = post_json(teacher, grid_url(setup, "gradebook:grid-save"), body)
    assert response.status_code == 403
    assert "確定済み" in response.json()["message"]
    response = post_json(admin, grid_url(setup, "gradebook:grid-save"), body)
    assert response.status_code == 400 and response.json()["needs_reason"]
    response = post_json(
        admin, grid_url(setup, "gradebook:grid-save"), {**body, "reason": "転記ミス"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["gradebook:grid"])
def test_grid_page_costs_constant_queries(builder, client_for, muni, name):
    counts = []
    for students, assessments in [(5, 3), (40, 20)]:
        s = builder(students=students, assessments=assessments)
        client = client_for(muni, s.teacher.user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(grid_url(s, name)).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts


def test_grid_save_costs_constant_queries(builder, client_for, muni):
    counts = []
    for students, assessments in [(5, 3), (40, 20)]:
        s = builder(students=students, assessments=assessments)
        client = client_for(muni, s.teacher.user)
        cells = [
            {"student": st.pk, "assessment": a.pk, "text": "1", "version": 0}
            for st in s.students
            for a in s.assessments
        ]
        with CaptureQueriesContext(connection) as ctx:
            assert (
                post_json(client, grid_url(s, "gradebook:grid-save"), {"cells": cells}).status_code
                == 200
            )
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts


def test_class_list_costs_constant_queries_and_shows_ratings(builder, client_for, muni):
    counts = []
    for students, assessments in [(5, 3), (40, 20)]:
        s = builder(students=students, assessments=assessments)
        client = client_for(muni, s.homeroom.user)
        url = reverse("gradebook:class-list", args=[s.classroom.pk, s.term.pk])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts
    assert "成績一覧表" in response.content.decode()


def test_assessment_form_creates_and_validates(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    url = grid_url(setup, "gradebook:assessment-new")
    data = {
        "title": "小テスト",
        "kind": "test",
        "max_points": "10",
        "weight_knowledge": "0",
        "weight_thinking": "0",
        "weight_attitude": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "少なくとも一つの観点" in response.content.decode()
    response = client.post(url, {**data, "weight_thinking": "2"})
    assert response.status_code == 302
    assert setup.classroom.assessments.filter(title="小テスト", weight_thinking=2).exists()
    response = client.post(url, {**data, "weight_thinking": "1", "date": "2020-01-01"})
    assert "期間" in response.content.decode()


def test_override_page(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    url = reverse(
        "gradebook:override",
        args=[setup.classroom.pk, setup.subject.pk, setup.term.pk, setup.students[0].pk],
    )
    assert client.get(url).status_code == 200
    response = client.post(url, {"knowledge": "A", "rating": "", "reason": ""})
    assert "理由" in response.content.decode()
    response = client.post(url, {"knowledge": "A", "rating": "4", "reason": "追加課題"})
    assert response.status_code == 302
    html = client.get(grid_url(setup)).content.decode()
    assert "追加課題" in html


def test_remarks_page_saves(setup, client_for, muni):
    client = client_for(muni, setup.homeroom.user)
    url = reverse("gradebook:remarks", args=[setup.classroom.pk, setup.term.pk])
    sid = setup.students[0].pk
    response = client.post(url, {f"remark-{sid}": "明るく過ごしました。", f"version-{sid}": "0"})
    assert response.status_code == 302
    assert "明るく過ごしました" in client.get(url).content.decode()
    # the subject teacher cannot see the class's remarks
    assert client_for(muni, setup.teacher.user).get(url).status_code == 403


def test_report_card_print_preview_and_history(setup, client_for, muni):
    client = client_for(muni, setup.homeroom.user)
    url = reverse(
        "gradebook:report-card", args=[setup.classroom.pk, setup.term.pk, setup.students[0].pk]
    )
    html = client.get(url).content.decode()
    assert "通知表" in html and "data-print" in html  # the print button (static/ai/ai.js)
    assert setup.students[0].name in html
    assert "学習の記録" in html
    url = reverse(
        "gradebook:history", args=[setup.classroom.pk, setup.term.pk, setup.students[0].pk]
    )
    assert client.get(url).status_code == 200


def test_teaching_list(setup, client_for, muni):
    html = client_for(muni, setup.teacher.user).get(reverse("gradebook:index")).content.decode()
    assert setup.classroom.label in html and setup.subject.name in html
    assert grid_url(setup) in html


def test_elementary_lower_grade_has_no_rating(builder, client_for, muni):
    s = builder(school_type="elementary", grade=1)
    client = client_for(muni, s.teacher.user)
    html = client.get(grid_url(s)).content.decode()
    assert "評定を付けません" in html


def test_distribution_for_the_board_without_names(setup, client_for, muni, boe_admin):
    from tests.gradebook.test_services import save

    save(setup, {(0, 0): "90", (0, 1): "18", (0, 2): "95", (1, 0): "10", (1, 1): "2", (1, 2): "5"})
    url = reverse("gradebook:distribution")
    response = client_for(muni, boe_admin).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "<rect" in html
    assert "数学" in html and setup.school.name in html
    assert all(st.name not in html for st in setup.students)
    assert "評定5: 1人" in html and "評定1: 1人" in html
    # teachers and school administrators do not see the board's comparison
    assert client_for(muni, setup.teacher.user).get(url).status_code == 403
    assert client_for(muni, setup.admin.user).get(url).status_code == 403


def test_settings_pages(setup, client_for, muni, boe_admin):
    from gradebook.models import GradingSettings

    url = reverse("gradebook:settings")
    client = client_for(muni, boe_admin)
    data = {
        "threshold_a": "85",
        "threshold_b": "60",
        "rule_5": "average",
        "rule_3": "average",
        "report_card_excel": "row",
    }
    response = client.post(url, {**data, "threshold_b": "90"})
    assert "B のしきい値は A より小さく" in response.content.decode()
    assert client.post(url, data).status_code == 302
    row = GradingSettings.objects.get(school__isnull=True)
    assert (row.threshold_a, row.rule_5) == (85, "average")
    # the school administrator sets their own school's, not the municipality's
    admin = client_for(muni, setup.admin.user)
    assert admin.get(url).status_code == 403
    assert (
        admin.post(f"{url}?school={setup.school.pk}", {**data, "rule_5": "osaka"}).status_code
        == 302
    )
    assert GradingSettings.objects.get(school=setup.school).rule_5 == "osaka"
    from gradebook import queries

    ctx = queries.grading_context(setup.school)
    assert ctx.rule_5 == "osaka" and ctx.thresholds_default.a == 85


def test_finalise_per_class_page(setup, client_for, muni):
    admin = client_for(muni, setup.admin.user)
    url = reverse("gradebook:finalise", args=[setup.term.pk])
    assert admin.get(url).status_code == 200
    run_url = reverse("gradebook:finalise-run", args=[setup.term.pk])
    body = {"classroom": setup.classroom.pk, "accept_gaps": "1"}
    assert admin.post(run_url, body).status_code == 302
    assert "確定済み" in admin.get(url).content.decode()
    assert client_for(muni, setup.teacher.user).get(url).status_code == 403


def test_subject_thresholds_change_the_grid(setup, client_for, muni, boe_admin):
    from decimal import Decimal

    from gradebook import queries
    from tests.gradebook.test_services import save

    save(setup, {(0, 0): "75"})  # knowledge 75 %: B with the default 80 / 50
    client = client_for(muni, boe_admin)
    subject_url = reverse("gradebook:settings-subject")
    body = {
        "subject": setup.subject.pk,
        "threshold_a": "70",
        "threshold_b": "40",
    }
    assert (
        client.post(subject_url, {**body, "threshold_b": "75"}).status_code == 200
    )  # B >= A refused
    assert client.post(subject_url, body).status_code == 302
    row = queries.grid(setup.classroom, setup.subject, setup.term).rows[0]
    assert row.result.levels["knowledge"] == "A"
    # a school's own row wins over the municipality's
    admin = client_for(muni, setup.admin.user)
    school_url = f"{subject_url}?school={setup.school.pk}"
    assert admin.post(school_url, {**body, "threshold_a": "90"}).status_code == 302
    ctx = queries.grading_context(setup.school)
    assert ctx.thresholds(setup.subject.pk).a == Decimal(90)
    assert (
        admin.post(
            reverse("gradebook:settings-subject-delete") + f"?school={setup.school.pk}",
            {"subject": setup.subject.pk},
        ).status_code
        == 302
    )
    assert queries.grading_context(setup.school).thresholds(setup.subject.pk).a == Decimal(70)


def test_board_index_lists_schools_not_every_assignment(setup, client_for, muni, boe_admin):
    html = client_for(muni, boe_admin).get(reverse("gradebook:index")).content.decode()
    assert setup.school.name in html
    assert grid_url(setup) not in html
    admin_html = client_for(muni, setup.admin.user).get(reverse("gradebook:index")).content.decode()
    assert grid_url(setup) in admin_html
    home = client_for(muni, setup.teacher.user).get("/").content.decode()
    assert reverse("gradebook:index") in home


def test_subject_without_marks_shows_scores_only(builder, client_for, muni):
    from gradebook.models import Assessment

    s = builder(assessments=0)
    moral = factories.subject("junior_high", "特別の教科 道徳")
    factories.give_role(s.teacher, Role.SUBJECT, classroom=s.classroom, subject=moral)
    Assessment.objects.create(
        classroom=s.classroom,
        subject=moral,
        term=s.term,
        title="振り返り",
        max_points=5,
        weight_attitude=1,
    )
    url = reverse("gradebook:grid", args=[s.classroom.pk, moral.pk, s.term.pk])
    html = client_for(muni, s.teacher.user).get(url).content.decode()
    assert "振り返り" in html and "合計" in html
    assert '<td class="rating' not in html and "/override/" not in html


@pytest.mark.parametrize(
    "page", ["report-cards", "class-list-print", "api-scores", "api-evaluations"]
)
def test_more_pages_cost_constant_queries(builder, client_for, muni, page):
    counts = []
    for students, assessments in [(5, 3), (40, 20)]:
        s = builder(students=students, assessments=assessments)
        client = client_for(muni, s.homeroom.user if page != "api-scores" else s.teacher.user)
        ids = {"classroom": s.classroom.pk, "subject": s.subject.pk, "term": s.term.pk}
        url = {
            "report-cards": reverse("gradebook:report-cards", args=[s.classroom.pk, s.term.pk]),
            "class-list-print": reverse("gradebook:class-list", args=[s.classroom.pk, s.term.pk])
            + "?print=1",
            "api-scores": "/api/v1/gradebook/scores/",
            "api-evaluations": "/api/v1/gradebook/evaluations/",
        }[page]
        params = ids if page.startswith("api") else {}
        if page == "api-evaluations":
            params = {"classroom": s.classroom.pk, "term": s.term.pk}
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, params).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts


def test_custom_rating_table_from_the_settings_page(setup, client_for, muni, boe_admin):
    from gradebook import queries, rules
    from tests.gradebook.test_services import save

    save(setup, {(0, 0): "90", (0, 1): "18", (0, 2): "95"})  # AAA
    assert queries.grid(setup.classroom, setup.subject, setup.term).rows[0].result.rating == 5
    url = reverse("gradebook:settings")
    client = client_for(muni, boe_admin)
    page = client.get(url).content.decode()
    assert 'name="c5_AAA"' in page and 'name="c3_CCC"' in page
    assert "この項目は必須です" not in page  # a GET shows the form unbound, with the current values
    assert 'value="80"' in page or 'value="80.00"' in page
    data = {
        "action": "settings",
        "threshold_a": "80",
        "threshold_b": "50",
        "rule_5": "custom",
        "rule_3": "average",
        "report_card_excel": "sheet",
    }
    for key, value in rules.OSAKA_TABLE.items():
        data[f"c5_{key}"] = str(value)
    for key, value in rules.default_table(3).items():
        data[f"c3_{key}"] = str(value)
    data["c5_AAA"] = "4"  # a strict board: AAA gives 4
    assert client.post(url, {**data, "c5_AAB": "7"}).status_code == 200  # out of range: refused
    assert client.post(url, data).status_code == 302
    grid = queries.grid(setup.classroom, setup.subject, setup.term)
    assert grid.rows[0].result.rating == 4
    assert grid.rule.as_json()["table"]["AAA"] == 4  # the browser computes with the same table


def test_year_list_combines_every_terms_assessments(setup, client_for, muni):
    from gradebook import queries, services
    from gradebook.models import Assessment
    from tests.gradebook.conftest import make_term
    from tests.gradebook.test_services import save

    term2 = make_term(setup.school, setup.classroom.school_year, 2)
    later = Assessment.objects.create(
        classroom=setup.classroom,
        subject=setup.subject,
        term=term2,
        title="2学期テスト",
        max_points=100,
        weight_knowledge=1,
    )
    save(setup, {(0, 0): "100"})  # term 1 knowledge 100 %
    services.save_scores(
        setup.classroom,
        setup.subject,
        term2,
        [services.CellInput(setup.students[0].pk, later.pk, "40", 0)],
        by=setup.actor(setup.teacher),
    )
    year = queries.year_list(setup.classroom)
    result = year.results[(setup.students[0].pk, setup.subject.pk)]
    assert result.percentages["knowledge"] == 70  # (100 + 40) / 2
    html = (
        client_for(muni, setup.homeroom.user)
        .get(reverse("gradebook:class-list-year", args=[setup.classroom.pk]))
        .content.decode()
    )
    assert "学年 (通年)" in html and "参考" in html
    assert (
        client_for(muni, setup.teacher.user)
        .get(reverse("gradebook:class-list-year", args=[setup.classroom.pk]))
        .status_code
        == 403
    )
