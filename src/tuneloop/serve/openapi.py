"""Make ``/openapi.json`` say what the server really does.

FastAPI's generated spec has two untruths for an OpenAI-compatible server: it documents a 422
``HTTPValidationError`` on every route (we answer 400 with OpenAI's error body), and it cannot
reference the streamed chunk schema. We patch both once, when the spec is first built, and say
in each operation's description which API-key scope it needs (its ``security`` entry already
lists it, from the route's ``require_scope`` dependency).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from tuneloop.serve.schemas import ChatCompletionChunk, ErrorResponse

__all__ = ["install_openapi"]

REF = "#/components/schemas/{model}"


def install_openapi(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        for model in (ChatCompletionChunk, ErrorResponse):
            generated = model.model_json_schema(ref_template=REF)
            schemas.update(generated.pop("$defs", {}))
            schemas[model.__name__] = generated
        for path in spec.get("paths", {}).values():
            for operation in path.values():
                responses = operation.get("responses", {})
                if "422" in responses:
                    del responses["422"]
                    responses.setdefault(
                        "400",
                        {
                            "description": "Invalid request",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": REF.format(model="ErrorResponse")}
                                }
                            },
                        },
                    )
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        _document_scopes(spec)
        app.openapi_schema = spec
        return spec

    app.openapi = build  # type: ignore[method-assign]


def _document_scopes(spec: dict[str, Any]) -> None:
    for path in spec.get("paths", {}).values():
        for operation in path.values():
            scopes = sorted(
                {s for req in operation.get("security", []) for v in req.values() for s in v}
            )
            if not scopes:
                continue
            needs = ", ".join(f"`{s}`" for s in scopes)
            line = f"Needs an API key with the scope {needs} (or `admin`)."
            described = operation.get("description")
            operation["description"] = f"{described}\n\n{line}" if described else line
