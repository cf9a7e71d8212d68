"""`python -m app.cli cluster ...`: manage the cluster registry directly in the database
(IALLOCD_DATABASE_URL), without the service running.

    cluster add NAME [--param=--key[=value]]...   prints the new token (shown only once)
    cluster list
    cluster remove NAME
    cluster rotate-token NAME [--keep-old]        prints the new token; revokes the others unless --keep-old
    cluster set-params NAME [--param=...]...      replaces the default iallocator parameters
"""

from __future__ import annotations

import argparse
import re
import sys

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.config import Settings, settings_error_line
from app.store.clusters import (
    CLUSTER_NAME_PATTERN,
    ClusterExists,
    ClusterPolicy,
    add_cluster,
    add_token,
    cluster_policy,
    list_clusters,
    remove_cluster,
    set_policy,
)
from app.store.db import create_db_engine, migrate, session_factory
from app.store.decisions import activity


def _cluster_name(name: str) -> str:
    if not re.match(CLUSTER_NAME_PATTERN, name):
        raise argparse.ArgumentTypeError(f"{name!r} is not a cluster (host) name")
    return name


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app.cli cluster", description="Manage registered clusters"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="register a cluster and print its first token")
    add.add_argument("name", type=_cluster_name)
    params_help = "a default iallocator parameter; write it as --param=--key[=value]"
    add.add_argument("--param", action="append", default=[], help=params_help)
    sub.add_parser("list", help="list clusters, their token ids and default parameters")
    remove = sub.add_parser("remove", help="remove a cluster and its tokens (its history stays)")
    remove.add_argument("name")
    rotate = sub.add_parser("rotate-token", help="issue a new token and revoke the others")
    rotate.add_argument("name")
    rotate.add_argument("--keep-old", action="store_true", help="keep the other tokens valid")
    params = sub.add_parser("set-params", help="replace the cluster's default parameters")
    params.add_argument("name")
    params.add_argument("--param", action="append", default=[], help=params_help)
    return parser


def _run(args: argparse.Namespace, session: Session) -> int:
    if args.command == "add":
        _, token = add_cluster(args.name, args.policy, session=session)
        print(token)
    elif args.command == "list":
        counts = activity(session=session)
        for cluster in list_clusters(session=session):
            tokens = ",".join(t.id for t in cluster.tokens) or "-"
            params = " ".join(cluster_policy(cluster).params) or "-"
            done = counts[cluster.name].decisions if cluster.name in counts else 0
            print(f"{cluster.name}\ttokens={tokens}\tparams={params}\tdecisions={done}")
    elif args.command == "remove":
        if not remove_cluster(args.name, session=session):
            print(f"iallocd: no cluster {args.name!r}", file=sys.stderr)
            return 1
    elif args.command == "rotate-token":
        made = add_token(args.name, revoke_others=not args.keep_old, session=session)
        if made is None:
            print(f"iallocd: no cluster {args.name!r}", file=sys.stderr)
            return 1
        print(made[1])
    elif set_policy(args.name, args.policy, session=session) is None:
        print(f"iallocd: no cluster {args.name!r}", file=sys.stderr)
        return 1
    return 0


def main_admin(argv: list[str]) -> int:
    """Run one `cluster` subcommand (`argv` is what follows the word `cluster`); returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"iallocd: {settings_error_line(exc)}", file=sys.stderr)
        return 2
    try:
        args.policy = ClusterPolicy(params=getattr(args, "param", []))
    except ValidationError as exc:
        print(f"iallocd: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    engine = create_db_engine(settings.database_url)
    try:
        migrate(engine)
        with session_factory(engine)() as session:
            return _run(args, session)
    except ClusterExists:
        print(f"iallocd: cluster {args.name!r} exists", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"iallocd: database error: {exc.__class__.__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main_admin(sys.argv[1:]))
