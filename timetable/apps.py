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
    "timetable.unavailability.set": "先生の授業不可時間の設定",
}


class TimetableConfig(AppConfig):
    name = "timetable"
    urls = (("timetable/", "timetable.urls"),)
    verbose_name = "時間割"

    def ready(self) -> None:
        from schools import audit

        audit.register_all(AUDIT_ACTIONS)
