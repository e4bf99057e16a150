"""The roster in the OneRoster 1.2 CSV layout (1EdTech), which learning platforms read.

Bulk files only: ``manifest.csv`` names every file of the binding, ``bulk`` for those
written and ``absent`` for the others; ``status`` and ``dateLastModified`` stay blank (bulk
mode). In 1.2 a user's roles and organisations are in ``roles.csv`` (users.csv has no role
column any more), so it is written too.

- orgs: the municipality (``district``) and its schools (``school``, identifier = 学校コード);
- academicSessions: each 年度 (``schoolYear``, schoolYear = the 年度's number, April to
  March) and each school's 学期 (``term``, its parent the 年度);
- courses: 学級 (homeroom) of each school and year, and each subject a school teaches;
- classes: every 学級 (``homeroom``) and every 担当 of a class or group (``scheduled``);
- users: pupils (username = 学籍番号, or the sourcedId) and staff (username = login name);
- enrollments: pupils and homeroom teachers in their 学級, teachers and pupils in each 担当.

sourcedIds are UUIDs derived from the municipality's code and the row's id (uuid5): the same
row gets the same sourcedId in every export.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch

from schools.calendar import year_bounds
from schools.models import (
    Classroom,
    Enrolment,
    Role,
    RoleAssignment,
    School,
    SchoolType,
    SchoolYear,
    Staff,
    Student,
    TeachingAssignment,
    Term,
)

VERSION = "1.2"
MANIFEST_VERSION = "1.0"
# Column lists of the OneRoster 1.2 CSV binding, in their order.
COLUMNS: dict[str, list[str]] = {
    "orgs.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "name",
        "type",
        "identifier",
        "parentSourcedId",
    ],
    "academicSessions.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ],
    "courses.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ],
    "classes.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ],
    "users.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
        "userMasterIdentifier",
        "preferredGivenName",
        "preferredMiddleName",
        "preferredFamilyName",
        "primaryOrgSourcedId",
        "pronouns",
    ],
    "roles.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "userSourcedId",
        "roleType",
        "role",
        "beginDate",
        "endDate",
        "orgSourcedId",
        "userProfileSourcedId",
    ],
    "enrollments.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ],
}
# Every file property of the 1.2 manifest (those not written are "absent").
MANIFEST_FILES = [
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
]
# Ai's roles as OneRoster roles (roles.csv) with the org they hold at.
ROLE_NAMES = {
    Role.BOE_ADMIN: "districtAdministrator",
    Role.BOE_VIEWER: "districtAdministrator",
    Role.SCHOOL_ADMIN: "siteAdministrator",
    Role.HOMEROOM: "teacher",
    Role.SUBJECT: "teacher",
}
GRADE_OFFSET = {SchoolType.ELEMENTARY: 0, SchoolType.JUNIOR_HIGH: 6}


class Ids:
    """Stable sourcedIds: uuid5 of the municipality's code, the kind and the key."""

    def __init__(self, code: str):
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"https://ai.invalid/municipality/{code}")

    def __call__(self, kind: str, *key: Any) -> str:
        return str(uuid.uuid5(self.namespace, "/".join([kind, *map(str, key)])))


def grade_code(school_type: str, grade: int | None) -> str:
    """CEDS grade level (01–12): 小1 = 01, 中1 = 07."""
    if grade is None:
        return ""
    return f"{grade + GRADE_OFFSET.get(school_type, 0):02d}"


def split_name(name: str) -> tuple[str, str]:
    """(familyName, givenName) from a name written 「姓 名」; without a space, both the name."""
    parts = re.split(r"[\s\u3000]+", name.strip(), maxsplit=1)
    if len(parts) == 2 and all(parts):
        return parts[0], parts[1]
    return name.strip(), name.strip()


