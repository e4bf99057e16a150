"""National subject lists (学習指導要領 2017): pure data used by migrations and the seed."""

# (name, short name, graded with 観点別評価 and 評定)
ELEMENTARY_SUBJECTS: tuple[tuple[str, str, bool], ...] = (
    ("国語", "国", True), ("社会", "社", True), ("算数", "算", True), ("理科", "理", True),
    ("生活", "生", True), ("音楽", "音", True), ("図画工作", "図", True), ("家庭", "家", True),
    ("体育", "体", True), ("外国語", "外", True),
    ("特別の教科 道徳", "道", False), ("外国語活動", "外活", False),
    ("総合的な学習の時間", "総", False), ("特別活動", "特", False),
)  # fmt: skip

JUNIOR_HIGH_SUBJECTS: tuple[tuple[str, str, bool], ...] = (
    ("国語", "国", True), ("社会", "社", True), ("数学", "数", True), ("理科", "理", True),
    ("音楽", "音", True), ("美術", "美", True), ("保健体育", "保体", True),
    ("技術・家庭", "技家", True), ("外国語", "英", True),
    ("特別の教科 道徳", "道", False), ("総合的な学習の時間", "総", False), ("特別活動", "特", False),
)  # fmt: skip

SUBJECTS_BY_TYPE = {
    "elementary": ELEMENTARY_SUBJECTS,
    "junior_high": JUNIOR_HIGH_SUBJECTS,
    # 義務教育学校: grades 1-6 follow the elementary list, 7-9 the junior high one.
    "compulsory": ELEMENTARY_SUBJECTS
    + tuple(s for s in JUNIOR_HIGH_SUBJECTS if s[0] not in {n for n, _, _ in ELEMENTARY_SUBJECTS}),
}


# 指導要録「出欠の記録」: (label, figure) in the national form's order; the attendance app
# computes the figures, the report card (通知表) shows them.
ATTENDANCE_RECORD: tuple[tuple[str, str], ...] = (
    ("授業日数", "school_days"),
    ("出席停止・忌引等の日数", "suspended_days"),
    ("出席しなければならない日数", "required_days"),
    ("欠席日数", "absent_days"),
    ("出席日数", "present_days"),
    ("遅刻", "late"),
    ("早退", "early"),
)
