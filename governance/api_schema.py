"""OpenAPI generation: stable, unique names derived from the view classes.

Views declare nested ``InputSerializer`` / ``OutputSerializer`` classes (STYLE.md), so
component names come from the qualified name (``SubjectCreateApi.InputSerializer`` →
``SubjectCreateInput``) and operation IDs from the view class, not from URL shapes.
"""

from __future__ import annotations

import re

from drf_spectacular.openapi import AutoSchema


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class HelixAutoSchema(AutoSchema):
    def get_serializer_name(self, serializer, direction):
        cls = serializer if isinstance(serializer, type) else serializer.__class__
        parts = cls.__qualname__.split(".")
        if len(parts) == 1:
            return super().get_serializer_name(serializer, direction)
        outer = [p.removesuffix("Api").removesuffix("View") for p in parts[:-1]]
        return "".join(outer) + parts[-1].removesuffix("Serializer")

    def get_operation_id(self):
        view = type(self.view)
        name = _snake(view.__name__.removesuffix("Api").removesuffix("View"))
        methods = [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]
        if len(methods) > 1:
            name = f"{name}_{self.method.lower()}"
        return name
