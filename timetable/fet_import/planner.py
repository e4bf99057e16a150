"""From a read FET file to the plan: matching names, lessons, the week."""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict

from schools import calendar, teaching
from schools.models import (
    Classroom,
    Role,
    RoleAssignment,
    SchoolType,
    Staff,
    Subject,
    TeachingAssignment,
    TeachingGroup,
)
from schools.spreadsheets import CellError
from timetable import curriculum, queries
from timetable.fet_import.changes import (
    AssignmentChange,
    FetImportPlan,
    GroupChange,
    PlannedLesson,
    RoomChange,
    Target,
    UnavailabilityChange,
)
from timetable.fet_import.names import COPY, Classes, Subjects, Teachers, room_kind_of_name, summary
from timetable.fet_import.reader import FetFile, Slot, norm, number, text_of
from timetable.fet_import.rules import Rules
from timetable.models import WEEKDAYS, Lesson, Unavailability
from timetable.planning import SPLIT_KINDS, SUBJECT_ROOMS

SCHOOL_WEEKDAYS = 5  # the grid and the pages show 月〜金


def _hour_periods(f: FetFile, periods: int, plan: FetImportPlan) -> dict[int, int] | None:
    """The file's hour index → the school's period; an hour that is a break on every day
    (「昼」) is not a period. None (with the reason) when the file has more hours."""
    lunch = [h for h in range(len(f.hours)) if all((d, h) in f.breaks for d in range(len(f.days)))]
    real = [h for h in range(len(f.hours)) if h not in lunch]
    if lunch:
        names = "・".join(f"「{f.hours[h]}」" for h in lunch)
        plan.notes.append(f"時限{names}は全曜日が休み時間なので校時に数えません。")
    if len(real) > periods:
        plan.file_errors.append(
            CellError(
                f"FETファイルの時限は1日{len(real)}時間ですが、この学校は1日{periods}校時です。"
                f"FETで時限を{periods}までにしてから書き出してください。",
                header="Hours_List",
            )
        )
        return None
    plan.hours = [f.hours[h] for h in real]
    return {h: i + 1 for i, h in enumerate(real)}


_DAY_WORDS = ("mon", "tue", "wed", "thu", "fri", "sat")


def _check_days(f: FetFile, plan: FetImportPlan) -> bool:
    if len(f.days) != SCHOOL_WEEKDAYS:
        plan.file_errors.append(
            CellError(
                f"FETファイルの曜日は{len(f.days)}日（{'・'.join(f.days[:7])}）ですが、"
                f"この学校の時間割は月〜金の{SCHOOL_WEEKDAYS}日です。",
                header="Days_List",
            )
        )
        return False
    for i, name in enumerate(f.days):
        n = norm(name).lower()
        known = next((k for k, (_, ja) in enumerate(WEEKDAYS) if n.startswith(ja)), None)
        if known is None:
            known = next((k for k, w in enumerate(_DAY_WORDS) if n.startswith(w)), None)
        if known is not None and known != i:
            plan.file_errors.append(
                CellError(
                    f"{i + 1}番目の曜日「{name}」が{WEEKDAYS[i][1]}曜日ではありません。"
                    "曜日は月〜金の順にしてください。",
                    header="Days_List",
                )
            )
            return False
    return True


