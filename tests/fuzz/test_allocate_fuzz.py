"""The iallocator protocol fuzzed through POST /allocate, on the app with the real engine (its
process pool included): no 5xx, no traceback, every 4xx a JSON error naming the field (`loc`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import event, given

from app.main import create_app
from tests.api.conftest import ADMIN, bearer, make_settings, running
from tests.fuzz.documents import CLUSTER, FUZZ, Fuzzed, documents

Post = Callable[[bytes, dict[str, str]], httpx.Response]


class Errors(logging.Handler):
    """Every ERROR the service logs (an unhandled exception, a store failure)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Post, dict[str, str], Errors]]:
    """The app on an event loop of its own (Hypothesis tests are synchronous), its client's post
    as a plain function, the cluster's token, and the errors the service logs."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/iallocd.db"
    settings = make_settings(url, engine_workers=1, cluster_concurrency=1, auth_failures_per_minute=0)
    errors = Errors()
    logging.getLogger().addHandler(errors)
    try:
        with (
            start_blocking_portal() as portal,
            portal.wrap_async_context_manager(running(create_app(settings))) as client,
        ):

            def post(data: bytes, headers: dict[str, str], path: str = "/allocate") -> httpx.Response:
                return portal.call(partial(client.post, path, content=data, headers=headers))

            made = post(json.dumps({"name": CLUSTER}).encode(), ADMIN, "/admin/clusters")
            yield post, bearer(made.json()["token"]), errors
    finally:
        logging.getLogger().removeHandler(errors)


def _named_cluster(data: bytes) -> Any:
    return json.loads(data).get("cluster_name", CLUSTER) if data.startswith(b"{") else CLUSTER


@FUZZ
@given(documents())
def test_allocate_no_5xx_every_4xx_names_the_field(service, fuzzed: Fuzzed) -> None:
    post, token, errors = service
    errors.records.clear()
    response = post(fuzzed.data, token)
    event(f"document: {fuzzed.kind}")
    event(f"status: {response.status_code}")
    assert response.status_code < 500, (response.text, fuzzed.mutations)
    assert "Traceback" not in response.text
    assert [r.getMessage() for r in errors.records] == [], fuzzed.mutations
    body = response.json()
    if response.status_code == 200:
        assert set(body) == {"success", "info", "result"}
        assert response.headers["X-Iallocd-Decision-Id"]
        return
    assert fuzzed.mutations, f"a valid document refused: {response.text}"
    if response.status_code == 403:  # the document names another cluster than the token's
        assert body["error"] == "forbidden" and _named_cluster(fuzzed.data) != CLUSTER
        return
    assert response.status_code in (400, 422), response.text
    assert isinstance(body["detail"], list) and body["detail"], body
    for item in body["detail"]:
        assert item["loc"] and item["msg"], body
