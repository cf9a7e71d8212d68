"""Schemathesis against /openapi.json on a live `python -m app.serve` (real engine): no 500, and
every response matches the documented status codes, headers and schemas; without the admin token
(none, an unknown one, a cluster's), never a 5xx. Bounded for speed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from app.core.config import Settings
from app.main import create_app
from tests.api.conftest import ADMIN, ADMIN_TOKEN, bearer
from tests.support.service import running_service, service_env

pytestmark = pytest.mark.slow

# The input document's schema is large: its coverage phase alone would take minutes (it is
# the body of allocate, explain, balance and capacity's what-if).
DOCUMENT_BODIES = (
    "/allocate",
    "/clusters/{name}/capacity",
    "/clusters/{name}/explain",
    "/clusters/{name}/balance",
)
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {"include-path": path, "phases": {"coverage": {"enabled": False}}} for path in DOCUMENT_BODIES
        ]
    }
)
# The schema is the app's own; building the app opens nothing (no database, no engine).
schema = schemathesis.openapi.from_dict(
    create_app(Settings(database_url="sqlite://")).openapi(), config=CONFIG
)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("openapi")
    env = service_env(
        database_url=f"sqlite:///{tmp}/db.sqlite",
        admin_token=ADMIN_TOKEN,
        allow_unknown_clusters="true",  # so fuzzed documents reach the engine, not just a 403
        max_body_bytes=str(1024 * 1024),
        auth_failures_per_minute="0",  # the calls without a token below all come from 127.0.0.1
    )
    with running_service(["-m", "app.serve"], env, tmp / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def callers(base_url: str) -> dict[str, dict[str, str]]:
    """Who else calls: no token, an unknown token, a cluster's token."""
    made = httpx.post(f"{base_url}/admin/clusters", json={"name": "fuzz.example.com"}, headers=ADMIN)
    made.raise_for_status()
    return {"none": {}, "unknown": bearer("iad_not-a-token"), "cluster": bearer(made.json()["token"])}


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_openapi_no_server_error_no_schema_violation(case, base_url):
    # Negative cases are not judged: every call carries the admin token (a case meant to lack
    # the Authorization header gets it back), and unknown query parameters are ignored, as
    # HTTP APIs usually do. Missing and wrong tokens have their own tests (tests/api/routes).
    excluded = [checks.negative_data_rejection]
    if case.operation.path in ("/allocate", "/clusters/{name}/capacity"):
        # JSON Schema cannot say everything the protocol requires (a node's group must exist, ...):
        # a schema-valid document (capacity's what-if too) may rightly get a 400 with loc/msg.
        excluded.append(checks.positive_data_acceptance)
    case.call_and_validate(base_url=base_url, headers=ADMIN, excluded_checks=excluded)


@pytest.mark.parametrize("caller", ["none", "unknown", "cluster"])
@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_openapi_without_the_admin_token_no_server_error(case, base_url, callers, caller):
    # what a stranger or a cluster's token may send: refused or answered, never a 5xx
    given = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.headers = given | callers[caller]
    response = case.call(base_url=base_url)
    case.validate_response(response, checks=[checks.not_a_server_error])


def _has_example(content: dict[str, Any], components: dict[str, Any]) -> bool:
    for media in content.values():
        if "example" in media or "examples" in media:
            return True
        ref = media.get("schema", {}).get("$ref", "")
        if "examples" in components.get(ref.rsplit("/", 1)[-1], {}):
            return True
        schema = media.get("schema", {})
        refs = [schema.get("items", {}).get("$ref", "")] + [
            s.get("$ref", "") for s in schema.get("anyOf", [])
        ]
        if any("examples" in components.get(ref.rsplit("/", 1)[-1], {}) for ref in refs):
            return True
    return False


def test_openapi_every_operation_has_examples():
    document = create_app(Settings(database_url="sqlite://")).openapi()
    components = document["components"]["schemas"]
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content")
            if body and not _has_example(body, components):
                missing.append(f"{method.upper()} {path} request")
            for status, response in operation["responses"].items():
                if "content" in response and not _has_example(response["content"], components):
                    missing.append(f"{method.upper()} {path} {status}")
    assert missing == []


def test_every_operation_listed_under_one_resource():
    # a route whose router and decorator both name a tag is shown twice in /docs
    schema = create_app(Settings(database_url="sqlite://")).openapi()
    tags = {
        (method, path): op.get("tags") for path, ops in schema["paths"].items() for method, op in ops.items()
    }
    assert {key: t for key, t in tags.items() if t is None or len(t) != 1} == {}
    assert tags[("get", "/clusters/{name}/decisions")] == ["clusters"]
