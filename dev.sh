#!/usr/bin/env bash
# Lianxin developer entry point.
#   ./dev.sh run    install what is missing, load the Taiyuan demo, start web server + task consumer
#   ./dev.sh test   install what is missing, run lint, migration check and the whole test suite
# Both are idempotent. DATABASE_URL selects PostgreSQL; the default is SQLite in ./var.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV=${LIANXIN_VENV:-$ROOT/.venv}
PY=$VENV/bin/python

log() { printf '\033[1;31m[lianxin]\033[0m %s\n' "$*" >&2; }

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

setup_python() {
  if [ ! -x "$PY" ]; then
    log "creating virtual environment in $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.lianxin-lock" want
  want=$(hash_of requirements.lock pyproject.toml)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing Python packages from requirements.lock"
    # (the grep drops this machine's harmless notes about absent local package mirrors)
    "$PY" -m pip install --quiet --disable-pip-version-check -r requirements.lock 2> >(grep -v "is ignored" >&2)
    "$PY" -m pip install --quiet --disable-pip-version-check --no-deps -e . 2> >(grep -v "is ignored" >&2)
    echo "$want" > "$stamp"
  fi
}

setup_frontend() {
  local stamp="node_modules/.lianxin-lock" want
  want=$(hash_of package-lock.json scripts/vendor.mjs)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -d lianxin/static/vendor ]; then
    log "installing front-end packages from package-lock.json"
    npm ci --no-audit --no-fund --loglevel=error
    npm run --silent vendor
    echo "$want" > "$stamp"
  fi
}

setup_browser() {
  # The browser tests drive Debian's Chromium; Playwright's own browser download does not work offline.
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium chromium-driver)
  [ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
  # PDF documents (WeasyPrint) lay out text with Pango.
  ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
  # The production cache and queue (rate limits counted in one round trip) are tested on a real Redis.
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      log "installing ${missing[*]}"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      log "please install: sudo apt-get install ${missing[*]}"; exit 1
    fi
  fi
}

cmd=${1:-}
shift || true
case "$cmd" in
  run)
    setup_python; setup_frontend
    "$VENV/bin/lianxin" migrate --no-input -v 0
    "$VENV/bin/lianxin" demo
    exec "$VENV/bin/lianxin" serve "$@"
    ;;
  test)
    setup_python; setup_frontend; setup_browser
    log "ruff"; "$VENV/bin/ruff" check --quiet .
    log "migrations check"; "$PY" manage.py makemigrations --check --dry-run >/dev/null
    log "pytest ($("$PY" -c 'import django.db as d; print(d.connection.vendor)' 2>/dev/null || echo ?))"
    set +e
    marks=(-m "not slow"); [ -n "${LIANXIN_SLOW:-}" ] && marks=()
    # loadfile: each test module runs on one worker, so a module that builds the demo once (a module-scoped
    # fixture) builds it once, not on each worker (xdist 3.8's loadgroup does not keep its groups together
    # under pytest 9: its xdist_group marks were ignored and the 5,161-opinion replay ran twice).
    "$VENV/bin/pytest" -n "${PYTEST_WORKERS:-2}" --dist loadfile -q "${marks[@]}" "$@"
    status=$?
    set -e
    if [ $status -eq 5 ]; then log "pytest collected no tests: failing"; exit 1; fi
    exit $status
    ;;
  lint)
    setup_python
    log "ruff"; "$VENV/bin/ruff" check .
    log "mypy"; "$VENV/bin/mypy" lianxin
    ;;
  *)
    echo "usage: ./dev.sh run | test [pytest args] | lint" >&2; exit 2
    ;;
esac
