"""Demo roster of a municipality: a few schools, classes of fictional students, staff and roles.

Every name is fictional (common surnames and given names combined at random with a
seed fixed per municipality). The first elementary school is always 中央小学校 and the
first junior high 中央中学校, so the demo logins below exist in every municipality.
Seeding twice changes nothing: the schools are the marker.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from schools import services
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
    Subject,
    TeachingAssignment,
    Term,
)

DEMO_YEAR = 2026

DEMO_LOGINS = [
    ("中央小学校 校長", "principal-es1"),
    ("中央小学校 1年1組担任", "teacher-es1-1-1"),
    ("中央小学校 6年1組担任", "teacher-es1-6-1"),
    ("中央中学校 校長", "principal-jh1"),
    ("中央中学校 2年1組担任", "teacher-jh1-2-1"),
    ("中央中学校 数学 教科担任", "math-jh1"),
]

ELEMENTARY_NAMES = ("中央", "桜ヶ丘", "緑町", "旭")
JUNIOR_HIGH_NAMES = ("中央", "東")

# (kanji, kana)
SURNAMES = (
    ("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし"), ("田中", "たなか"),
    ("伊藤", "いとう"), ("渡辺", "わたなべ"), ("山本", "やまもと"), ("中村", "なかむら"),
    ("小林", "こばやし"), ("加藤", "かとう"), ("吉田", "よしだ"), ("山田", "やまだ"),
    ("佐々木", "ささき"), ("山口", "やまぐち"), ("松本", "まつもと"), ("井上", "いのうえ"),
    ("木村", "きむら"), ("林", "はやし"), ("斎藤", "さいとう"), ("清水", "しみず"),
    ("山崎", "やまざき"), ("森", "もり"), ("池田", "いけだ"), ("橋本", "はしもと"),
    ("阿部", "あべ"), ("石川", "いしかわ"), ("前田", "まえだ"), ("藤田", "ふじた"),
    ("小川", "おがわ"), ("岡田", "おかだ"), ("長谷川", "はせがわ"), ("村上", "むらかみ"),
    ("近藤", "こんどう"), ("坂本", "さかもと"), ("遠藤", "えんどう"), ("青木", "あおき"),
    ("渡部", "わたなべ"), ("東海林", "しょうじ"), ("小鳥遊", "たかなし"), ("五十嵐", "いがらし"),
)  # fmt: skip
GIVEN_F = (
    ("陽葵", "ひまり"), ("凛", "りん"), ("結菜", "ゆいな"), ("芽依", "めい"), ("葵", "あおい"),
    ("紬", "つむぎ"), ("澪", "みお"), ("結衣", "ゆい"), ("さくら", "さくら"), ("美咲", "みさき"),
    ("心春", "こはる"), ("杏", "あん"), ("莉子", "りこ"), ("花", "はな"), ("千尋", "ちひろ"),
)  # fmt: skip
GIVEN_M = (
    ("蓮", "れん"), ("陽翔", "はると"), ("湊", "みなと"), ("蒼", "あお"), ("樹", "いつき"),
    ("大翔", "ひろと"), ("悠真", "ゆうま"), ("朝陽", "あさひ"), ("颯太", "そうた"),
    ("律", "りつ"), ("健太", "けんた"), ("翔", "しょう"), ("拓海", "たくみ"), ("一郎", "いちろう"),
)  # fmt: skip
STAFF_GIVEN = (
    ("恵子", "けいこ"), ("誠", "まこと"), ("直子", "なおこ"), ("浩", "ひろし"), ("裕子", "ゆうこ"),
    ("学", "まなぶ"), ("真理", "まり"), ("修", "おさむ"), ("智子", "ともこ"), ("亮", "りょう"),
)  # fmt: skip
# Subject teachers of the junior high: (subject name, login prefix)
JH_SUBJECT_LOGINS = (
    ("国語", "japanese"), ("社会", "social"), ("数学", "math"), ("理科", "science"),
    ("音楽", "music"), ("美術", "art"), ("保健体育", "pe"), ("技術・家庭", "tech"),
    ("外国語", "english"),
)  # fmt: skip


def seed(municipality) -> None:
    code = municipality.code or "000000"
    rng = random.Random(code)
    n_es = 2 + int(code) % 2
    n_jh = 1 + (int(code) // 10) % 2
    plans = [(SchoolType.ELEMENTARY, f"es{i + 1}", ELEMENTARY_NAMES[i]) for i in range(n_es)] + [
        (SchoolType.JUNIOR_HIGH, f"jh{i + 1}", JUNIOR_HIGH_NAMES[i]) for i in range(n_jh)
    ]
    codes = [_mext_code(code, school_type, i) for i, (school_type, _, _) in enumerate(plans)]
    if School.objects.filter(mext_code__in=codes).exists():
        return  # already seeded

    year = SchoolYear.objects.filter(year=DEMO_YEAR).first()
    if year is None:
        state = (
            SchoolYear.State.PREPARING
            if SchoolYear.objects.filter(state=SchoolYear.State.CURRENT).exists()
            else SchoolYear.State.CURRENT
        )
        year = SchoolYear.objects.create(year=DEMO_YEAR, state=state)

    schools = School.objects.bulk_create(
        School(
            name=f"{name}{'小' if t == SchoolType.ELEMENTARY else '中'}学校",
            school_type=t,
            mext_code=mext,
        )
        for (t, _, name), mext in zip(plans, codes, strict=True)
    )
    Term.objects.bulk_create(
        Term(school=s, school_year=year, number=i, name=t.name, start=t.start, end=t.end)
        for s in schools
        for i, t in enumerate(services.term_preset("3", DEMO_YEAR), start=1)
    )

    # Classes: the first school of each type has two classes a grade, the others one.
    classes: list[tuple[School, str, Classroom]] = []
    for index, (school, (_, key, _)) in enumerate(zip(schools, plans, strict=True)):
        per_grade = 2 if key.endswith("1") else 1
        for grade in school.grades:
            for n in range(1, per_grade + 1):
                classes.append(
                    (
                        school,
                        key,
                        Classroom(
                            school=school,
                            school_year=year,
                            grade=grade,
                            name=f"{n}組",
                            sort_order=n,
                        ),
                    )
                )
        if index == 0:
            classes.append(
                (
                    school,
                    key,
                    Classroom(
                        school=school,
                        school_year=year,
                        name="なかよし学級",
                        is_special_needs=True,
                        sort_order=9,
                    ),
                )
            )
    Classroom.objects.bulk_create(c for _, _, c in classes)

    students, enrolments = _students(rng, code, classes, year)
    Student.objects.bulk_create(students, batch_size=1000)
    for e in enrolments:
        e.student_id = e.student.pk
    Enrolment.objects.bulk_create(enrolments, batch_size=1000)

    _staff(rng, schools, plans, classes, year)


def _mext_code(municipality_code: str, school_type: str, index: int) -> str:
    prefix = services.MEXT_TYPE_PREFIX[school_type]
    return f"{prefix}{municipality_code[:2]}2{municipality_code[2:5]}{index + 1:04d}0"


def _name(rng: random.Random, sex: str) -> tuple[str, str]:
    surname, surname_kana = rng.choice(SURNAMES)
    given, given_kana = rng.choice(GIVEN_F if sex == "F" else GIVEN_M)
    return f"{surname} {given}", f"{surname_kana} {given_kana}"


def _students(rng, code, classes, year):
    students: list[Student] = []
    enrolments: list[Enrolment] = []
    serial = 0
    for position, (school, _key, classroom) in enumerate(classes):
        size = rng.randint(4, 6) if classroom.is_special_needs else rng.randint(25, 35)
        people = []
        for _ in range(size):
            sex = rng.choice("MF")
            name, kana = _name(rng, sex)
            people.append((sex, name, kana))
        if position == 0:  # characters outside the BMP and variant kanji must survive
            people[0] = ("M", "𠮷田 拓海", "よしだ たくみ")
            people[1] = ("F", "髙橋 結衣", "たかはし ゆい")
        people.sort(key=lambda p: p[2])  # 出席番号 in 五十音順
        for roll, (sex, name, kana) in enumerate(people, start=1):
            serial += 1
            grade = classroom.grade or rng.choice(list(school.grades))
            birth_year = DEMO_YEAR - 6 - grade
            student = Student(
                student_number=f"{code}{serial:06d}",
                name=name,
                kana=kana,
                sex=sex,
                birth_date=dt.date(birth_year, 4, 2) + dt.timedelta(days=rng.randint(0, 364)),
            )
            students.append(student)
            enrolments.append(
                Enrolment(
                    student=student,
                    classroom=classroom,
                    school=school,
                    school_year=year,
                    grade=grade,
                    roll_number=roll,
                    enrolled_on=year.start,
                    entry=Enrolment.Entry.ADMISSION if grade == 1 else Enrolment.Entry.PROMOTION,
                )
            )
    return students, enrolments


def _staff(rng, schools, plans, classes, year) -> None:
    User = get_user_model()
    password = make_password(_demo_password())  # hashed once: the seed stays fast
    people: list[tuple[str, str, str]] = []  # (username, name, kana)
    roles: list[tuple[str, dict]] = []

    def person(username: str) -> None:
        surname, surname_kana = rng.choice(SURNAMES)
        given, given_kana = rng.choice(STAFF_GIVEN)
        people.append((username, f"{surname} {given}", f"{surname_kana} {given_kana}"))

    for school, (_, key, _) in zip(schools, plans, strict=True):
        person(f"principal-{key}")
        roles.append(
            (
                f"principal-{key}",
                dict(role=Role.SCHOOL_ADMIN, school=school, title=RoleAssignment.Title.PRINCIPAL),
            )
        )
    for school, key, classroom in classes:
        suffix = "sn" if classroom.is_special_needs else f"{classroom.grade}-{classroom.sort_order}"
        username = f"teacher-{key}-{suffix}"
        person(username)
        roles.append((username, dict(role=Role.HOMEROOM, school=school, classroom=classroom)))
    subjects = {s.name: s for s in Subject.objects.filter(school_type=SchoolType.JUNIOR_HIGH)}
    for school, (school_type, key, _) in zip(schools, plans, strict=True):
        if school_type != SchoolType.JUNIOR_HIGH:
            continue
        for subject_name, login in JH_SUBJECT_LOGINS:
            username = f"{login}-{key}"
            person(username)
            for c_school, _, classroom in classes:
                if c_school is school:
                    roles.append(
                        (
                            username,
                            dict(
                                role=Role.SUBJECT,
                                school=school,
                                classroom=classroom,
                                subject=subjects[subject_name],
                            ),
                        )
                    )

    existing = set(
        User.objects.filter(username__in=[p[0] for p in people]).values_list("username", flat=True)
    )
    new = [p for p in people if p[0] not in existing]
    users = User.objects.bulk_create(User(username=u, password=password) for u, _, _ in new)
    Staff.objects.bulk_create(
        Staff(user=user, name=name, kana=kana)
        for user, (_, name, kana) in zip(users, new, strict=True)
    )
    staff_by_username = {
        s.user.username: s
        for s in Staff.objects.select_related("user").filter(
            user__username__in=[p[0] for p in people]
        )
    }
    RoleAssignment.objects.bulk_create(
        RoleAssignment(staff=staff_by_username[username], school_year=year, **fields)
        for username, fields in roles
        if fields["role"] != Role.SUBJECT
    )
    # 教科担任 are teaching assignments (担当): one per class × subject and its teacher (the
    # timetable's demo fills in the weekly periods from the national standard).
    teaching = [
        (
            staff_by_username[username],
            TeachingAssignment(
                school=f["school"],
                school_year=year,
                classroom=f["classroom"],
                subject=f["subject"],
            ),
        )
        for username, f in roles
        if f["role"] == Role.SUBJECT
    ]
    created = TeachingAssignment.objects.bulk_create([a for _, a in teaching])
    Through = TeachingAssignment.teachers.through
    Through.objects.bulk_create(
        Through(teachingassignment_id=a.pk, staff_id=t.pk)
        for (t, _), a in zip(teaching, created, strict=True)
    )


def _demo_password() -> str:
    from tenants.demo import DEMO_PASSWORD

    return DEMO_PASSWORD
