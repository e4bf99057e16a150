"""The gradebook API through real requests: bulk scores, conflicts, overrides, finalising, history."""

from __future__ import annotations

import pytest

from gradebook.models import Score
from schools.models import Role
from tests import factories

API = "/api/v1/gradebook"


def ids(s):
    return {"classroom": s.classroom.pk, "subject": s.subject.pk, "term": s.term.pk}


def cells(s, text="80", version=0):
    return [
        {
            "student": st.pk,
            "assessment": a.pk,
            "text": text if a.max_points == 100 else "15",
            "version": version,
        }
        for st in s.students
        for a in s.assessments
    ]


def test_subjects_and_teaching_assignments(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    subjects = client.get(f"{API}/subjects/?school_type=junior_high").json()
    moral = next(s for s in subjects if s["name"] == "特別の教科 道徳")
    assert moral["is_graded"] is False
    rows = client.get(f"{API}/teaching-assignments/").json()
    assert [(r["classroom"], r["subject"]) for r in rows] == [
        (setup.classroom.pk, setup.subject.pk)
    ]
    assert rows[0]["terms"][0]["id"] == setup.term.pk


def test_bulk_write_then_read_scores_and_evaluations(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    response = client.post(
        f"{API}/scores/", {**ids(setup), "cells": cells(setup)}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == len(setup.students) * len(setup.assessments)
    read = client.get(f"{API}/scores/", ids(setup)).json()
    assert {c["text"] for c in read["cells"]} == {"80", "15"}
    assert all(c["version"] == 1 for c in read["cells"])
    one = client.get(f"{API}/scores/", {**ids(setup), "assessment": setup.assessments[0].pk}).json()
    assert len(one["cells"]) == len(setup.students)
    ev = client.get(f"{API}/evaluations/", ids(setup)).json()
    assert ev["results"][0]["levels"] == {"knowledge": "A", "thinking": "B", "attitude": "A"}
    assert ev["results"][0]["rating"] == 4  # AAB


def test_bulk_write_errors_and_conflicts(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    bad = cells(setup)
    bad[0]["text"] = "101"
    response = client.post(
        f"{API}/scores/", {**ids(setup), "cells": bad}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "満点 100" in response.json()["error"]["cells"][0]["message"]
    assert not Score.objects.exists()
    client.post(
        f"{API}/scores/", {**ids(setup), "cells": cells(setup)}, content_type="application/json"
    )
    response = client.post(
        f"{API}/scores/",
        {**ids(setup), "cells": cells(setup, "70")},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["cells"][0]["current"] == "80"


def test_api_permissions(setup, builder, client_for, muni, other_muni):
    # anonymous
    assert client_for(muni).get(f"{API}/scores/", ids(setup)).status_code in (401, 403)
    # a teacher of another school: 404
    other = builder()
    assert client_for(muni, other.teacher.user).get(f"{API}/scores/", ids(setup)).status_code == 404
    # the homeroom teacher reads, cannot write
    h = client_for(muni, setup.homeroom.user)
    assert h.get(f"{API}/scores/", ids(setup)).status_code == 200
    r = h.post(
        f"{API}/scores/", {**ids(setup), "cells": cells(setup)}, content_type="application/json"
    )
    assert r.status_code == 403
    # a teacher of another subject
    colleague = factories.staff()
    factories.give_role(
        colleague,
        Role.SUBJECT,
        classroom=setup.classroom,
        subject=factories.subject("junior_high", "国語"),
    )
    c = client_for(muni, colleague.user)
    assert c.get(f"{API}/scores/", ids(setup)).status_code == 403
    # teachers cannot finalise
    t = client_for(muni, setup.teacher.user)
    assert (
        t.post(
            f"{API}/finalisations/", {"term": setup.term.pk}, content_type="application/json"
        ).status_code
        == 403
    )
    assert not Score.objects.exists()


def test_assessments_crud(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    body = {
        **ids(setup),
        "title": "期末テスト",
        "kind": "test",
        "max_points": "100",
        "weight_knowledge": "1",
        "weight_thinking": "1",
        "weight_attitude": "0",
    }
    r = client.post(f"{API}/assessments/", body, content_type="application/json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = client.patch(
        f"{API}/assessments/{pk}/",
        {"weight_knowledge": "0", "weight_thinking": "0"},
        content_type="application/json",
    )
    assert r.status_code == 400  # no viewpoint left
    r = client.patch(f"{API}/assessments/{pk}/", {"title": "期末"}, content_type="application/json")
    assert r.json()["title"] == "期末"
    assert len(client.get(f"{API}/assessments/", ids(setup)).json()) == len(setup.assessments) + 1
    assert client.delete(f"{API}/assessments/{pk}/").status_code == 204


def test_override_finalise_and_history(setup, client_for, muni):
    teacher = client_for(muni, setup.teacher.user)
    admin = client_for(muni, setup.admin.user)
    teacher.post(
        f"{API}/scores/", {**ids(setup), "cells": cells(setup)}, content_type="application/json"
    )
    sid = setup.students[0].pk
    body = {**ids(setup), "student": sid, "levels": {"thinking": "A"}, "rating": None, "reason": ""}
    assert (
        teacher.post(
            f"{API}/evaluations/override/", body, content_type="application/json"
        ).status_code
        == 400
    )
    r = teacher.post(
        f"{API}/evaluations/override/",
        {**body, "reason": "発表を評価"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["rating"] == 5 and r.json()["overridden"] == ["thinking"]
    r = admin.post(
        f"{API}/finalisations/",
        {"term": setup.term.pk, "allow_gaps": True},  # no 所見 written: gaps, chosen
        content_type="application/json",
    )
    assert r.status_code == 201
    fins = admin.get(f"{API}/finalisations/", {"term": setup.term.pk}).json()
    assert len(fins) == 1 and fins[0]["classroom"] is None
    r = teacher.post(
        f"{API}/scores/",
        {**ids(setup), "cells": cells(setup, "10", 1)},
        content_type="application/json",
    )
    assert r.status_code == 403
    hist = admin.get(
        f"{API}/history/", {"classroom": setup.classroom.pk, "term": setup.term.pk, "student": sid}
    ).json()
    assert any(h["field"] == "override:thinking" and h["reason"] == "発表を評価" for h in hist)
    r = admin.delete(
        f"{API}/finalisations/{fins[0]['id']}/", {"reason": ""}, content_type="application/json"
    )
    assert r.status_code == 400
    r = admin.delete(
        f"{API}/finalisations/{fins[0]['id']}/",
        {"reason": "訂正のため"},
        content_type="application/json",
    )
    assert r.status_code == 204


@pytest.mark.parametrize("params", [{"classroom": "x"}, {}])
def test_bad_parameters_are_400(setup, client_for, muni, params):
    r = client_for(muni, setup.teacher.user).get(f"{API}/scores/", params)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid"


def test_history_of_one_cell(setup, client_for, muni):
    teacher = client_for(muni, setup.teacher.user)
    cell = {"student": setup.students[0].pk, "assessment": setup.assessments[0].pk}
    for version, text in enumerate(["50", "60", "欠"]):
        r = teacher.post(
            f"{API}/scores/",
            {**ids(setup), "cells": [{**cell, "text": text, "version": version}]},
            content_type="application/json",
        )
        assert r.status_code == 200
    hist = teacher.get(
        f"{API}/history/",
        {
            "classroom": setup.classroom.pk,
            "term": setup.term.pk,
            "student": setup.students[0].pk,
            "subject": setup.subject.pk,
            "assessment": setup.assessments[0].pk,
        },
    ).json()
    assert [(h["old"], h["new"]) for h in hist] == [("60", "欠"), ("50", "60"), ("", "50")]
    assert all(h["actor_name"].startswith(setup.teacher.name) for h in hist)


def test_assessment_of_another_school_type_or_term_is_refused(setup, builder, client_for, muni):
    client = client_for(muni, setup.admin.user)
    body = {
        **ids(setup),
        "title": "x",
        "kind": "test",
        "max_points": "10",
        "weight_knowledge": "1",
        "weight_thinking": "0",
        "weight_attitude": "0",
    }
    elementary_math = factories.subject("elementary", "算数")
    r = client.post(
        f"{API}/assessments/",
        {**body, "subject": elementary_math.pk},
        content_type="application/json",
    )
    assert r.status_code in (400, 403)
    other = builder()
    r = client.post(
        f"{API}/assessments/", {**body, "term": other.term.pk}, content_type="application/json"
    )
    assert r.status_code == 400
    assert not setup.classroom.assessments.filter(title="x").exists()


def test_api_finalise_asks_about_gaps_like_the_page(setup, client_for, muni):
    """Without ``allow_gaps`` a 確定 with pupils lacking a 評定 or a 所見 answers 409 with the
    list (names, subjects) and finalises nothing; with it, it finalises and the audit counts."""
    from gradebook import queries
    from gradebook.models import Finalisation, Remark
    from schools.models import AuditEvent

    admin = client_for(muni, setup.admin.user)
    body = {"term": setup.term.pk, "classroom": setup.classroom.pk}
    r = admin.post(f"{API}/finalisations/", body, content_type="application/json")
    assert r.status_code == 409, r.content
    error = r.json()["error"]
    assert error["code"] == "finalisation_gaps" and "allow_gaps" in error["message"]
    gaps = queries.finalisation_gaps(setup.term, [setup.classroom])
    assert len(error["gaps"]) == len(gaps) == len(setup.enrolments)
    first = setup.enrolments[0]
    row = next(g for g in error["gaps"] if g["student"] == first.student_id)
    assert row["name"] == first.student.name and row["roll_number"] == first.roll_number
    assert row["pupil"] == f"{setup.classroom.label} {first.roll_number}番 {first.student.name}"
    assert row["blank_remark"] is True
    assert row["subjects_without_rating"] == gaps[0].subjects_without_rating
    assert not Finalisation.objects.exists()
    # a yes/no that is neither: 400 naming the field
    r = admin.post(
        f"{API}/finalisations/", {**body, "allow_gaps": "maybe"}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("allow_gaps: ")
    # explicit false is the same as leaving it out
    r = admin.post(
        f"{API}/finalisations/", {**body, "allow_gaps": False}, content_type="application/json"
    )
    assert r.status_code == 409
    r = admin.post(
        f"{API}/finalisations/", {**body, "allow_gaps": True}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    event = AuditEvent.objects.filter(action="gradebook.finalisation.finalise").latest("pk")
    assert event.changes["gaps"] == len(setup.enrolments)
    assert Remark.objects.count() == 0  # nothing was filled in behind the caller's back


def test_finalise_is_documented_with_its_gaps_answer(client_for, muni):
    spec = (
        client_for(muni).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    )
    operation = spec["paths"]["/api/v1/gradebook/finalisations/"]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    props = spec["components"]["schemas"][request.rsplit("/", 1)[-1]]["properties"]
    assert "allow_gaps" in props
    conflict = operation["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    body = spec["components"]["schemas"][conflict.rsplit("/", 1)[-1]]
    assert "error" in body["properties"]
