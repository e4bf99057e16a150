"""Spreadsheet import and export pages of the roster (namespace ``schools_io``)."""

app_name = "schools_io"

urlpatterns: list = []
