"""Documents in the OpenAPI schema the error answers DRF gives for every operation (refused credentials or role,
unknown object, invalid parameter), so that clients and schema checks know every status code they can meet."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found

ERROR = {
    "type": "object",
    "description": 'Why the request failed: {"detail": message}, or for invalid parameters each field with its '
    'messages ({"year": ["A valid integer is required."]}).',
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]},
}
METHODS = {"get", "put", "post", "patch", "delete"}


def _answer(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FailedRequest"}}},
    }


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: 403 on every operation, 404 where the path names an object, 400 where
    a query parameter or a body can be invalid. Responses an operation already documents are kept."""
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("FailedRequest", ERROR)
    for _path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            params = operation.get("parameters", [])
            responses.setdefault(
                "403", _answer("Credentials refused, or a role this data needs (networks: planners and field agents).")
            )
            if any(p.get("in") == "path" for p in params):
                responses.setdefault("404", _answer("No such object, or not one the caller may see."))
            if operation.get("requestBody") or any(p.get("in") == "query" for p in params):
                responses.setdefault("400", _answer("An invalid parameter: each one named with its messages."))
    return result


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 for a URL no route matches (an id with a dot, say): JSON under /api/, as the API's own."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
