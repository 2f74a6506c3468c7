#!/usr/bin/env bash
# The whole test suite from a fresh clone: a pinned uv in .tools/, the locked dependencies
# in .venv/, Debian's Chromium for the browser tests (installed when running as root),
# then pytest on two workers. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .tools/bin/uv ]; then
  python3.11 -m venv .tools
  .tools/bin/pip install --quiet uv==0.13.9
fi

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "note: no Chromium here and not root: the browser tests will be skipped"
  fi
fi

exec .tools/bin/uv run --locked pytest -n 2 --dist loadgroup "$@"
