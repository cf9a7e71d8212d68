"""The OpenAPI document: FastAPI's, plus the schemas of the bodies routes read themselves: the
iallocator input document (from the protocol models) for POST /allocate, the capacity request,
and those read with app.api.json_body, filed under components."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.schemas import CapacityRequest
from app.protocol import InputDocument

# Bodies the routes read and validate themselves (size-limited): their schemas by hand.
READ_BY_HAND = (InputDocument, CapacityRequest)

_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
_VALIDATION_ERROR = {"description": "validation error", "content": _ERROR_BODY}
# Every route that authenticates may refuse an address that failed to too often (app.core.ratelimit).
_RATE_LIMITED = {
    "description": "busy, or rate limited: too many failed authentications from this address",
    "content": _ERROR_BODY,
    "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
}


def document_body(
    description: str, examples: dict[str, tuple[str, Any]], required: bool = True
) -> dict[str, Any]:
    """`openapi_extra` of a route that reads an iallocator input document as its body itself:
    the document's schema, `description`, and examples by name as (summary, value)."""
    named = {key: {"summary": summary, "value": value} for key, (summary, value) in examples.items()}
    schema = {"$ref": "#/components/schemas/InputDocument"}
    body = {"required": required, "description": description}
    return {"requestBody": body | {"content": {"application/json": {"schema": schema, "examples": named}}}}


def _file_body_schemas(paths: dict[str, Any], components: dict[str, Any]) -> None:
    """Request body schemas given inline (json_body_openapi) become components and $refs."""
    for operations in paths.values():
        for operation in operations.values():
            if "requestBody" not in operation:
                continue
            # a copy: FastAPI puts the route's own openapi_extra dict here
            operation["requestBody"] = body = copy.deepcopy(operation["requestBody"])
            for media in body.get("content", {}).values():
                inline = media.get("schema", {})
                if "title" in inline and "$ref" not in inline:
                    components.update(inline.pop("$defs", {}))
                    components[inline["title"]] = inline
                    media["schema"] = {"$ref": f"#/components/schemas/{inline['title']}"}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in READ_BY_HAND:
                document = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(document.pop("$defs", {}))
                components[model.__name__] = document
            what_if = components["CapacityRequest"]["properties"]["document"]["anyOf"]
            what_if[0] = {"$ref": "#/components/schemas/InputDocument"}
            _file_body_schemas(schema["paths"], components)
            body = schema["paths"]["/allocate"]["post"]["requestBody"]["content"]["application/json"]
            body["schema"] = {"$ref": "#/components/schemas/InputDocument"}
            # FastAPI documents its own 422 body; ours is the ErrorResponse of every error.
            for operations in schema["paths"].values():
                for operation in operations.values():
                    answers = operation["responses"]
                    if "422" in answers:
                        answers["422"] = _VALIDATION_ERROR
                    if "401" in answers:
                        answers["429"] = _RATE_LIMITED
            components.pop("HTTPValidationError", None)
            components.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
