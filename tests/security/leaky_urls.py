"""The tenant URLConf plus one page that forgot its check (for the matrix's own test)."""

from django.http import HttpResponse
from django.urls import path

from config.urls_tenant import urlpatterns as tenant_urlpatterns
from schools.models import Student


def leaky_student(request, pk: int) -> HttpResponse:
    """Shows any student's name to anyone: what the matrix must catch."""
    student = Student.objects.filter(pk=pk).first()
    return HttpResponse(f"<p>{student.name if student else ''}</p>")


urlpatterns = [
    path("leaky/students/<int:pk>/", leaky_student, name="leaky-student"),
    *tenant_urlpatterns,
]

handler500 = "config.errors.server_error"
