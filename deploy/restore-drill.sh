#!/usr/bin/env bash
# The restore drill: restore a dump into a scratch database and check it gives the live store's totals.
#
#   set -a; . /etc/impact/impact.env; set +a
#   deploy/restore-drill.sh                   # dumps the live store now (backup.sh), then drills it
#   deploy/restore-drill.sh FILE.dump         # drills an existing dump (the live store must not have changed since)
#
# Steps: create database impact_drill_<time> next to the live one; pg_restore the dump into it;
# `impact db current` and `impact summary --json` on the scratch store and on the live one
# (each with a cache folder of its own, so no snapshot is shared), and the row count of every
# table; any difference fails the drill (exit 1). The scratch database is dropped at the end,
# pass or fail. Exit 0 and "restore drill: OK" when the dump restores to the same store.
#
# Settings (environment): IMPACT_DB_URL (required), IMPACT_BIN (default: impact on PATH),
# IMPACT_DRILL_ADMIN_URL: a libpq URL of a role that may CREATE DATABASE (default the live URL).
set -euo pipefail

: "${IMPACT_DB_URL:?IMPACT_DB_URL is not set (source /etc/impact/impact.env first)}"
here="$(cd "$(dirname "$0")" && pwd)"
impact="${IMPACT_BIN:-impact}"
LIVE_URL="$(printf '%s' "$IMPACT_DB_URL" | sed -E 's#^postgresql\+[A-Za-z0-9_]+://#postgresql://#')"
ADMIN_URL="${IMPACT_DRILL_ADMIN_URL:-$LIVE_URL}"
scratch="impact_drill_$(date -u +%Y%m%d%H%M%S)_$$"
# The same URL with another database: replace the path, keep the query (e.g. ?options=...).
with_database() { printf '%s' "$1" | sed -E "s#^([a-z0-9+]+://[^/]*)/[^?]*#\\1/$2#"; }
SCRATCH_URL="$(with_database "$LIVE_URL" "$scratch")"
SCRATCH_SA_URL="$(with_database "$IMPACT_DB_URL" "$scratch")"

work="$(mktemp -d)"
cleanup() {
  psql --quiet --dbname="$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$scratch\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ $# -ge 1 ]; then
  dump="$1"
else
  dump="$("$here/backup.sh" "$work/live.dump")"
fi
[ -s "$dump" ] || { echo "restore drill: no dump at $dump" >&2; exit 2; }

echo "restore drill: restoring $dump into scratch database $scratch"
psql --quiet --dbname="$ADMIN_URL" -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$scratch\"" >/dev/null
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$SCRATCH_URL" "$dump"

# What a user would see: the page's totals (impact summary --json) and the schema revision.
# A fresh cache and an empty record folder: a store that restored empty must stay empty
# (not be filled from the seed records) and show as different.
mkdir -p "$work/empty"
store_facts() {  # URL NAME
  IMPACT_DB_URL="$1" IMPACT_CACHE_DIR="$work/cache-$2" IMPACT_DATA_DIR="$work/empty" \
    IMPACT_QUARANTINE_DIR="$work/rejected-$2" "$impact" db current >"$work/$2.revision"
  IMPACT_DB_URL="$1" IMPACT_CACHE_DIR="$work/cache-$2" IMPACT_DATA_DIR="$work/empty" \
    IMPACT_QUARANTINE_DIR="$work/rejected-$2" "$impact" summary --json >"$work/$2.summary.json"
}
row_counts() {  # LIBPQ-URL: one "table count" line per table on the store's search path
  local tables
  tables="$(psql --quiet --tuples-only --no-align --dbname="$1" -c \
    "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")"
  for table in $tables; do
    printf '%s %s\n' "${table#*.}" "$(psql --tuples-only --no-align --dbname="$1" -c "SELECT count(*) FROM $table")"
  done
}
store_facts "$IMPACT_DB_URL" live
store_facts "$SCRATCH_SA_URL" restored
row_counts "$LIVE_URL" >"$work/live.rows"
row_counts "$SCRATCH_URL" >"$work/restored.rows"

failed=0
for part in revision summary.json rows; do
  if ! diff -u "$work/live.$part" "$work/restored.$part"; then
    echo "restore drill: FAILED: $part differs between the live store and the restored dump" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] || exit 1
echo "restore drill: OK ($(wc -l <"$work/live.rows") tables, totals identical: $(tr -d ' \n' <"$work/live.summary.json" | cut -c1-60)...)"
