from __future__ import annotations

from django.urls import NoReverseMatch
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from api.routers import router
from schools.models import Role, Staff
from schools.permissions import get_actor


class ApiRootView(APIView):
    """Ai REST API of this municipality: version 1 resources, the OpenAPI schema and its docs."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        links = {
            "me": reverse("api:me", request=request),
            "schema": reverse("api-schema", request=request),
            "docs": reverse("api-docs", request=request),
        }
        for prefix, _viewset, basename in router.registry:
            try:
                links[prefix] = reverse(f"api:{basename}-list", request=request)
            except NoReverseMatch:
                continue
        return Response({"municipality": request.tenant.name, "version": "v1", "links": links})


class MeView(APIView):
    """The logged-in user, their 教職員 record and roles."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "name": serializers.CharField(),
                "municipality": serializers.CharField(),
                "roles": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request: Request) -> Response:
        user = request.user
        staff = Staff.objects.filter(user=user).first()
        roles = []
        if staff is not None:
            roles = [
                {
                    "role": r.role,
                    "role_display": r.get_role_display(),
                    "school": r.school_id,
                    "school_year": r.school_year.year if r.school_year else None,
                    "classroom": r.classroom_id,
                    "subject": r.subject_id,
                }
                for r in staff.roles.filter(is_draft=False).select_related("school_year")
            ] + [
                {
                    "role": Role.SUBJECT.value,
                    "role_display": Role.SUBJECT.label,
                    "school": a.school_id,
                    "school_year": a.school_year.year,
                    "classroom": a.classroom_id,
                    "subject": a.subject_id,
                }
                for a in staff.teaching_assignments.filter(is_draft=False).select_related(
                    "school_year"
                )
            ]
        actor = get_actor(request)
        return Response(
            {
                "username": user.get_username(),
                "name": staff.name if staff else user.get_username(),
                "municipality": request.tenant.name,
                "municipality_code": request.tenant.code,
                "is_boe_admin": actor.is_boe_admin,
                "roles": roles,
            }
        )
