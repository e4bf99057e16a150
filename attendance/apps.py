from django.apps import AppConfig

AUDIT_ACTIONS = {
    "attendance.marks.save": "出欠の保存",
    "attendance.register.import": "出席簿の取込",
    "attendance.codes.update": "出欠記号の設定",
    "attendance.municipality_figures.export": "出欠の記録 (市全体) の出力",
}


class AttendanceConfig(AppConfig):
    name = "attendance"

    def ready(self) -> None:
        from schools import audit

        audit.register_all(AUDIT_ACTIONS)
