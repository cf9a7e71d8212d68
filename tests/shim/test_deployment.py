"""Dockerfile, docker-compose.yml (and docker-compose.replicas.yml with deploy/haproxy.cfg) and
.dockerignore: checked by `docker compose config` when a compose
client is installed (no engine is needed), and read directly as well."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.shim.fakes import REPO

COMPOSE_FILE = REPO / "docker-compose.yml"
REPLICAS_FILE = REPO / "docker-compose.replicas.yml"
SECRETS = {"POSTGRES_PASSWORD": "pg-secret", "IALLOCD_ADMIN_TOKEN": "admin-secret"}
SESSION_KEY = {"IALLOCD_SESSION_KEY": "session-key-0123456789abcdef0123456789"}


def compose_client() -> list[str] | None:
    """`docker compose` (v2 plugin) or a standalone `docker-compose`, whichever is installed."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def compose(
    tmp_path: Path, *args: str, secrets: dict[str, str] = SECRETS, file: Path = COMPOSE_FILE
) -> subprocess.CompletedProcess[str]:
    client = compose_client()
    if client is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    empty_env_file = tmp_path / "empty.env"  # so that a developer's own .env changes nothing
    empty_env_file.touch()
    ours = {*SECRETS, *SESSION_KEY, "IALLOCD_PORT"}
    env = {key: value for key, value in os.environ.items() if key not in ours} | secrets
    return subprocess.run(
        [*client, "--env-file", str(empty_env_file), "-f", str(file), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def compose_model(
    tmp_path: Path, file: Path = COMPOSE_FILE, secrets: dict[str, str] = SECRETS
) -> dict[str, Any]:
    """The resolved model: `docker compose config --format json`, or docker-compose v1's
    `config` (YAML); with no client, the file as YAML."""
    client = compose_client()
    if client and client[0] == "docker":
        result = compose(tmp_path, "config", "--format", "json", file=file, secrets=secrets)
        assert result.returncode == 0, result.stderr
        return dict(json.loads(result.stdout))
    yaml = pytest.importorskip("yaml", reason="no compose v2 client and no PyYAML to read the file with")
    if client:
        result = compose(tmp_path, "config", file=file, secrets=secrets)
        assert result.returncode == 0, result.stderr
        return dict(yaml.safe_load(result.stdout))
    return dict(yaml.safe_load(file.read_text()))


def mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of each volume, from the short `src:dst[:mode]` or the long form."""
    found = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source", ""), volume["target"]
        found.append((source, target))
    return found


def test_compose_config_valid(tmp_path):
    result = compose(tmp_path, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_config_without_secrets_refused(tmp_path):
    result = compose(tmp_path, "config", "-q", secrets={})
    assert result.returncode != 0
    assert "in .env" in result.stderr


def test_compose_service_waits_for_healthy_postgres_with_named_volume(tmp_path):
    model = compose_model(tmp_path)
    service, db = model["services"]["iallocd"], model["services"]["db"]
    assert service["depends_on"]["db"]["condition"] == "service_healthy"
    assert str(service["ports"][0]).endswith("8080") or service["ports"][0]["target"] == 8080
    environment = service["environment"]
    assert environment["IALLOCD_DATABASE_URL"].startswith("postgresql+psycopg://iallocd:")
    assert environment["IALLOCD_DATABASE_URL"].endswith("@db:5432/iallocd")
    raw = "${IALLOCD_ADMIN_TOKEN:?set IALLOCD_ADMIN_TOKEN in .env}"
    assert environment["IALLOCD_ADMIN_TOKEN"] in (SECRETS["IALLOCD_ADMIN_TOKEN"], raw)
    # the console's session key: optional (empty reads as unset), passed through from .env
    assert environment["IALLOCD_SESSION_KEY"] in ("", "${IALLOCD_SESSION_KEY:-}")
    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert ("pgdata", "/var/lib/postgresql/data") in mounts(db)
    assert "pgdata" in model["volumes"]


def test_compose_default_is_one_service_without_proxy(tmp_path):
    model = compose_model(tmp_path)
    assert set(model["services"]) == {"iallocd", "db"}
    assert model["services"]["iallocd"].get("deploy", {}).get("replicas", 1) == 1


def replicas_model(tmp_path: Path) -> dict[str, Any]:
    if compose_client() is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed (to resolve `extends`)")
    return compose_model(tmp_path, REPLICAS_FILE, SECRETS | SESSION_KEY)


def test_replicas_compose_config_valid_and_needs_a_session_key(tmp_path):
    result = compose(tmp_path, "config", "-q", file=REPLICAS_FILE, secrets=SECRETS | SESSION_KEY)
    assert result.returncode == 0, result.stderr
    result = compose(tmp_path, "config", "-q", file=REPLICAS_FILE)
    assert result.returncode != 0
    assert "IALLOCD_SESSION_KEY" in result.stderr


def test_replicas_compose_three_replicas_on_one_database_behind_haproxy(tmp_path):
    model, plain = replicas_model(tmp_path), compose_model(tmp_path)
    services = model["services"]
    assert set(services) == {"iallocd", "haproxy", "db"}
    replica, proxy = services["iallocd"], services["haproxy"]
    assert replica["deploy"]["replicas"] == 3
    assert "ports" not in replica  # reached through HAProxy only
    assert replica["depends_on"]["db"]["condition"] == "service_healthy"
    environment = replica["environment"]
    assert (
        environment["IALLOCD_DATABASE_URL"]
        == plain["services"]["iallocd"]["environment"]["IALLOCD_DATABASE_URL"]
    )
    assert environment["IALLOCD_SESSION_KEY"] in (
        SESSION_KEY["IALLOCD_SESSION_KEY"],
        "${IALLOCD_SESSION_KEY:?",
    )
    assert services["db"] == plain["services"]["db"] and "pgdata" in model["volumes"]
    assert proxy["image"].split(":")[0] == "haproxy"
    [(source, target)] = mounts(proxy)
    assert source.endswith("deploy/haproxy.cfg") and target == "/usr/local/etc/haproxy/haproxy.cfg"
    assert str(proxy["ports"][0]).endswith("8080") or proxy["ports"][0]["target"] == 8080
    assert "iallocd" in proxy["depends_on"]


def haproxy_sections() -> dict[str, list[str]]:
    """deploy/haproxy.cfg as {"backend replicas": [its lines], ...}, comments dropped."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for raw in (REPO / "deploy" / "haproxy.cfg").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if line and not line[0].isspace():
            current = sections.setdefault(line, [])
        elif line:
            current.append(" ".join(line.split()))
    return sections


def test_haproxy_backends_are_the_replicas_health_checked_round_robin(tmp_path):
    sections, replicas = (
        haproxy_sections(),
        replicas_model(tmp_path)["services"]["iallocd"]["deploy"]["replicas"],
    )
    [backend] = [
        line.split()[1] for line in sections["frontend iallocd"] if line.startswith("default_backend")
    ]
    lines = sections[f"backend {backend}"]
    assert "balance roundrobin" in lines
    assert "option httpchk GET /healthz" in lines
    [template] = [line.split() for line in lines if line.startswith("server-template")]
    assert int(template[2]) >= replicas and template[3] == "iallocd:8080" and "check" in template[4:]
    defaults = sections["defaults"]
    assert "option redispatch" in defaults and "retry-on conn-failure" in defaults  # never a POST twice
    assert [int(line.split()[1]) for line in defaults if line.startswith("retries")][0] >= 1
    assert "bind :8080" in sections["frontend iallocd"]
    if shutil.which("haproxy"):
        check = subprocess.run(
            ["haproxy", "-c", "-f", REPO / "deploy" / "haproxy.cfg"], capture_output=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr


def dockerfile() -> str:
    return re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text())  # join continued lines


def test_dockerfile_two_stages_wheel_built_then_installed():
    text = dockerfile()
    assert re.findall(r"^FROM (\S+)", text, re.M) == ["python:3.11-slim", "python:3.11-slim"]
    assert re.search(r"^RUN pip wheel .*--wheel-dir /wheels \.$", text, re.M)
    assert re.search(r"^RUN .*from=build.* pip install --no-index --find-links /wheels iallocd$", text, re.M)


def test_dockerfile_runs_service_as_non_root_on_8080():
    text = dockerfile()
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^EXPOSE 8080$", text, re.M)
    cmd = json.loads(re.findall(r"^CMD (\[.*\])$", text, re.M)[-1])
    assert cmd == ["python", "-m", "app.serve", "--host", "0.0.0.0", "--port", "8080"]


def test_dockerfile_healthcheck_asks_healthz_with_stdlib_python():
    line = re.search(r"^HEALTHCHECK (.*) CMD (\[.*\])$", dockerfile(), re.M)
    assert line is not None
    command = json.loads(line.group(2))
    assert command[:2] == ["python", "-c"]
    code = ast.parse(command[2])
    assert "http://127.0.0.1:8080/healthz" in command[2]
    imported = {alias.name for node in ast.walk(code) if isinstance(node, ast.Import) for alias in node.names}
    assert imported == {"urllib.request"}
    assert "--timeout=" in line.group(1)


def test_dockerignore_sends_only_what_the_build_copies():
    lines = [x for x in (REPO / ".dockerignore").read_text().splitlines() if x and not x.startswith("#")]
    assert lines[0] == "*"
    assert {"!pyproject.toml", "!README.md", "!app/"} <= set(lines)
