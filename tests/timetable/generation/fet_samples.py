"""A small 中学校-like FET file written out in full, so the FET tests need only ``fet-cl``
(not the ``fet-data`` examples): 5 days × 6 periods with a lunch break, a teacher away on
Monday, double 理科 in the 理科室 not in period 1, 合同 体育 in the gym, split 国語/数学."""

from __future__ import annotations

from xml.sax.saxutils import escape

DAYS = ["月", "火", "水", "木", "金"]
HOURS = ["1", "2", "3", "4", "昼", "5"]


def _act(
    aid: int, teacher: str, subject: str, students: str, duration: int, group: int, total: int
) -> str:
    return (
        "<Activity>"
        f"<Teacher>{teacher}</Teacher><Subject>{subject}</Subject><Students>{students}</Students>"
        f"<Duration>{duration}</Duration><Total_Duration>{total}</Total_Duration><Id>{aid}</Id>"
        f"<Activity_Group_Id>{group}</Activity_Group_Id><Active>true</Active><Comments></Comments>"
        "</Activity>\n"
    )


def tiny_school_fet() -> str:
    acts: list[str] = []
    time_c: list[str] = []
    aid = 0

    def split(
        teacher: str,
        subject: str,
        students: str,
        n: int,
        duration: int = 1,
        min_days: float | None = 95,
    ) -> list[int]:
        nonlocal aid
        ids = []
        first = aid + 1
        for _ in range(n):
            aid += 1
            ids.append(aid)
            acts.append(
                _act(aid, teacher, subject, students, duration, first if n > 1 else 0, n * duration)
            )
        if n > 1 and min_days is not None:
            time_c.append(
                f"<ConstraintMinDaysBetweenActivities><Weight_Percentage>{min_days:g}</Weight_Percentage>"
                f"<Consecutive_If_Same_Day>true</Consecutive_If_Same_Day><Number_of_Activities>{n}</Number_of_Activities>"
                + "".join(f"<Activity_Id>{i}</Activity_Id>" for i in ids)
                + "<MinDays>1</MinDays><Active>true</Active><Comments></Comments></ConstraintMinDaysBetweenActivities>\n"
            )
        return ids

    for cls in ("1組", "2組"):
        split("田中", "国語", cls, 4)
        split("佐藤", "数学", cls, 4)
        split("鈴木", "理科", cls, 2, duration=2, min_days=100)
        split("高橋", "英語", cls, 3)
    split("伊藤", "体育", "1年", 2)

    def slots(tag: str, day_tag: str, hour_tag: str, pairs: list[tuple[str, str]]) -> str:
        return "".join(
            f"<{tag}><{day_tag}>{d}</{day_tag}><{hour_tag}>{h}</{hour_tag}></{tag}>"
            for d, h in pairs
        )

    lunch = [(d, "昼") for d in DAYS]
    time_c.insert(
        0,
        "<ConstraintBasicCompulsoryTime><Weight_Percentage>100</Weight_Percentage><Active>true</Active><Comments></Comments></ConstraintBasicCompulsoryTime>\n",
    )
    time_c.append(
        f"<ConstraintBreakTimes><Weight_Percentage>100</Weight_Percentage><Number_of_Break_Times>{len(lunch)}</Number_of_Break_Times>"
        + slots("Break_Time", "Day", "Hour", lunch)
        + "<Active>true</Active><Comments></Comments></ConstraintBreakTimes>\n"
    )
    away = [("月", h) for h in HOURS if h != "昼"]
    time_c.append(
        f"<ConstraintTeacherNotAvailableTimes><Weight_Percentage>100</Weight_Percentage><Teacher>田中</Teacher>"
        f"<Number_of_Not_Available_Times>{len(away)}</Number_of_Not_Available_Times>"
        + slots("Not_Available_Time", "Day", "Hour", away)
        + "<Active>true</Active><Comments></Comments></ConstraintTeacherNotAvailableTimes>\n"
    )
    # 2時間続きの理科は1校時に始めない
    starts = [(d, h) for d in DAYS for h in ("2", "3", "5")]
    time_c.append(
        "<ConstraintActivitiesPreferredStartingTimes><Weight_Percentage>100</Weight_Percentage>"
        "<Teacher_Name></Teacher_Name><Students_Name></Students_Name><Subject_Name>理科</Subject_Name>"
        f"<Activity_Tag_Name></Activity_Tag_Name><Duration></Duration><Number_of_Preferred_Starting_Times>{len(starts)}</Number_of_Preferred_Starting_Times>"
        + slots(
            "Preferred_Starting_Time", "Preferred_Starting_Day", "Preferred_Starting_Hour", starts
        )
        + "<Active>true</Active><Comments></Comments></ConstraintActivitiesPreferredStartingTimes>\n"
    )
    time_c.append(
        "<ConstraintTeacherMaxHoursDaily><Weight_Percentage>100</Weight_Percentage><Teacher_Name>佐藤</Teacher_Name>"
        "<Maximum_Hours_Daily>2</Maximum_Hours_Daily><Active>true</Active><Comments></Comments></ConstraintTeacherMaxHoursDaily>\n"
    )
    time_c.append(
        "<ConstraintStudentsMaxGapsPerWeek><Weight_Percentage>100</Weight_Percentage><Max_Gaps>3</Max_Gaps>"
        "<Active>true</Active><Comments></Comments></ConstraintStudentsMaxGapsPerWeek>\n"
    )
    space_c = [
        "<ConstraintBasicCompulsorySpace><Weight_Percentage>100</Weight_Percentage><Active>true</Active><Comments></Comments></ConstraintBasicCompulsorySpace>\n",
        "<ConstraintSubjectPreferredRoom><Weight_Percentage>100</Weight_Percentage><Subject>理科</Subject><Room>理科室</Room><Active>true</Active><Comments></Comments></ConstraintSubjectPreferredRoom>\n",
        "<ConstraintSubjectPreferredRoom><Weight_Percentage>100</Weight_Percentage><Subject>体育</Subject><Room>体育館</Room><Active>true</Active><Comments></Comments></ConstraintSubjectPreferredRoom>\n",
        "<ConstraintStudentsSetHomeRoom><Weight_Percentage>100</Weight_Percentage><Students>1組</Students><Room>1組教室</Room><Active>true</Active><Comments></Comments></ConstraintStudentsSetHomeRoom>\n",
        "<ConstraintStudentsSetHomeRoom><Weight_Percentage>100</Weight_Percentage><Students>2組</Students><Room>2組教室</Room><Active>true</Active><Comments></Comments></ConstraintStudentsSetHomeRoom>\n",
    ]
    teachers = ["田中", "佐藤", "鈴木", "高橋", "伊藤"]
    subjects = ["国語", "数学", "理科", "英語", "体育"]
    rooms = [("理科室", 40), ("体育館", 80), ("1組教室", 35), ("2組教室", 35)]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<fet version="5.41.0">\n',
        "<Institution_Name>テスト中学校</Institution_Name><Comments></Comments>\n",
        f"<Days_List><Number_of_Days>{len(DAYS)}</Number_of_Days>"
        + "".join(f"<Day><Name>{d}</Name></Day>" for d in DAYS)
        + "</Days_List>\n",
        f"<Hours_List><Number_of_Hours>{len(HOURS)}</Number_of_Hours>"
        + "".join(f"<Hour><Name>{h}</Name></Hour>" for h in HOURS)
        + "</Hours_List>\n",
        "<Subjects_List>"
        + "".join(f"<Subject><Name>{s}</Name><Comments></Comments></Subject>" for s in subjects)
        + "</Subjects_List>\n",
        "<Activity_Tags_List></Activity_Tags_List>\n",
        "<Teachers_List>"
        + "".join(
            f"<Teacher><Name>{t}</Name><Target_Number_of_Hours>0</Target_Number_of_Hours><Qualified_Subjects></Qualified_Subjects><Comments></Comments></Teacher>"
            for t in teachers
        )
        + "</Teachers_List>\n",
        "<Students_List><Year><Name>1年</Name><Number_of_Students>60</Number_of_Students><Comments></Comments>"
        "<Group><Name>1組</Name><Number_of_Students>30</Number_of_Students><Comments></Comments></Group>"
        "<Group><Name>2組</Name><Number_of_Students>30</Number_of_Students><Comments></Comments></Group>"
        "</Year></Students_List>\n",
        "<Activities_List>\n" + "".join(acts) + "</Activities_List>\n",
        "<Buildings_List></Buildings_List>\n",
        "<Rooms_List>"
        + "".join(
            f"<Room><Name>{escape(r)}</Name><Building></Building><Capacity>{c}</Capacity><Virtual>false</Virtual><Comments></Comments></Room>"
            for r, c in rooms
        )
        + "</Rooms_List>\n",
        "<Time_Constraints_List>\n" + "".join(time_c) + "</Time_Constraints_List>\n",
        "<Space_Constraints_List>\n" + "".join(space_c) + "</Space_Constraints_List>\n",
        "</fet>\n",
    ]
    return "".join(parts)
