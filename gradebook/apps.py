from django.apps import AppConfig

AUDIT_ACTIONS = {
    "gradebook.scores.save": "点数の保存",
    "gradebook.assessment.create": "評価項目の作成",
    "gradebook.assessment.update": "評価項目の変更",
    "gradebook.assessment.delete": "評価項目の削除",
    "gradebook.evaluation.override": "評価の修正",
    "gradebook.finalisation.finalise": "成績の確定",
    "gradebook.finalisation.cancel": "成績確定の取消",
    "gradebook.finalisation.seal": "過年度の成績の保存 (年度切替)",
    "gradebook.remarks.save": "所見の保存",
    "gradebook.conduct.save": "行動の記録・特別活動などの保存",
    "gradebook.settings.save": "評価基準の設定",
    "gradebook.layout.save": "通知表様式の保存",
    "gradebook.subject_thresholds.save": "教科別評価基準の設定",
    # exports and prints of pupils' grades (services.record_export)
    "gradebook.scores.export": "得点表の書き出し",
    "gradebook.class_list.export": "成績一覧表の書き出し・印刷",
    "gradebook.report_cards.export": "通知表の書き出し・印刷",
    # reads that leave an access log (audit.record_read)
    "gradebook.report_card.view": "通知表の閲覧",
}


class GradebookConfig(AppConfig):
    name = "gradebook"
    urls = (("grades/", "gradebook.urls"),)

    def ready(self) -> None:
        from schools import audit

        audit.register_all(AUDIT_ACTIONS)
        from gradebook import receivers  # noqa: F401  (connects the lifecycle receivers)
