import unicodedata

from django import forms

from tenants.provisioning import NewMunicipality, validate_new


class MunicipalityForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100, help_text="例: 富士吉田市")
    kana = forms.CharField(label="ふりがな", max_length=200, required=False)
    code = forms.CharField(
        label="団体コード (6桁)", max_length=6, help_text="検査数字を含む6桁 (例: 192023)"
    )
    subdomain = forms.CharField(label="サブドメイン", max_length=31, help_text="例: fujiyoshida")
    admin_username = forms.CharField(label="教育委員会管理者のログインID", max_length=150)
    admin_name = forms.CharField(label="教育委員会管理者の氏名", max_length=100)
    admin_password = forms.CharField(
        label="初期パスワード", widget=forms.PasswordInput(render_value=False), min_length=8
    )

    def clean_code(self) -> str:
        # Full-width digits typed with a Japanese IME are the same code.
        return unicodedata.normalize("NFKC", self.cleaned_data["code"]).strip()

    def clean_subdomain(self) -> str:
        return self.cleaned_data["subdomain"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        self.new = NewMunicipality(
            **{k: cleaned.get(k) or "" for k in NewMunicipality.__annotations__}
        )
        for field, messages in validate_new(self.new).items():
            for message in messages:
                self.add_error(field, message)
        return cleaned


class DeleteForm(forms.Form):
    confirm_schema = forms.CharField(label="削除するスキーマ名", max_length=63)
