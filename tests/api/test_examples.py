"""The examples the OpenAPI document shows are what the service answers: each validates against
the model it illustrates."""

from __future__ import annotations

import inspect

import pytest
from pydantic import BaseModel

from app.api import schemas


def _illustrated() -> list[tuple[type[BaseModel], object]]:
    found = []
    for _, model in inspect.getmembers(schemas, inspect.isclass):
        if not issubclass(model, BaseModel) or model.__module__ != schemas.__name__:
            continue
        extra = model.model_config.get("json_schema_extra")
        if isinstance(extra, dict):
            found += [(model, example) for example in extra.get("examples", [])]
    return found


def test_models_have_examples():
    names = {model.__name__ for model, _ in _illustrated()}
    assert {"GroupsPublic", "HistoryPublic", "CapacityPublic", "ExplainPublic"} <= names


@pytest.mark.parametrize(("model", "example"), _illustrated(), ids=lambda v: getattr(v, "__name__", ""))
def test_example_validates_against_its_model(model, example):
    model.model_validate(example)
