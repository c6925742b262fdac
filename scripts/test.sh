#!/usr/bin/env bash
# Runs Tenure's tests on a fresh machine with Go, setting up what they need first:
#   - Chromium for the dashboard and widget browser tests: when it is missing and this runs
#     as root, it is installed from the distribution's packages (apt-get install chromium);
#     otherwise the script stops and says how to install it (or set TENURE_CHROMIUM).
#   - PostgreSQL: when TENURE_TEST_POSTGRES_URL is unset and a local server is installed, it
#     is started if needed and the storage tests run on it too (database "test" on
#     127.0.0.1:5432, created when missing). TENURE_REQUIRE_POSTGRES=1 makes an unreachable
#     server a failure instead of a note (CI sets it).
#   - stripe-mock for the stripe payment provider's tests: installed with go install when
#     missing.
# Any arguments are passed to `go test` (default ./...).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export PATH="$PATH:$(go env GOPATH)/bin"

say() { printf 'test.sh: %s\n' "$*"; }

# --- Chromium -------------------------------------------------------------------------
if [ -z "${TENURE_CHROMIUM:-}" ] && [ -z "${TENURE_SKIP_BROWSER:-}" ] &&
   ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing chromium from the distribution's packages (apt-get install chromium)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "the browser tests need Chromium: run 'sudo apt-get install chromium' (or set TENURE_CHROMIUM to a Chromium binary, or TENURE_SKIP_BROWSER=1 to skip them explicitly)" >&2
    exit 1
  fi
fi

# --- PostgreSQL ------------------------------------------------------------------------
pg_default='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
pg_up() { command -v psql >/dev/null 2>&1 && psql "$1" -tAc 'SELECT 1' >/dev/null 2>&1; }
if [ -z "${TENURE_TEST_POSTGRES_URL:-}" ] || ! pg_up "$TENURE_TEST_POSTGRES_URL"; then
  url="${TENURE_TEST_POSTGRES_URL:-$pg_default}"
  if ! pg_up "$url" && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    say "PostgreSQL is not answering; starting the local cluster"
    for v in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
    done
    for _ in $(seq 1 30); do pg_up "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" && break; sleep 1; done
    if [ "$url" = "$pg_default" ] && ! pg_up "$url"; then
      psql 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' -qc 'CREATE DATABASE test' 2>/dev/null || true
    fi
  fi
  if pg_up "$url"; then
    export TENURE_TEST_POSTGRES_URL="$url"
  elif [ -n "${TENURE_REQUIRE_POSTGRES:-}" ]; then
    say "FAIL: PostgreSQL is unreachable at $url; storage behaviour must run on it" >&2
    exit 1
  else
    unset TENURE_TEST_POSTGRES_URL
    say "no PostgreSQL reachable: storage tests run on SQLite only (install postgresql to include it)"
  fi
fi
if [ -n "${TENURE_TEST_POSTGRES_URL:-}" ]; then
  say "PostgreSQL $(psql "$TENURE_TEST_POSTGRES_URL" -tAc 'SHOW server_version') at ${TENURE_TEST_POSTGRES_URL%%\?*}"
fi

# --- stripe-mock -----------------------------------------------------------------------
# The stripe payment provider's tests start stripe-mock on a loopback port; they fail
# without it where TENURE_REQUIRE_POSTGRES=1 or CI is set.
if ! command -v stripe-mock >/dev/null 2>&1; then
  say "installing stripe-mock (go install github.com/stripe/stripe-mock@latest)"
  go install github.com/stripe/stripe-mock@latest
fi

# Code that gofmt would change fails the run, as go vet's findings do.
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
  say "gofmt would change these files (run gofmt -w on them):" >&2
  printf '  %s\n' $unformatted >&2
  exit 1
fi
go vet ./...
if [ $# -eq 0 ]; then set -- ./...; fi
# The browser suites drive Chromium page by page on both engines: on a small, busy machine a
# package can pass Go's default 10-minute limit, so the limit is wider (a hang still fails).
go test -timeout 45m "$@"
