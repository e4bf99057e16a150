from django import forms

from schools.models import Role


class StaffAccountForm(forms.Form):
    name = forms.CharField(label="氏名", max_length=100)
    kana = forms.CharField(label="ふりがな", max_length=200, required=False)
    username = forms.CharField(label="ログインID", max_length=150)
    password = forms.CharField(label="初期パスワード", widget=forms.PasswordInput, min_length=8)
    staff_number = forms.CharField(label="職員番号", max_length=20, required=False)
    boe_role = forms.ChoiceField(
        label="教育委員会の役割",
        required=False,
        choices=[
            ("", "なし (学校の教職員)"),
            (Role.BOE_ADMIN, Role.BOE_ADMIN.label),
            (Role.BOE_VIEWER, Role.BOE_VIEWER.label),
        ],
    )
