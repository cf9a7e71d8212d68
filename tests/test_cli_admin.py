"""`python -m app.cli cluster ...` (app.cli_admin.main_admin) on a temporary SQLite store."""

from __future__ import annotations

import pytest

from app.cli_admin import main_admin
from app.store.clusters import cluster_for_token
from app.store.db import create_db_engine, session_factory


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("IALLOCD_"):
            monkeypatch.delenv(key)
    url = f"sqlite:///{tmp_path}/iallocd.db"
    monkeypatch.setenv("IALLOCD_DATABASE_URL", url)
    return url


def owner(url: str, token: str) -> str | None:
    engine = create_db_engine(url)
    try:
        with session_factory(engine)() as session:
            return cluster_for_token(token, session=session)
    finally:
        engine.dispose()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main_admin(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cluster_add_prints_token_once_and_list_shows_params(db_url, capsys):
    code, out, _ = run(capsys, "add", "c1.example.com", "--param=--no-capacity-checks")
    assert code == 0
    token = out.strip()
    assert owner(db_url, token) == "c1.example.com"
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert out.startswith(f"c1.example.com\ttokens={token[4:12]}\tparams=--no-capacity-checks\tdecisions=0")
    assert token not in out


def test_cluster_add_existing_fails_one_line(db_url, capsys):
    run(capsys, "add", "c1")
    code, out, err = run(capsys, "add", "c1")
    assert (code, out) == (1, "")
    assert err == "iallocd: cluster 'c1' exists\n"


def test_cluster_add_bad_param_exit_2(db_url, capsys):
    code, _, err = run(capsys, "add", "c1", "--param=oops")
    assert code == 2 and err.startswith("iallocd: ") and len(err.splitlines()) == 1


def test_cluster_add_bad_name_usage_error(db_url, capsys):
    with pytest.raises(SystemExit) as caught:
        main_admin(["add", "not a name"])
    assert caught.value.code == 2


def test_cluster_rotate_token_revokes_unless_keep_old(db_url, capsys):
    first = run(capsys, "add", "c1")[1].strip()
    kept = run(capsys, "rotate-token", "c1", "--keep-old")[1].strip()
    assert owner(db_url, first) == owner(db_url, kept) == "c1"
    rotated = run(capsys, "rotate-token", "c1")[1].strip()
    assert owner(db_url, first) is None and owner(db_url, kept) is None
    assert owner(db_url, rotated) == "c1"


def test_cluster_remove_and_set_params_unknown_exit_1(db_url, capsys):
    run(capsys, "add", "c1")
    assert run(capsys, "set-params", "c1", "--param=--x=1")[0] == 0
    assert "params=--x=1" in run(capsys, "list")[1]
    assert run(capsys, "remove", "c1")[0] == 0
    for argv in (("remove", "c1"), ("rotate-token", "c1"), ("set-params", "c1")):
        code, _, err = run(capsys, *argv)
        assert code == 1 and err == "iallocd: no cluster 'c1'\n"


def test_cluster_bad_settings_exit_2(db_url, capsys, monkeypatch):
    monkeypatch.setenv("IALLOCD_DATABASE_URL", "mysql://x")
    code, _, err = run(capsys, "list")
    assert code == 2 and "IALLOCD_DATABASE_URL" in err


def test_cluster_database_unreachable_exit_1(db_url, capsys, monkeypatch):
    monkeypatch.setenv("IALLOCD_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    code, _, err = run(capsys, "list")
    assert code == 1 and err.startswith("iallocd: database error: OperationalError")
    assert len(err.splitlines()) == 1
