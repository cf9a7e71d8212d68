"""Small JSON request bodies (the admin API's): read only once the caller is authenticated, at
most JSON_BODY_BYTES, then validated. A body parameter would have FastAPI read and parse the
whole body before any dependency runs, so before the token is looked at."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.api.body import read_body

JSON_BODY_BYTES = 64 << 10


def json_body(model: type[BaseModel], *, after: Callable[..., object], optional: bool = False) -> Any:
    """A dependency giving the body as `model` (None for an empty one if `optional`), run after
    `after` (the route's authentication); use it as `Annotated[Model, json_body(Model, after=...)]`.
    Over the limit: 413; bad JSON or fields: 422 with `body.<field>` locations."""

    async def read(request: Request, _caller: object = Depends(after)) -> BaseModel | None:
        data = await read_body(request, JSON_BODY_BYTES, "the body")
        if optional and not data:
            return None
        try:
            return model.model_validate_json(data)
        except ValidationError as exc:
            errors = [{"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
            raise RequestValidationError(errors) from None

    return Depends(read)


def json_body_openapi(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """The route's `openapi_extra`: its request body, `model` (app.api.openapi files the schema
    under components)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": required, "content": content}}