def _csv(header: list[str], rows: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n", extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue().encode("utf-8")


def _listed(values: Iterable[str]) -> str:
    return ",".join(v for v in values if v)


def files(*, code: str, name: str) -> dict[str, bytes]:
    """The OneRoster files of the current municipality, by file name."""
    ids = Ids(code)
    district = ids("org", "district")
    orgs = [
        {"sourcedId": district, "name": name, "type": "district", "identifier": code},
    ]
    schools = {s.pk: s for s in School.objects.order_by("mext_code")}
    for school in schools.values():
        orgs.append(
            {
                "sourcedId": ids("org", "school", school.pk),
                "name": school.name,
                "type": "school",
                "identifier": school.mext_code,
                "parentSourcedId": district,
            }
        )

    sessions = []
    years = list(SchoolYear.objects.order_by("year"))
    for year in years:
        start, end = year_bounds(year)
        sessions.append(
            {
                "sourcedId": ids("session", "year", year.pk),
                "title": f"{year.year}年度",
                "type": "schoolYear",
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
                "schoolYear": str(year.year),
            }
        )
    terms_of: dict[tuple[int, int], list[str]] = {}
    for term in Term.objects.select_related("school", "school_year").order_by("pk"):
        sourced = ids("session", "term", term.pk)
        terms_of.setdefault((term.school_id, term.school_year_id), []).append(sourced)
        sessions.append(
            {
                "sourcedId": sourced,
                "title": f"{term.school_year.year}年度 {term.school.name} {term.name}",
                "type": "term",
                "startDate": term.start.isoformat(),
                "endDate": term.end.isoformat(),
                "parentSourcedId": ids("session", "year", term.school_year_id),
                "schoolYear": str(term.school_year.year),
            }
        )

    def session_ids(school_id: int, year_id: int) -> str:
        return _listed(terms_of.get((school_id, year_id)) or [ids("session", "year", year_id)])

    courses: dict[str, dict[str, Any]] = {}
    classes: list[dict[str, Any]] = []
    enrollments: list[dict[str, Any]] = []
    year_of = {y.pk: y for y in years}

    def homeroom_course(school: School, year_id: int) -> str:
        sourced = ids("course", "homeroom", school.pk, year_id)
        courses.setdefault(
            sourced,
            {
                "sourcedId": sourced,
                "schoolYearSourcedId": ids("session", "year", year_id),
                "title": f"{year_of[year_id].year}年度 {school.name} 学級",
                "courseCode": "homeroom",
                "orgSourcedId": ids("org", "school", school.pk),
            },
        )
        return sourced

    classrooms = {c.pk: c for c in Classroom.objects.order_by("pk")}
    for c in classrooms.values():
        school = schools[c.school_id]
        classes.append(
            {
                "sourcedId": ids("class", "homeroom", c.pk),
                "title": f"{school.name} {c.label}",
                "grades": grade_code(school.school_type, c.grade),
                "courseSourcedId": homeroom_course(school, c.school_year_id),
                "classCode": c.name,
                "classType": "homeroom",
                "schoolSourcedId": ids("org", "school", school.pk),
                "termSourcedIds": session_ids(school.pk, c.school_year_id),
            }
        )

    students_of: dict[int, list[int]] = {}
    student_orgs: dict[int, list[int]] = {}
    student_grade: dict[int, str] = {}
    for e in Enrolment.objects.order_by("school_year__year", "pk").iterator(5000):
        school = schools[e.school_id]
        students_of.setdefault(e.classroom_id, []).append(e.student_id)
        if e.school_id not in student_orgs.setdefault(e.student_id, []):
            student_orgs[e.student_id].append(e.school_id)
        student_grade[e.student_id] = grade_code(school.school_type, e.grade)
        enrollments.append(
            {
                "sourcedId": ids("enrollment", "student", e.pk),
                "classSourcedId": ids("class", "homeroom", e.classroom_id),
                "schoolSourcedId": ids("org", "school", e.school_id),
                "userSourcedId": ids("user", "student", e.student_id),
                "role": "student",
                "primary": "false",
                "beginDate": e.enrolled_on.isoformat(),
                "endDate": e.left_on.isoformat() if e.left_on else "",
            }
        )

    roles = RoleAssignment.objects.filter(is_draft=False).order_by("pk")
    staff_roles: dict[int, list[RoleAssignment]] = {}
    for role in roles:
        staff_roles.setdefault(role.staff_id, []).append(role)
        if role.role == Role.HOMEROOM and role.classroom_id in classrooms:
            enrollments.append(
                {
                    "sourcedId": ids("enrollment", "homeroom", role.pk),
                    "classSourcedId": ids("class", "homeroom", role.classroom_id),
                    "schoolSourcedId": ids("org", "school", role.school_id),
                    "userSourcedId": ids("user", "staff", role.staff_id),
                    "role": "teacher",
                    "primary": "true",
                }
            )

    assignments = (
        TeachingAssignment.objects.filter(is_draft=False)
        .select_related("subject", "classroom", "group")
        .prefetch_related(
            Prefetch("teachers", queryset=Staff.objects.only("pk")),
            "group__students",
        )
        .order_by("pk")
    )
    for a in assignments:
        school = schools[a.school_id]
        course = ids("course", "subject", a.school_id, a.school_year_id, a.subject_id)
        courses.setdefault(
            course,
            {
                "sourcedId": course,
                "schoolYearSourcedId": ids("session", "year", a.school_year_id),
                "title": f"{year_of[a.school_year_id].year}年度 {school.name} {a.subject.name}",
                "courseCode": str(a.subject_id),
                "orgSourcedId": ids("org", "school", a.school_id),
                "subjects": a.subject.name,
            },
        )
        sourced = ids("class", "scheduled", a.pk)
        group = a.group.name if a.group_id else classrooms[a.classroom_id].label
        classes.append(
            {
                "sourcedId": sourced,
                "title": f"{school.name} {group} {a.subject.name}",
                "grades": grade_code(school.school_type, classrooms[a.classroom_id].grade)
                if a.classroom_id
                else "",
                "courseSourcedId": course,
                "classType": "scheduled",
                "schoolSourcedId": ids("org", "school", a.school_id),
                "termSourcedIds": session_ids(a.school_id, a.school_year_id),
                "subjects": a.subject.name,
            }
        )
        for number, teacher in enumerate(a.teachers.all()):
            enrollments.append(
                {
                    "sourcedId": ids("enrollment", "teaching", a.pk, teacher.pk),
                    "classSourcedId": sourced,
                    "schoolSourcedId": ids("org", "school", a.school_id),
                    "userSourcedId": ids("user", "staff", teacher.pk),
                    "role": "teacher",
                    "primary": "true" if number == 0 else "false",
                }
            )
            staff_roles.setdefault(teacher.pk, [])
        pupils = (
            [s.pk for s in a.group.students.all()]
            if a.group_id
            else students_of.get(a.classroom_id, [])
        )
        for student_id in pupils:
            enrollments.append(
                {
                    "sourcedId": ids("enrollment", "taught", a.pk, student_id),
                    "classSourcedId": sourced,
                    "schoolSourcedId": ids("org", "school", a.school_id),
                    "userSourcedId": ids("user", "student", student_id),
                    "role": "student",
                    "primary": "false",
                }
            )

    users, role_rows = [], []
    for student in Student.objects.order_by("pk").iterator(5000):
        family, given = split_name(student.name)
        sourced = ids("user", "student", student.pk)
        orgs_of = student_orgs.get(student.pk, [])
        users.append(
            {
                "sourcedId": sourced,
                "enabledUser": "true",
                "username": student.student_number or sourced,
                "givenName": given,
                "familyName": family,
                "identifier": student.student_number or "",
                "grades": student_grade.get(student.pk, ""),
                "primaryOrgSourcedId": ids("org", "school", orgs_of[-1]) if orgs_of else "",
            }
        )
        for number, school_id in enumerate(reversed(orgs_of)):
            role_rows.append(
                {
                    "sourcedId": ids("role", "student", student.pk, school_id),
                    "userSourcedId": sourced,
                    "roleType": "primary" if number == 0 else "secondary",
                    "role": "student",
                    "orgSourcedId": ids("org", "school", school_id),
                }
            )
    for person in Staff.objects.select_related("user").order_by("pk"):
        family, given = split_name(person.name)
        sourced = ids("user", "staff", person.pk)
        held: list[tuple[str, str]] = []
        for role in staff_roles.get(person.pk, []):
            org = ids("org", "school", role.school_id) if role.school_id else district
            pair = (ROLE_NAMES[Role(role.role)], org)
            if pair not in held:
                held.append(pair)
        users.append(
            {
                "sourcedId": sourced,
                "enabledUser": "true" if person.user.is_active else "false",
                "username": person.user.get_username(),
                "givenName": given,
                "familyName": family,
                "identifier": person.staff_number or "",
                "email": person.user.email,
                "primaryOrgSourcedId": held[0][1] if held else "",
            }
        )
        for number, (role_name, org) in enumerate(held):
            role_rows.append(
                {
                    "sourcedId": ids("role", "staff", person.pk, role_name, org),
                    "userSourcedId": sourced,
                    "roleType": "primary" if number == 0 else "secondary",
                    "role": role_name,
                    "orgSourcedId": org,
                }
            )

    written = {
        "orgs.csv": _csv(COLUMNS["orgs.csv"], orgs),
        "academicSessions.csv": _csv(COLUMNS["academicSessions.csv"], sessions),
        "courses.csv": _csv(COLUMNS["courses.csv"], courses.values()),
        "classes.csv": _csv(COLUMNS["classes.csv"], classes),
        "users.csv": _csv(COLUMNS["users.csv"], users),
        "roles.csv": _csv(COLUMNS["roles.csv"], role_rows),
        "enrollments.csv": _csv(COLUMNS["enrollments.csv"], enrollments),
    }
    manifest = [
        {"propertyName": "manifest.version", "value": MANIFEST_VERSION},
        {"propertyName": "oneroster.version", "value": VERSION},
    ]
    for entity in MANIFEST_FILES:
        mode = "bulk" if f"{entity}.csv" in written else "absent"
        manifest.append({"propertyName": f"file.{entity}", "value": mode})
    manifest += [
        {"propertyName": "source.systemName", "value": "Ai"},
        {"propertyName": "source.systemCode", "value": code},
    ]
    return {"manifest.csv": _csv(["propertyName", "value"], manifest), **written}
