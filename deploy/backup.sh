#!/usr/bin/env bash
# A dump of the PostgreSQL store: pg_dump's custom format, checked readable, old ones pruned.
#
#   set -a; . /etc/impact/impact.env; set +a
#   deploy/backup.sh                 # writes $IMPACT_BACKUP_DIR/impact-<UTC time>.dump, prints its path
#   deploy/backup.sh /tmp/x.dump     # writes exactly that file (no pruning)
#
# Settings (environment): IMPACT_DB_URL (required; the SQLAlchemy URL the app uses),
# IMPACT_BACKUP_DIR (default /var/backups/impact), IMPACT_BACKUP_KEEP_DAYS (default 14; 0 keeps all).
# A dump is a consistent snapshot (one transaction) taken while the app runs: no need to stop it.
set -euo pipefail

: "${IMPACT_DB_URL:?IMPACT_DB_URL is not set (source /etc/impact/impact.env first)}"
case "$IMPACT_DB_URL" in
  postgresql*) ;;
  *) echo "backup.sh: IMPACT_DB_URL is not a PostgreSQL URL; back an SQLite store up with sqlite3 .backup" >&2; exit 2 ;;
esac
# libpq reads the URL SQLAlchemy reads, less the driver name (postgresql+psycopg:// -> postgresql://).
LIVE_URL="$(printf '%s' "$IMPACT_DB_URL" | sed -E 's#^postgresql\+[A-Za-z0-9_]+://#postgresql://#')"

if [ $# -ge 1 ]; then
  out="$1"
  prune=0
else
  dir="${IMPACT_BACKUP_DIR:-/var/backups/impact}"
  mkdir -p "$dir"
  out="$dir/impact-$(date -u +%Y%m%dT%H%M%SZ).dump"
  prune=1
fi

# Written under a temporary name and renamed when complete: a dump cut short is never taken
# for a good one. umask: the dump holds every record, readable by its owner only.
umask 077
partial="$out.partial"
trap 'rm -f "$partial"' EXIT
pg_dump --format=custom --no-owner --no-privileges --dbname="$LIVE_URL" --file="$partial"
pg_restore --list "$partial" >/dev/null  # readable from end to end
mv "$partial" "$out"
trap - EXIT

keep="${IMPACT_BACKUP_KEEP_DAYS:-14}"
if [ "$prune" = 1 ] && [ "$keep" != 0 ]; then
  find "$(dirname "$out")" -maxdepth 1 -name 'impact-*.dump' -mtime "+$keep" -print -delete >&2
fi
echo "$out"
