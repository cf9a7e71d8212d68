"""The OpenAPI document: FastAPI's, plus the schemas of the bodies routes read themselves: the
iallocator input document (from the protocol models) for POST /allocate, and the capacity request."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.schemas import CapacityRequest
from app.protocol import InputDocument

# Bodies the routes read and validate themselves (size-limited): their schemas by hand.
READ_BY_HAND = (InputDocument, CapacityRequest)

_VALIDATION_ERROR = {
    "description": "validation error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
}


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
            body = schema["paths"]["/allocate"]["post"]["requestBody"]["content"]["application/json"]
            body["schema"] = {"$ref": "#/components/schemas/InputDocument"}
            # FastAPI documents its own 422 body; ours is the ErrorResponse of every error.
            for operations in schema["paths"].values():
                for operation in operations.values():
                    if "422" in operation["responses"]:
                        operation["responses"]["422"] = _VALIDATION_ERROR
            components.pop("HTTPValidationError", None)
            components.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
