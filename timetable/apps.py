from django.apps import AppConfig

AUDIT_ACTIONS = {
    "timetable.bell_schedule.create": "校時表の作成",
    "timetable.bell_schedule.update": "校時表の変更",
    "timetable.bell_schedule.delete": "校時表の削除",
    "timetable.bell_day.set": "日ごとの校時表の設定",
    "timetable.room.create": "教室の登録",
    "timetable.room.update": "教室の変更",
    "timetable.room.delete": "教室の削除",
    "timetable.timetable.create": "時間割の作成",
    "timetable.week.replace": "学級の週時間割の保存",
    "timetable.daily_change.add": "時間割変更の登録",
    "timetable.daily_change.delete": "時間割変更の取消",
    "timetable.grid.export": "全校時間割のExcel出力",
    "timetable.teachers.export": "教員別時間割のExcel出力",
    "timetable.class_week.export": "学級の時間割のExcel出力",
    "timetable.teacher_week.export": "教員の週の授業のExcel出力",
    "timetable.hours.export": "授業時数のExcel出力",
    "timetable.grid.import": "全校時間割のExcel取り込み",
    "timetable.standard_hours.set": "標準授業時数の調整",
    "timetable.school_subject.create": "学校独自の教科の登録",
    "timetable.school_subject.update": "学校独自の教科の時数の変更",
    "timetable.school_subject.delete": "学校独自の教科の削除",
    "timetable.unavailability.set": "先生の授業不可時間の設定",
    "timetable.lesson.pin": "授業の固定",
    "timetable.fet.export": "時間割の条件のFETファイル出力",
    "timetable.timetable.generate": "時間割の自動作成の適用",
    # FET in (timetable/fet_import/)
    "timetable.fet.import": "FETファイルの取り込み",
    # 自動作成の決まり (timetable/rulebook.py)
    "timetable.generation_rules.set": "自動作成の決まりの変更",
    "timetable.double_period.set": "2時間続きの設定",
    "timetable.teacher_limit.set": "先生ごとの上限の設定",
    "timetable.slot_preference.create": "時間帯の希望の追加",
    "timetable.slot_preference.delete": "時間帯の希望の削除",
    # 自動作成の決まり at once: Excel out and in, the API (timetable/rules_excel.py, rulesets.py)
    "timetable.rules.export": "自動作成の決まりのExcel出力",
    "timetable.rules.import": "自動作成の決まりのExcel取り込み",
    "timetable.rules.replace": "自動作成の決まりの一括変更 (API)",
}


class TimetableConfig(AppConfig):
    name = "timetable"
    urls = (("timetable/", "timetable.urls"),)
    verbose_name = "時間割"

    def ready(self) -> None:
        from schools import audit

        audit.register_all(AUDIT_ACTIONS)

        from schools import signals
        from timetable import rollover

        signals.rollover_prepared.connect(rollover.prepared, dispatch_uid="timetable.rollover")
        signals.rollover_cancelled.connect(rollover.cancelled, dispatch_uid="timetable.rollover")
        signals.rollover_confirmed.connect(rollover.confirmed, dispatch_uid="timetable.rollover")
