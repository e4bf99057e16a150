from django.apps import AppConfig

AUDIT_ACTIONS = {
    "schools.school.create": "学校の登録",
    "schools.school.update": "学校の変更",
    "schools.school_year.open": "年度の開設",
    "schools.school_year.switch": "年度の切替",
    "schools.terms.set": "学期の設定",
    "schools.classroom.create": "学級の作成",
    "schools.classroom.delete": "学級の削除",
    "schools.classroom.renumber": "出席番号の振り直し",
    "schools.student.enrol": "入学・在籍登録",
    "schools.student.transfer_in": "転入",
    "schools.student.place": "学級への配置",
    "schools.student.update": "児童生徒情報の変更",
    "schools.student.change_class": "学級の変更",
    "schools.student.transfer_out": "転出",
    "schools.enrolment.set_roll_number": "出席番号の変更",
    "schools.staff.create": "教職員アカウントの作成",
    "schools.staff.import": "教職員の取込",
    "schools.role.assign": "役割の付与",
    "schools.role.remove": "役割の解除",
    "schools.role.confirm": "役割の確定",
    "schools.teaching.assign": "教科担任の付与",
    "schools.teaching.unassign": "教科担任の解除",
    "schools.teaching.save": "担当（教科・週時数）の保存",
    "schools.teaching.delete": "担当の削除",
    "schools.teaching.confirm": "担当の確定",
    "schools.group.create": "授業グループの作成",
    "schools.group.update": "授業グループの変更",
    "schools.group.delete": "授業グループの削除",
    "schools.rollover.prepare": "年度更新の準備",
    "schools.rollover.cancel": "年度更新の取消",
    "schools.rollover.confirm": "年度更新の確定",
    "schools.roster.import": "名簿の取込",
    "schools.vacation.add": "休業日の追加",
    "schools.vacation.delete": "休業日の削除",
    "schools.calendar_override.set": "授業日の変更",
    "schools.calendar_override.delete": "授業日の変更の取消",
    "schools.closure.add": "臨時休業・学級閉鎖の登録",
    "schools.closure.delete": "臨時休業・学級閉鎖の取消",
    "schools.class_roster.export": "学級名簿の書き出し",
    "schools.school_roster.export": "全校名簿の書き出し",
    "schools.staff_list.export": "教職員一覧の書き出し",
    "schools.audit_log.export": "操作記録の書き出し",
    # leaving with all the data (schools/leaving/)
    "schools.municipality_data.export": "全データの書き出し",
    "schools.archive.import": "全データの取り込み",
    # reads that leave an access log (audit.record_read)
    "schools.student.view": "児童生徒の記録の閲覧",
}


class SchoolsConfig(AppConfig):
    name = "schools"
    urls = (
        ("roster/io/", "schools.urls_excel"),
        ("roster/", "schools.urls"),
        ("jobs/", "schools.urls_jobs"),
    )
    verbose_name = "名簿 (学校・学級・児童生徒・教職員)"

    def ready(self) -> None:
        from schools import audit, calendar, receivers
        from tenants.signals import municipality_provisioned

        audit.register_all(AUDIT_ACTIONS)
        municipality_provisioned.connect(
            receivers.create_first_administrator, dispatch_uid="schools.first_administrator"
        )
        calendar.connect()  # the calendar is built when schools and years come into being
