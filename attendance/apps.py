from django.apps import AppConfig

AUDIT_ACTIONS = {
    "attendance.marks.save": "出欠の保存",
    "attendance.register.import": "出席簿の取込",
    "attendance.codes.update": "出欠記号の設定",
    "attendance.register.export": "出席簿の書き出し",
    "attendance.year_figures.export": "出席簿 (年間) の書き出し",
    "attendance.municipality_figures.export": "市全体の出欠の記録の書き出し",
}


class AttendanceConfig(AppConfig):
    name = "attendance"
    urls = (("attendance/", "attendance.urls"),)

    def ready(self) -> None:
        from schools import audit

        audit.register_all(AUDIT_ACTIONS)
