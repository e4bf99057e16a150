"""Hand-made FET files for the verification tests: a few activities and the rules under
test, written out in full so that each test reads as the situation it checks and fet-cl
can referee it."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Act:
    id: int
    teacher: str = "T"
    students: str = "S"
    subject: str = "X"
    duration: int = 1
    tags: tuple[str, ...] = ()
    group: int = 0


def fet_file(
    days: list[str],
    hours: list[str],
    acts: list[Act],
    time_rules: str = "",
    space_rules: str = "",
    students: str | None = None,
    rooms: str = "",
) -> bytes:
    """A FET 6 file. ``students``: the Students_List body (default: one year per set named
    by the activities); ``time_rules`` / ``space_rules``: raw constraint XML."""
    teachers = sorted({a.teacher for a in acts if a.teacher})
    subjects = sorted({a.subject for a in acts})
    tags = sorted({t for a in acts for t in a.tags})
    if students is None:
        students = "".join(
            f"<Year><Name>{escape(s)}</Name><Number_of_Students>0</Number_of_Students></Year>"
            for s in sorted({a.students for a in acts if a.students})
        )
    body = []
    for a in acts:
        body.append(
            "<Activity>"
            + (f"<Teacher>{escape(a.teacher)}</Teacher>" if a.teacher else "")
            + f"<Subject>{escape(a.subject)}</Subject>"
            + "".join(f"<Activity_Tag>{escape(t)}</Activity_Tag>" for t in a.tags)
            + (f"<Students>{escape(a.students)}</Students>" if a.students else "")
            + f"<Duration>{a.duration}</Duration><Total_Duration>{a.duration}</Total_Duration>"
            f"<Id>{a.id}</Id><Activity_Group_Id>{a.group}</Activity_Group_Id>"
            "<Active>true</Active><Comments></Comments></Activity>\n"
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<fet version="6.8.5"><Institution_Name>t</Institution_Name>
<Days_List><Number_of_Days>{len(days)}</Number_of_Days>{"".join(f"<Day><Name>{d}</Name></Day>" for d in days)}</Days_List>
<Hours_List><Number_of_Hours>{len(hours)}</Number_of_Hours>{"".join(f"<Hour><Name>{h}</Name></Hour>" for h in hours)}</Hours_List>
<Subjects_List>{"".join(f"<Subject><Name>{escape(s)}</Name></Subject>" for s in subjects)}</Subjects_List>
<Activity_Tags_List>{"".join(f"<Activity_Tag><Name>{escape(t)}</Name><Printable>true</Printable></Activity_Tag>" for t in tags)}</Activity_Tags_List>
<Teachers_List>{"".join(f"<Teacher><Name>{escape(t)}</Name></Teacher>" for t in teachers)}</Teachers_List>
<Students_List>{students}</Students_List>
<Activities_List>
{"".join(body)}</Activities_List>
<Buildings_List></Buildings_List>
<Rooms_List>{rooms}</Rooms_List>
<Time_Constraints_List>
<ConstraintBasicCompulsoryTime><Weight_Percentage>100</Weight_Percentage><Active>true</Active><Comments></Comments></ConstraintBasicCompulsoryTime>
{time_rules}
</Time_Constraints_List>
<Space_Constraints_List>
<ConstraintBasicCompulsorySpace><Weight_Percentage>100</Weight_Percentage><Active>true</Active><Comments></Comments></ConstraintBasicCompulsorySpace>
{space_rules}
</Space_Constraints_List>
</fet>
""".encode()


def min_days(ids: list[int], weight: float = 95, min_days: int = 1, same_day: bool = False) -> str:
    return (
        f"<ConstraintMinDaysBetweenActivities><Weight_Percentage>{weight:g}</Weight_Percentage>"
        f"<Consecutive_If_Same_Day>{'true' if same_day else 'false'}</Consecutive_If_Same_Day>"
        f"<Number_of_Activities>{len(ids)}</Number_of_Activities>"
        + "".join(f"<Activity_Id>{i}</Activity_Id>" for i in ids)
        + f"<MinDays>{min_days}</MinDays><Active>true</Active><Comments></Comments>"
        "</ConstraintMinDaysBetweenActivities>\n"
    )


def teacher_not_available(teacher: str, slots: list[tuple[str, str]]) -> str:
    return (
        "<ConstraintTeacherNotAvailableTimes><Weight_Percentage>100</Weight_Percentage>"
        f"<Teacher>{escape(teacher)}</Teacher><Number_of_Not_Available_Times>{len(slots)}"
        "</Number_of_Not_Available_Times>"
        + "".join(
            f"<Not_Available_Time><Day>{d}</Day><Hour>{h}</Hour></Not_Available_Time>"
            for d, h in slots
        )
        + "<Active>true</Active><Comments></Comments></ConstraintTeacherNotAvailableTimes>\n"
    )