class Planner:
    def __init__(self, plan: FetImportPlan, f: FetFile):
        self.plan, self.f = plan, f
        school, year = plan.school, plan.year
        self.classes = list(Classroom.objects.filter(school=school, school_year=year))
        self.cls = Classes(self.classes)
        self.teachers = Teachers(
            queries.school_staff(school, year), list(Staff.objects.only("pk", "name"))
        )
        self.subjects = Subjects(curriculum.subjects_of(school))
        self.errors: list[CellError] = []
        self.missing_teachers: Counter = Counter()
        self.missing_subjects: Counter = Counter()
        self.missing_sets: Counter = Counter()
        self.located: set[int] = set()
        self.subject_of = {a.id: a.subject for a in f.activities}

    def error(self, message: str, where: str = "") -> None:
        self.plan.file_errors.append(CellError(message, header=where))

    # students ------------------------------------------------------------------------
    def student_sets(self) -> dict[str, tuple]:
        """Set name → ("class", c) | ("part", c, part) | ("classes", [c...]); unmatched absent."""
        out: dict[str, tuple] = {}
        self.unmatched: dict[str, str] = {}
        for y in self.f.years:
            whole = self.cls.match(y.name)
            if whole is not None:
                out[y.name] = ("class", whole)
                for g, subs in y.groups:
                    out.setdefault(g, ("part", whole, self._part(g, whole, y.name)))
                    for s in subs:
                        out.setdefault(s, ("part", whole, self._part(s, whole, y.name)))
                continue
            members = []
            for g, subs in y.groups:
                c = self.cls.match(g, y.name)
                if c is None:
                    self.unmatched[g] = y.name
                    continue
                members.append(c)
                out[g] = ("class", c)
                for s in subs:
                    out.setdefault(s, ("part", c, self._part(s, c, g, y.name)))
            if members and len(members) == len(y.groups):
                out[y.name] = ("classes", members)
            else:
                self.unmatched.setdefault(y.name, "")
        return out

    @staticmethod
    def _part(name: str, c: Classroom, *prefixes: str) -> str:
        if "/" in name:  # Ai's own export: 「1年1組/1年数学A」
            return name.split("/", 1)[1]
        n = unicodedata.normalize("NFKC", name).strip()
        for p in sorted({c.label, *prefixes}, key=len, reverse=True):
            p = unicodedata.normalize("NFKC", p).strip()
            if p and n.startswith(p):
                n = n[len(p) :].strip(" -_./・")
                break
        return n or name

    # the plan --------------------------------------------------------------------------
    def run(self) -> None:
        plan, f = self.plan, self.f
        periods = calendar.periods_per_day(plan.school)
        days_ok = _check_days(f, plan)
        hour_map = _hour_periods(f, periods, plan)
        plan.days = len(f.days)
        sets = self.student_sets()
        used = [a for a in f.activities if a.students]
        # targets of each activity
        homerooms: dict[int, set[int]] = defaultdict(set)
        if plan.school.school_type == SchoolType.ELEMENTARY:
            for c, s in RoleAssignment.objects.filter(
                role=Role.HOMEROOM, classroom__in=self.classes, is_draft=False
            ).values_list("classroom_id", "staff_id"):
                homerooms[c].add(s)
        existing_groups = {
            g.name: g
            for g in TeachingGroup.objects.filter(school=plan.school, school_year=plan.year)
            .prefetch_related("classes")
            .order_by("name")
        }
        combined_by_classes = {
            frozenset(c.pk for c in g.classes.all()): g
            for g in existing_groups.values()
            if g.kind not in SPLIT_KINDS
        }
        group_classes: dict[str, set[int]] = defaultdict(set)
        group_kind: dict[str, str] = {}
        act_target: dict[int, tuple[Target, str, bool]] = {}
        act_teachers: dict[int, tuple[int, ...]] = {}
        act_subject: dict[int, Subject] = {}
        by_pk = {c.pk: c for c in self.classes}
        for a in used:
            where = f"活動 {a.id}"
            ok = True
            subject = self.subjects.match(a.subject)
            if subject is None:
                self.missing_subjects[a.subject] += 1
                ok = False
            teacher_ids = []
            for t in a.teachers:
                s, ambiguous = self.teachers.match(t)
                if s is None:
                    self.missing_teachers[(t, ambiguous)] += 1
                    ok = False
                else:
                    teacher_ids.append(s.pk)
            resolved = []
            for name in a.students:
                r = sets.get(name)
                if r is None:
                    self.missing_sets[name] += 1
                    ok = False
                else:
                    resolved.append(r)
            if not ok:
                continue
            wholes = [r for r in resolved if r[0] != "part"]
            parts = [r for r in resolved if r[0] == "part"]
            if wholes and parts:
                self.error(
                    "学級全体と、学級の一部（グループ）が同じ活動に入っています。"
                    "FETで活動を分けてください。",
                    where,
                )
                continue
            if wholes:
                cs = {c.pk for r in wholes for c in ([r[1]] if r[0] == "class" else r[1])}
                if len(cs) == 1:
                    (cid,) = cs
                    target, label, split = ("class", cid), by_pk[cid].label, False
                else:
                    key = frozenset(cs)
                    g = combined_by_classes.get(key)
                    name = g.name if g else summary(by_pk[c] for c in cs) + "合同"
                    target, label, split = ("group", name), name, False
                    group_classes[name] |= cs
                    group_kind.setdefault(name, g.kind if g else TeachingGroup.Kind.COMBINED)
            else:
                part_names = {r[2] for r in parts}
                cs = {r[1].pk for r in parts}
                if len(part_names) == 1:
                    (p,) = part_names
                    ai_style = all("/" in n for n in a.students)
                    name = p if ai_style or "年" in p else f"{summary(by_pk[c] for c in cs)} {p}"
                else:
                    name = "・".join(sorted(a.students))
                name = name[:40]
                target, label, split = ("group", name), name, True
                group_classes[name] |= cs
                g = existing_groups.get(name)
                group_kind.setdefault(name, g.kind if g else TeachingGroup.Kind.SPLIT)
            act_target[a.id] = (target, label, split)
            act_teachers[a.id] = tuple(dict.fromkeys(teacher_ids))
            act_subject[a.id] = subject
        self._name_errors()
        self._groups(group_classes, group_kind, existing_groups, by_pk)
        rooms = self._rooms()
        self._assignments(used, act_target, act_teachers, act_subject, homerooms)
        if hour_map is not None:
            self._unavailability(hour_map)
        if hour_map is not None and days_ok:
            self._lessons(used, act_target, act_teachers, act_subject, hour_map, rooms)
        self._constraints(used, act_target, act_subject, hour_map or {}, rooms)
        plan.classes = sorted(
            {by_pk[t[1]] for t, _, _ in act_target.values() if t[0] == "class"},
            key=lambda c: (c.grade or 0, c.sort_order, c.name),
        )

    def _name_errors(self) -> None:
        for name, n in sorted(self.missing_sets.items()):
            year = self.unmatched.get(name, "")
            where = f"学年「{year}」の" if year else ""
            self.error(
                f"{where}「{name}」に当たる学級がこの学校の{self.plan.year}にありません（活動 {n}件）。"
                "FETで名前を「1年1組」または学年「1年」・組「1組」の形に直してください。",
                "Students_List",
            )
        for (name, ambiguous), n in sorted(self.missing_teachers.items()):
            if ambiguous:
                message = f"教員「{name}」に当たる教職員が複数います（活動 {n}件）。FETで氏名をフルネームにしてください。"
            else:
                message = (
                    f"教員「{name}」が Ai の教職員にいません（活動 {n}件）。"
                    "FETファイルから教職員のアカウントは作りません。先に教職員を登録するか、"
                    "FETでの名前を Ai の氏名に直してください。"
                )
            self.error(message, "Teachers_List")
        for name, n in sorted(self.missing_subjects.items()):
            self.error(
                f"教科「{name}」がこの学校の教科にありません（活動 {n}件）。"
                "FETで教科名を 数学・外国語 などに直すか、学校独自の教科として登録してください。",
                "Subjects_List",
            )

    def _groups(self, classes, kinds, existing, by_pk) -> None:
        for name in sorted(classes):
            want = sorted((by_pk[c] for c in classes[name]), key=lambda c: (c.grade or 0, c.name))
            g = existing.get(name)
            if g is None:
                status = "new"
            elif {c.pk for c in g.classes.all()} >= {c.pk for c in want}:
                status = "same"
                want = sorted(g.classes.all(), key=lambda c: (c.grade or 0, c.name))
            else:
                status = "changed"
                want = sorted({*g.classes.all(), *want}, key=lambda c: (c.grade or 0, c.name))
            self.plan.groups.append(GroupChange(name, kinds[name], want, g, status))

    def _rooms(self) -> dict[str, str]:
        """The file's room name → the Ai room name (copies 「体育館(1)」「体育館(2)」 → 体育館)."""
        names = [n for n, virtual in self.f.rooms if n and not virtual]
        virtual = sum(1 for _, v in self.f.rooms if v)
        if virtual:
            self.f.not_kept["仮想の教室 (Virtual room)"] += virtual
        copies: dict[str, list[str]] = defaultdict(list)
        for n in names:
            found = COPY.match(n)
            if found:
                copies[found.group(1)].append(n)
        mapping: dict[str, str] = {}
        capacity: Counter = Counter()
        for n in names:
            found = COPY.match(n)
            base = found.group(1) if found and len(copies[found.group(1)]) >= 2 else n
            mapping[n] = base
            capacity[base] += 1
        existing = {norm(r.name): r for r in queries.rooms_of(self.plan.school)}
        kinds = self._room_kinds(mapping)
        for base in dict.fromkeys(mapping.values()):
            if len(base) > 30:
                self.error(f"教室名「{base}」が長すぎます（30文字まで）。", "Rooms_List")
                continue
            cap = min(capacity[base], 20)
            r = existing.get(norm(base))
            if r is None:
                kind = kinds.get(base) or room_kind_of_name(base)
                self.plan.rooms.append(RoomChange(base, kind, cap, None, "new"))
            else:
                status = "same" if r.capacity == cap else "changed"
                self.plan.rooms.append(RoomChange(r.name, r.kind, cap, r, status))
        return mapping

    def _room_kinds(self, mapping: dict[str, str]) -> dict[str, str]:
        """A room preferred by the activities of 理科 is a 理科室 (Ai seats subjects by kind)."""
        subject_of = {a.id: a.subject for a in self.f.activities}
        votes: dict[str, Counter] = defaultdict(Counter)
        for tag, el in self.f.others:
            if "PreferredRoom" not in tag or "Teacher" in tag or "Students" in tag:
                continue
            subjects = []
            if tag.startswith("ConstraintSubject"):
                subjects = [text_of(el, "Subject")]
            elif tag.startswith("ConstraintActivityPreferred"):
                subjects = [subject_of.get(number(text_of(el, "Activity_Id"), -1), "")]
            rooms = [(r.text or "").strip() for r in el.findall("Preferred_Room")] or [
                text_of(el, "Room")
            ]
            for s in subjects:
                subject = self.subjects.match(s)
                kinds = SUBJECT_ROOMS.get(subject.name if subject else "", ())
                for r in rooms:
                    if r in mapping:
                        for k in kinds:
                            votes[mapping[r]][k] += 1
        out = {}
        for room, counter in votes.items():
            by_name = room_kind_of_name(room)
            out[room] = by_name if by_name in counter else counter.most_common(1)[0][0]
        return out

    def _assignments(self, used, act_target, act_teachers, act_subject, homerooms) -> None:
        plan = self.plan
        periods: Counter = Counter()
        teachers: dict[tuple, list[int]] = defaultdict(list)
        labels: dict[tuple, str] = {}
        differ: set[tuple] = set()
        for a in used:
            if a.id not in act_target:
                continue
            target, label, _ = act_target[a.id]
            key = (target, act_subject[a.id].pk)
            periods[key] += a.duration
            if key in teachers and set(teachers[key]) != set(act_teachers[a.id]):
                differ.add(key)
            teachers[key] = list(dict.fromkeys([*teachers[key], *act_teachers[a.id]]))
            labels[key] = label
        existing: dict[tuple, TeachingAssignment] = {}
        for x in teaching.assignments_of(plan.school, plan.year):
            t = ("class", x.classroom_id) if x.classroom_id else ("group", x.group.name)
            existing[(t, x.subject_id)] = x
        subjects = {s.pk: s for s in act_subject.values()}
        staff = {
            s.pk: s
            for s in Staff.objects.filter(pk__in={t for ts in teachers.values() for t in ts})
        }
        for key in sorted(periods, key=lambda k: (labels[k], subjects[k[1]].sort_order)):
            target, subject_id = key
            ids = teachers[key]
            if target[0] == "class" and ids and set(ids) == homerooms.get(target[1], {-1}):
                ids = []  # elementary: the homeroom teacher teaches what no 専科 does
            if key in differ:
                plan.notes.append(
                    f"{labels[key]} {subjects[subject_id].name}: 活動ごとに教員が違うため、"
                    "全員をこの担当の教員にします。"
                )
            old = existing.get(key)
            want = [staff[t] for t in ids]
            if old is None:
                status, before = "new", ""
            else:
                same = (
                    int(old.weekly_periods) == old.weekly_periods == periods[key]
                    and {t.pk for t in old.teachers.all()} == set(ids)
                    and not old.is_draft
                )
                status = "same" if same else "changed"
                before = f"{old.weekly_periods.normalize()}時間・" + (
                    "・".join(t.name for t in old.teachers.all()) or "（学級担任）"
                )
            plan.assignments.append(
                AssignmentChange(
                    target,
                    labels[key],
                    subjects[subject_id],
                    periods[key],
                    want,
                    old,
                    status,
                    before,
                )
            )
        plan.untouched = sum(1 for k in existing if k not in periods)

    def _unavailability(self, hour_map: dict[int, int]) -> None:
        plan = self.plan
        rows = Unavailability.objects.filter(school=plan.school, school_year=plan.year)
        before: dict[int, set[Slot]] = defaultdict(set)
        for staff_id, d, p in rows.values_list("staff_id", "weekday", "period"):
            before[staff_id].add((d, p))
        seen: set[int] = set()
        for name in dict.fromkeys([*self.f.teachers, *self.f.unavailable]):
            s, _ = self.teachers.match(name)
            if s is None:
                if name in self.f.unavailable and self.f.unavailable[name]:
                    self.f.not_kept["ConstraintTeacherNotAvailableTimes（Aiにいない教員）"] += 1
                continue
            if s.pk in seen:
                continue
            seen.add(s.pk)
            after = {(d, hour_map[h]) for d, h in self.f.unavailable.get(name, ()) if h in hour_map}
            if after != before.get(s.pk, set()):
                plan.unavailability.append(UnavailabilityChange(s, before.get(s.pk, set()), after))
            if name in self.f.unavailable:
                self.f.kept["ConstraintTeacherNotAvailableTimes"] += 1

    def _lessons(self, used, act_target, act_teachers, act_subject, hour_map, rooms) -> None:
        plan, f = self.plan, self.f
        mine = [a for a in used if a.id in act_target]
        plan.with_week = bool(mine) and all(a.id in f.starts for a in mine)
        located = [a for a in mine if a.id in f.starts]
        self.located = {a.id for a in located}
        if not located:
            return
        for a in located:
            starts = f.starts[a.id]
            start = starts[0]
            if len({(s.day, s.hour) for s in starts}) > 1:
                self.error("同じ活動に違う開始時刻が固定されています。", f"活動 {a.id}")
                continue
            hours = [start.hour + k for k in range(a.duration)]
            if any(h not in hour_map for h in hours) or any(
                hour_map[h] != hour_map[hours[0]] + k for k, h in enumerate(hours)
            ):
                self.error(
                    f"{f.days[start.day]} {f.hours[start.hour]}から{a.duration}時限の授業が、"
                    "休み時間か1日の終わりにかかります。",
                    f"活動 {a.id}",
                )
                continue
            if a.duration > 4:
                self.error("5時限以上続く授業は取り込めません。", f"活動 {a.id}")
                continue
            target, label, split = act_target[a.id]
            pinned = any(s.permanent for s in starts) if plan.with_week else True
            plan.lessons.append(
                PlannedLesson(
                    target,
                    label,
                    act_subject[a.id],
                    act_teachers[a.id],
                    start.day,
                    hour_map[start.hour],
                    a.duration,
                    rooms.get(f.locked_rooms.get(a.id, ""), ""),
                    pinned,
                    split,
                )
            )
        for a in located:
            f.kept["ConstraintActivityPreferredStartingTime"] += len(f.starts[a.id])
        timetable = plan.timetable
        if timetable is None:
            return
        existing = list(
            Lesson.objects.filter(timetable=timetable)
            .select_related("group")
            .prefetch_related("teachers")
        )
        if plan.with_week:
            plan.removed = sorted(x.pk for x in existing)
        else:
            self._pins_replace(existing)
        # the same lessons again (the file imported twice): nothing to change
        rooms_now = {r.name: r.room.pk for r in plan.rooms if r.room is not None}
        removed = set(plan.removed)

        def key(target, subject, teachers, x) -> tuple:
            return (target, subject, tuple(sorted(teachers)), x.weekday, x.period, x.length)

        # a lesson the file places where it is today keeps today's room when the file has
        # none (Ai's own file carries times, not rooms)
        rooms_today: dict[tuple, list[int | None]] = defaultdict(list)
        for x in existing:
            if x.pk in removed:
                t = ("class", x.classroom_id) if x.classroom_id else ("group", x.group.name)
                teachers = [t.pk for t in x.teachers.all()]
                rooms_today[key(t, x.subject_id, teachers, x)].append(x.room_id)
        for x in plan.lessons:
            same = rooms_today.get(key(x.target, x.subject.pk, x.teachers, x))
            if x.room:
                x.room_id = rooms_now.get(x.room)
            elif same:
                x.room_id = same.pop(0)
        old = Counter(
            (
                *key(
                    ("class", x.classroom_id) if x.classroom_id else ("group", x.group.name),
                    x.subject_id,
                    [t.pk for t in x.teachers.all()],
                    x,
                ),
                x.room_id,
                x.pinned,
            )
            for x in existing
            if x.pk in removed
        )
        new = Counter(
            (*key(x.target, x.subject.pk, x.teachers, x), x.room_id, x.pinned) for x in plan.lessons
        )
        if old == new:
            plan.lessons, plan.removed = [], []
            return
        plan.differing = sum((new - old).values())
        # what the removed lessons show today, cell by cell, for the page's comparison
        group_classes = {
            g.pk: [c.pk for c in g.classes.all()]
            for g in TeachingGroup.objects.filter(school=plan.school, school_year=plan.year)
        }
        subjects = {s.pk: s.short_name or s.name for s in self.subjects.by_name.values()}
        for x in existing:
            if x.pk not in removed:
                continue
            for c in [x.classroom_id] if x.classroom_id else group_classes.get(x.group_id, []):
                for k in range(x.length):
                    text = subjects.get(x.subject_id, "?") + ("※" if x.pinned else "")
                    plan.now_cells[(c, x.weekday, x.period + k)].append(text)

    def _pins_replace(self, existing: list[Lesson]) -> None:
        """Rules only: the file's pins replace the timetable's pins and whatever lesson of
        the same classes they would sit on."""
        plan = self.plan
        group_classes = {
            g.pk: {c.pk for c in g.classes.all()}
            for g in TeachingGroup.objects.filter(school=plan.school, school_year=plan.year)
        }
        planned_classes = {g.name: {c.pk for c in g.classes} for g in plan.groups}

        def classes_of_new(x: PlannedLesson) -> set[int]:
            return (
                {x.target[1]} if x.target[0] == "class" else planned_classes.get(x.target[1], set())
            )

        taken = {
            (c, x.weekday, x.period + k)
            for x in plan.lessons
            for c in classes_of_new(x)
            for k in range(x.length)
        }
        for x in existing:
            cs = {x.classroom_id} if x.classroom_id else group_classes.get(x.group_id, set())
            if x.pinned or any(
                (c, x.weekday, x.period + k) in taken for c in cs for k in range(x.length)
            ):
                plan.removed.append(x.pk)

    def _constraints(self, used, act_target, act_subject, hour_map, rooms) -> None:
        f, plan = self.f, self.plan
        key_of = {
            a.id: (act_target[a.id][0], act_subject[a.id].pk) for a in used if a.id in act_target
        }
        split = {a.id for a in used if a.id in act_target and act_target[a.id][2]}
        group_classes = {g.name: frozenset(c.pk for c in g.classes) for g in plan.groups}
        skipped = {a.id for a in f.activities if not a.students}
        lunch = {
            (d, h) for d in range(len(f.days)) for h in range(len(f.hours)) if h not in hour_map
        }
        room_kinds = {r.name: r.kind for r in plan.rooms}
        done = Rules(self, used, key_of, act_subject, hour_map).run() if hour_map else set()
        for tag, el in f.others:
            if id(el) in done:
                continue
            ids = [number((x.text or ""), -1) for x in el.findall("Activity_Id")]
            if (
                tag == "ConstraintActivityPreferredRoom"
                and ids
                and ids[0] in self.located
                and number(text_of(el, "Weight_Percentage") or "100", 100) >= 100
            ):
                f.kept[tag + "（授業の教室）"] += 1
                continue
            if (
                tag == "ConstraintMinDaysBetweenActivities"
                and number(text_of(el, "MinDays"), 0) == 1
            ):
                keys = {key_of.get(i) for i in ids}
                if len(keys) == 1 and None not in keys and len(ids) <= len(f.days):
                    f.kept[tag + "（同じ教科は1日1コマ: Aiの既定）"] += 1
                    continue
            elif tag == "ConstraintActivitiesSameStartingTime":
                real = [i for i in ids if i not in skipped]
                if len(real) <= 1 and len(ids) > 1:
                    f.kept[tag + "（特別教室の複数学級分: 教室の数に反映）"] += 1
                    continue
                keys = [key_of.get(i) for i in real]
                if all(i in split for i in real) and None not in keys:
                    subjects = {k[1] for k in keys}
                    classes = {group_classes.get(k[0][1]) for k in keys}
                    if len(subjects) == 1 and len(classes) == 1:
                        f.kept[tag + "（習熟度別の同時開講: Aiの既定）"] += 1
                        continue
            elif self._room_pref_kept(tag, el, act_subject, rooms, room_kinds):
                f.kept[tag + "（教室の種類に反映）"] += 1
                continue
            f.not_kept[tag] += 1
        for slots in f.break_rules:
            if hour_map and slots <= lunch:
                f.kept["ConstraintBreakTimes（昼休みなど）"] += 1
            else:
                f.not_kept[
                    "ConstraintBreakTimes（曜日ごとの校時数は自動作成の画面で選びます）"
                ] += 1
        unplaced = sum(len(v) for k, v in f.starts.items() if k not in self.located)
        if unplaced:
            f.not_kept["ConstraintActivityPreferredStartingTime（取り込まない活動）"] += unplaced
        if skipped:
            f.not_kept["生徒の指定が無い活動（会議・教室の予約など）"] += len(skipped)
        longer = sum(1 for a in used if a.duration > 2)
        if longer:
            f.not_kept["3時限以上続く活動（週時数に合算）"] += longer
        if f.inactive_constraints:
            plan.notes.append(
                f"無効（Active=false）の条件 {f.inactive_constraints}件は読みません。"
            )
        if f.inactive_activities:
            plan.notes.append(f"無効（Active=false）の活動 {f.inactive_activities}件は読みません。")
        plan.not_kept = sorted(f.not_kept.items())
        plan.kept = sorted(f.kept.items())

    def _room_pref_kept(self, tag, el, act_subject, rooms, room_kinds) -> bool:
        if "PreferredRoom" not in tag or "Teacher" in tag or "Students" in tag:
            return False
        wanted = [(r.text or "").strip() for r in el.findall("Preferred_Room")] or [
            text_of(el, "Room")
        ]
        if tag.startswith("ConstraintSubject"):
            subject = self.subjects.match(text_of(el, "Subject"))
        elif tag.startswith("ConstraintActivityPreferred"):
            aid = number(text_of(el, "Activity_Id"), -1)
            subject = act_subject.get(aid) or self.subjects.match(self.subject_of.get(aid, ""))
        else:
            return False
        kinds = SUBJECT_ROOMS.get(subject.name if subject else "", ())
        return bool(kinds) and all(room_kinds.get(rooms.get(r, "")) in kinds for r in wanted)
