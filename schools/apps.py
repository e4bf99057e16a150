from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = "名簿 (学校・学級・児童生徒・教職員)"
