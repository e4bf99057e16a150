"""The OpenAPI schema documents every response body; errors say their first useful message."""

from __future__ import annotations

from tests import factories
from tests.attendance.helpers import setup_class

METHODS = {"get", "post", "put", "patch", "delete"}


def _schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def test_every_operation_documents_its_success_body(client_for, muni):
    spec = _schema(client_for(muni))
    missing, shapeless = [], []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            success = [c for c in operation["responses"] if c.startswith("2")]
            assert success, f"{method.upper()} {path}: no success response"
            for code in success:
                if code == "204":
                    continue
                content = operation["responses"][code].get("content")
                if not content:
                    missing.append(f"{method.upper()} {path} {code}")
                    continue
                schema = _resolve(spec, next(iter(content.values()))["schema"])
                if schema.get("type") == "array":
                    schema = _resolve(spec, schema["items"])
                if not (schema.get("properties") or schema.get("allOf") or schema.get("oneOf")):
                    shapeless.append(f"{method.upper()} {path} {code}")
    assert not missing, "operations without a response body schema:\n" + "\n".join(missing)
    assert not shapeless, "response bodies without properties:\n" + "\n".join(shapeless)


def test_import_endpoints_are_in_the_schema(client_for, muni):
    paths = _schema(client_for(muni))["paths"]
    for prefix in (
        "roster/imports",
        "roster/staff-imports",
        "attendance/register-imports",
        "gradebook/grid-imports",
        "timetable/grid-imports",
    ):
        upload = paths[f"/api/v1/{prefix}/"]["post"]
        assert "multipart/form-data" in upload["requestBody"]["content"]
        assert "200" in upload["responses"]
        commit = paths[f"/api/v1/{prefix}/commit/"]["post"]
        assert {"200", "409"} <= set(commit["responses"])


def test_attendance_codes_endpoint(client_for, muni):
    _, _, classroom, _ = setup_class(1)
    teacher = factories.homeroom_teacher(classroom).user
    body = client_for(muni, teacher).get("/api/v1/attendance/codes/").json()
    codes = {c["code"]: c for c in body["results"]}
    assert codes["sick"]["symbol"] == "病" and codes["sick"]["kind"] == "absent"
    assert codes["late"]["label"] == "遅刻" and codes["late"]["kind_label"] == "遅刻"
    assert codes["suspended"]["symbol"] == "停"
    assert client_for(muni).get("/api/v1/attendance/codes/").status_code == 401


def test_validation_errors_say_the_first_useful_message(client_for, muni):
    _, _, classroom, _ = setup_class(1)
    teacher = factories.homeroom_teacher(classroom).user
    client = client_for(muni, teacher)
    response = client.get("/api/v1/attendance/figures/?scope=student&id=x")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"] == "id: 数字で指定してください。"
    assert error["fields"] == {"id": ["数字で指定してください。"]}
    nested = client.put(
        f"/api/v1/attendance/class-marks/{classroom.pk}/",
        {"date": "2026-06-01", "marks": [{"enrolment": "x"}]},
        content_type="application/json",
    )
    assert nested.status_code == 400
    message = nested.json()["error"]["message"]
    assert message.startswith("marks[0].enrolment: ") and "入力内容に誤り" not in message


def test_every_400_says_the_field_and_the_problem_at_the_top_level(client_for, muni):
    """A 400 carries ``error.message``: Japanese, naming the field and the problem; ``fields``
    stays beside it as before (a client that read ``fields`` keeps working)."""
    _, _, classroom, _ = setup_class(1)
    teacher = factories.homeroom_teacher(classroom).user
    client = client_for(muni, teacher)
    # a malformed date in a JSON body
    r = client.put(
        f"/api/v1/attendance/class-marks/{classroom.pk}/",
        {"date": "6月1日", "marks": []},
        content_type="application/json",
    )
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "invalid" and error["message"].startswith("date: ")
    assert "fields" in error and "date" in error["fields"]
    # a query parameter missing
    r = client.get("/api/v1/attendance/figures/?scope=classroom")
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("id: ")
    # a serializer's own "required" message is Japanese and named
    grades = factories.gradebook_class()
    gc = client_for(muni, grades.teacher.user)
    r = gc.post(
        "/api/v1/gradebook/assessments/",
        {
            "classroom": grades.classroom.pk,
            "subject": grades.subject.pk,
            "term": grades.term.pk,
        },
        content_type="application/json",
    )
    assert r.status_code == 400, r.content
    message = r.json()["error"]["message"]
    assert message.startswith("title: ") and "必須" in message, message
    # a refused cell of a bulk write: the cell, its problem, and that nothing was saved
    cells = [
        {"student": grades.students[0].pk, "assessment": a.pk, "text": "80", "version": 0}
        for a in grades.assessments
    ]
    cells[1]["text"] = "101"
    r = gc.post(
        "/api/v1/gradebook/scores/",
        {
            "classroom": grades.classroom.pk,
            "subject": grades.subject.pk,
            "term": grades.term.pk,
            "cells": cells,
        },
        content_type="application/json",
    )
    assert r.status_code == 400
    message = r.json()["error"]["message"]
    assert message.startswith("cells[1]: ") and "満点" in message and "保存していません" in message
    assert r.json()["error"]["cells"][0]["message"]  # the per-cell list, as before


def test_the_error_body_is_in_the_schema(client_for, muni):
    spec = _schema(client_for(muni))
    error = spec["components"]["schemas"]["Error"]
    assert {"code", "message", "fields"} <= set(error["properties"]["error"]["properties"])
    undocumented = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            if operation.get("parameters") or operation.get("requestBody"):
                answer = operation["responses"].get("400", {})
                if "content" not in answer:
                    undocumented.append(f"{method.upper()} {path}")
    assert not undocumented, "operations without the 400 error body:\n" + "\n".join(undocumented)


def test_large_imports_document_their_job(client_for, muni):
    """A large roster or staff import answers 202 with a job; the job's body is documented."""
    spec = _schema(client_for(muni))
    paths = spec["paths"]
    for prefix in ("roster/imports", "roster/staff-imports"):
        for path in (f"/api/v1/{prefix}/", f"/api/v1/{prefix}/commit/"):
            answer = paths[path]["post"]["responses"]["202"]
            schema = answer["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith("/Job"), schema
    job = _resolve(spec, {"$ref": "#/components/schemas/Job"})
    assert {"id", "status", "progress", "result", "result_status"} <= set(job["properties"])
    refs = {s["$ref"].rsplit("/", 1)[-1] for s in job["properties"]["result"]["oneOf"]}
    assert refs <= set(spec["components"]["schemas"]) and "ImportPreview" in refs
    detail = paths["/api/v1/jobs/{id}/"]
    assert {"get", "delete"} <= set(detail) and "post" in paths["/api/v1/jobs/{id}/cancel/"]
