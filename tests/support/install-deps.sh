#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages. As root it installs Debian's
# ganeti-htools (hail), postgresql, haproxy (in front of tests/reliability's replicas) and
# chromium (the console's browser tests; Playwright drives it, it never downloads a browser of
# its own) when missing; as anyone it extracts Ganeti 3.0's own
# Python code (never installed: it conflicts with ganeti-htools and starts daemons).
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
[ -x /usr/lib/ganeti/iallocators/hail ] || need+=(ganeti-htools)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/sbin/haproxy ] || need+=(haproxy)
[ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core)
# `docker compose config` checks the deployment files; no Docker engine is needed for that.
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "install-deps: not root, skipping ${need[*]} (their tests will be skipped)" >&2
  fi
fi
dest=.cache/ganeti-3.0
if [ ! -d "$dest/root/usr/share/ganeti" ]; then
  mkdir -p "$dest"
  (cd "$dest" && rm -f ganeti-3.0_*.deb && apt-get download -qq ganeti-3.0 >/dev/null 2>&1 \
     || { [ "$(id -u)" = 0 ] && apt-get update -qq && apt-get download -qq ganeti-3.0; })
  dpkg -x "$dest"/ganeti-3.0_*.deb "$dest/root"
fi
