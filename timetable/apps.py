from django.apps import AppConfig


class TimetableConfig(AppConfig):
    name = "timetable"
    urls = (("timetable/", "timetable.urls"),)
