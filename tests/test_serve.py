"""`python -m app.serve`: refuses bad settings in one line; serves the real engine with JSON logs."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import httpx
import pytest

from app.service.answer import answer
from tests.support.service import REPO, running_service, service_env

TESTDATA = REPO.parent / "shared" / "ganeti" / "testdata"


def test_serve_bad_settings_one_line_exit_2():
    result = subprocess.run(
        [sys.executable, "-m", "app.serve"],
        cwd=REPO,
        env=service_env(max_body_bytes="0", admin_token="short"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "IALLOCD_MAX_BODY_BYTES" in lines[0] and "IALLOCD_ADMIN_TOKEN" in lines[0]


def test_serve_imported_again_by_an_engine_process_loads_none_of_the_service():
    # multiprocessing runs a `python -m` main module again in each engine process, as __mp_main__
    code = (
        "import runpy, sys; runpy.run_module('app.serve', run_name='__mp_main__', alter_sys=True); "
        "print(*sorted({'fastapi', 'uvicorn', 'sqlalchemy', 'app.main'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == []


@pytest.mark.slow
@pytest.mark.skipif(
    not (TESTDATA / "hail-alloc-drbd.json").exists(), reason=f"no Ganeti testdata under {TESTDATA}"
)
def test_serve_real_engine_gzip_answer_and_json_logs(tmp_path):
    env = service_env(database_url=f"sqlite:///{tmp_path}/db.sqlite")
    add = subprocess.run(
        [sys.executable, "-m", "app.cli", "cluster", "add", "cluster"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    headers = {
        "Authorization": f"Bearer {add.stdout.strip()}",
        "Content-Encoding": "gzip",
        "X-Request-Id": "job-7",
    }
    data = (TESTDATA / "hail-alloc-drbd.json").read_bytes()
    log = tmp_path / "serve.log"
    with running_service(["-m", "app.serve"], env, log) as base:
        response = httpx.post(f"{base}/allocate", content=gzip.compress(data), headers=headers, timeout=60)
    assert response.status_code == 200
    assert response.content == answer(data).body
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    decision = next(e for e in entries if e["msg"] == "decision")
    assert decision["request_id"] == "job-7" and decision["cluster"] == "cluster"
    assert any(e.get("route") == "/allocate" and e.get("status") == 200 for e in entries)
