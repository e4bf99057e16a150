"""The roster in the OneRoster 1.2 CSV layout, checked against the binding's rules.

The column lists and enumerations are written out here from the 1EdTech OneRoster 1.2 CSV
binding (not imported from the code under test); the rules: a manifest naming every file
(bulk / delta / absent) and the version, one header row in the binding's order, bulk rows
with blank status and dateLastModified, unique sourcedIds, references that resolve, the
enumerations, dates as YYYY-MM-DD, booleans as true/false, one primary role per user.
"""

from __future__ import annotations

import csv
import io
import re

from schools.leaving import oneroster
from schools.models import Enrolment, Staff, Student

SPEC = {
    "orgs.csv": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "academicSessions.csv": "sourcedId,status,dateLastModified,title,type,startDate,endDate,"
    "parentSourcedId,schoolYear",
    "courses.csv": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
    "orgSourcedId,subjects,subjectCodes",
    "classes.csv": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
    "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "users.csv": "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,"
    "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,"
    "userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,"
    "primaryOrgSourcedId,pronouns",
    "roles.csv": "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
    "orgSourcedId,userProfileSourcedId",
    "enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
    "userSourcedId,role,primary,beginDate,endDate",
}
MANIFEST_PROPERTIES = {
    f"file.{name}"
    for name in [
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
}
REQUIRED = {
    "orgs.csv": ["name", "type"],
    "academicSessions.csv": ["title", "type", "startDate", "endDate", "schoolYear"],
    "courses.csv": ["title", "orgSourcedId"],
    "classes.csv": ["title", "courseSourcedId", "classType", "schoolSourcedId", "termSourcedIds"],
    "users.csv": ["enabledUser", "username", "givenName", "familyName"],
    "roles.csv": ["userSourcedId", "roleType", "role", "orgSourcedId"],
    "enrollments.csv": ["classSourcedId", "schoolSourcedId", "userSourcedId", "role"],
}
ENUMS = {
    ("orgs.csv", "type"): {"department", "school", "district", "local", "state", "national"},
    ("academicSessions.csv", "type"): {"gradingPeriod", "semester", "schoolYear", "term"},
    ("classes.csv", "classType"): {"homeroom", "scheduled"},
    ("users.csv", "enabledUser"): {"true", "false"},
    ("enrollments.csv", "role"): {"administrator", "proctor", "student", "teacher"},
    ("enrollments.csv", "primary"): {"true", "false", ""},
    ("roles.csv", "roleType"): {"primary", "secondary"},
    ("roles.csv", "role"): {
        "aide",
        "counselor",
        "districtAdministrator",
        "guardian",
        "parent",
        "principal",
        "proctor",
        "relative",
        "siteAdministrator",
        "student",
        "systemAdministrator",
        "teacher",
    },
}
DATES = {
    "academicSessions.csv": ["startDate", "endDate"],
    "roles.csv": ["beginDate", "endDate"],
    "enrollments.csv": ["beginDate", "endDate"],
}


def read(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    assert not content.startswith(b"\xef\xbb\xbf")  # UTF-8 without a BOM
    reader = csv.DictReader(io.StringIO(content.decode("utf-8")))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def test_the_oneroster_files_follow_the_binding(demo_muni):
    files = oneroster.files(code=demo_muni.code, name=demo_muni.name)

    header, manifest = read(files["manifest.csv"])
    assert header == ["propertyName", "value"]
    properties = {row["propertyName"]: row["value"] for row in manifest}
    assert len(properties) == len(manifest)  # each property once
    assert properties["manifest.version"] == "1.0"
    assert properties["oneroster.version"] == "1.2"
    assert {p for p in properties if p.startswith("file.")} == MANIFEST_PROPERTIES
    for prop in MANIFEST_PROPERTIES:
        mode = properties[prop]
        assert mode in {"bulk", "delta", "absent"}
        assert (mode != "absent") == (f"{prop[5:]}.csv" in files), prop
    assert set(files) == {"manifest.csv", *SPEC}

    data = {}
    for name, expected in SPEC.items():
        header, rows = read(files[name])
        assert header == expected.split(","), name
        assert rows, name
        ids = [row["sourcedId"] for row in rows]
        assert all(ids) and len(set(ids)) == len(ids), name
        for row in rows:
            assert row["status"] == "" and row["dateLastModified"] == "", name  # bulk
            for column in REQUIRED[name]:
                assert row[column], (name, column, row)
            for column in DATES.get(name, []):
                assert row[column] == "" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[column])
        for (file, column), allowed in ENUMS.items():
            if file == name:
                assert {row[column] for row in rows} <= allowed, (name, column)
        data[name] = {row["sourcedId"]: row for row in rows}

    orgs, sessions = data["orgs.csv"], data["academicSessions.csv"]
    courses, classes = data["courses.csv"], data["classes.csv"]
    users, roles = data["users.csv"], data["roles.csv"]
    schools = {k for k, v in orgs.items() if v["type"] == "school"}
    for org in orgs.values():
        assert org["parentSourcedId"] in ("", *orgs)
    for session in sessions.values():
        assert re.fullmatch(r"\d{4}", session["schoolYear"])
        assert session["startDate"] <= session["endDate"]
        if session["type"] == "term":
            assert sessions[session["parentSourcedId"]]["type"] == "schoolYear"
    for course in courses.values():
        assert course["orgSourcedId"] in orgs
        assert sessions[course["schoolYearSourcedId"]]["type"] == "schoolYear"
    for klass in classes.values():
        assert klass["courseSourcedId"] in courses and klass["schoolSourcedId"] in schools
        assert all(t in sessions for t in klass["termSourcedIds"].split(","))
        assert klass["grades"] == "" or re.fullmatch(r"\d{2}", klass["grades"])
    for enrollment in data["enrollments.csv"].values():
        klass = classes[enrollment["classSourcedId"]]
        assert enrollment["userSourcedId"] in users
        assert enrollment["schoolSourcedId"] == klass["schoolSourcedId"]
    primaries: dict[str, int] = {}
    for role in roles.values():
        assert role["userSourcedId"] in users and role["orgSourcedId"] in orgs
        if role["roleType"] == "primary":
            primaries[role["userSourcedId"]] = primaries.get(role["userSourcedId"], 0) + 1
    assert set(primaries.values()) == {1}
    for user in users.values():
        assert user["primaryOrgSourcedId"] in ("", *orgs)

    # every pupil and member of staff is a user; every enrolment is an enrollment
    assert len(users) == Student.objects.count() + Staff.objects.count()
    pupils = [e for e in data["enrollments.csv"].values() if e["role"] == "student"]
    assert len(pupils) >= Enrolment.objects.count()
    # stable sourcedIds: the same rows get the same ids in every export
    assert oneroster.files(code=demo_muni.code, name=demo_muni.name) == files


def test_names_are_split_into_family_and_given_names():
    assert oneroster.split_name("山田 太郎") == ("山田", "太郎")
    assert oneroster.split_name("山田　花子") == ("山田", "花子")
    assert oneroster.split_name("ジョン") == ("ジョン", "ジョン")
    assert oneroster.grade_code("junior_high", 1) == "07"
    assert oneroster.grade_code("elementary", 6) == "06"
