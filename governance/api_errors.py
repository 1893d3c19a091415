"""The API's single exception handler: every error is ``{"code", "message", "extra"}``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from governance.errors import DomainError


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def _first_field(detail, prefix: str = "") -> tuple[str, str] | None:
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            found = _first_field(value, path)
            if found:
                return found
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            found = _first_field(value, prefix if not isinstance(value, (dict, list)) else f"{prefix}[{index}]")
            if found:
                return found
    else:
        return prefix, str(detail)
    return None


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response({"code": exc.code, "message": exc.message, "extra": exc.extra}, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf.ValidationError):
        fields = _flatten(exc.detail)
        first = _first_field(exc.detail)
        message = f"{first[0]}: {first[1]}" if first and first[0] else (first[1] if first else "Invalid input.")
        response.data = {"code": "validation_failed", "message": message, "extra": {"fields": fields}}
    else:
        detail = exc.detail if isinstance(exc, drf.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"code": str(code), "message": str(detail), "extra": {}}
    return response
