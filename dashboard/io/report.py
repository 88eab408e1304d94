"""What an import did, in the counts and rows a user checks before and after.

Each file's rejected rows go to a quarantine CSV beside a JSON log, in the quarantine
folder. Both are written under staging names *before* the import's transaction
(:func:`stage_logs`: an unwritable folder stops the import before anything is written)
and renamed to their final names, which carry the batch id, after the commit
(:func:`publish_logs`).
"""

from __future__ import annotations

import errno
import json
import os
import uuid
import weakref
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from dashboard.store.health import QuarantineUnavailable


@dataclass
class ImportReport:
    """What an import did, in the counts and rows a user checks before and after."""

    file: str
    format: str
    sha256: str
    rows_read: int = 0
    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[dict] = field(default_factory=list)
    identity: str = ""
    quarantine_file: str = ""
    log_file: str = ""
    batch_id: int | None = None
    dry_run: bool = False
    not_in_file: int = 0  # stored records of this file's dataset whose source id the file no longer has
    deleted: int = 0  # of those, removed (only with sync)
    unmapped: dict[str, dict[str, int]] = field(default_factory=dict)  # input column -> {value: rows}
    # Beside the incidents: assets and impacts the file brings -> new, updated, unchanged, removed.
    other_tables: dict[str, dict[str, int]] = field(default_factory=dict)
    user: str = ""  # who imported: the page's signed-in user, else the shell's user
    # Corrected fields whose imported value this file changes: the correction stays (io.import_audit).
    conflicts: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def counts_add_up(self) -> bool:
        """Whether every row read is counted exactly once: accepted, updated, unchanged, duplicate or rejected.

        Rows the CSV reader could not read count as read and rejected, like any other bad row.
        """
        counted = self.accepted + self.updated + self.unchanged + self.duplicates + self.rejected
        return counted == self.rows_read

    def summary(self) -> str:
        lines = [
            f"{self.file} ({self.format}){' — dry run, nothing written' if self.dry_run else ''}",
            f"  rows read   {self.rows_read:>8,}",
            f"  accepted    {self.accepted:>8,}  (new records)",
            f"  updated     {self.updated:>8,}",
            f"  unchanged   {self.unchanged:>8,}",
            f"  duplicates  {self.duplicates:>8,}  (rows repeated within the file)",
            f"  rejected    {self.rejected:>8,}",
        ]
        if self.not_in_file:
            action = f"{self.deleted:,} deleted (--sync)" if self.deleted else "kept; --sync removes them"
            lines.append(f"  not in file {self.not_in_file:>8,}  (stored records of this dataset: {action})")
        if self.identity:
            lines.append(f"  {self.identity}")
        for table, counts in self.other_tables.items():
            if any(counts.values()):
                lines.append(f"  {table:<11} " + ", ".join(f"{count:,} {what}" for what, count in counts.items()))
        for column, values in self.unmapped.items():
            listed = ", ".join(f"{value!r} ({count:,} rows)" for value, count in values.items())
            lines.append(f"  mapped to nothing, column {column!r}: {listed}")
        if self.conflicts:
            lines.append(f"  conflicts   {len(self.conflicts):>8,}  (corrections kept; the source now says otherwise)")
        for conflict in self.conflicts[:20]:
            lines.append(
                f"  {conflict['record_id']} {conflict['field'] or '(record)'}: source {conflict['imported_before']!r}"
                f" -> {conflict['imported_now']!r}, kept {conflict['corrected_to']!r}"
                f" ({conflict['corrected_by']}: {conflict['reason']})"
            )
        for rejection in self.rejections[:20]:
            where = f"line {rejection['line']}: {rejection['column'] or 'row'}"
            lines.append(f"  {where} = {rejection['value']!r}: {rejection['rule']}")
        if len(self.rejections) > 20:
            lines.append(f"  … {len(self.rejections) - 20:,} more in {self.quarantine_file or 'the report'}")
        if self.quarantine_file:
            lines.append(f"  rejected rows: {self.quarantine_file}")
        return "\n".join(lines)


def quarantine_rows(
    report: ImportReport, raw: pd.DataFrame, rejected_lines: list[int], unparsed: dict[int, str]
) -> pd.DataFrame | None:
    """The rejected rows in the input's own columns plus ``source_line`` and ``reason``; None if none.

    A row the CSV reader could not read has its text as read in ``raw_line`` (the column
    is there only when such rows are) and its other columns blank: the quarantine is then
    the only copy of it, kept whole, however long, so that it can be fixed and imported again.
    """
    if not rejected_lines:
        return None
    reasons: dict[int, list[str]] = {}
    for f in report.rejections:
        if f["line"] is not None:
            reasons.setdefault(int(f["line"]), []).append(f"{f['column'] or 'row'}: {f['rule']} (got {f['value']!r})")
    rows = raw.loc[[line for line in rejected_lines if line in raw.index]].copy()
    unread = [line for line in rejected_lines if line in unparsed]
    if unread:
        rows["raw_line"] = ""
        broken = pd.DataFrame({"raw_line": [unparsed[line] for line in unread]}, index=unread, dtype="str")
        rows = pd.concat([rows, broken.reindex(columns=rows.columns, fill_value="")]).sort_index()
    rows["source_line"] = rows.index
    rows["reason"] = ["; ".join(reasons.get(line, [])) for line in rows.index]
    return rows


@dataclass
class StagedLogs:
    """Quarantine files and logs written under staging names, waiting for the commit."""

    folder: Path
    # One entry per file: its report, staged quarantine CSV (None without rejects), staged log.
    entries: list[tuple[ImportReport, Path | None, Path]]
    pending: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        # If the transaction fails, publish_logs never runs: the staged files go with this object.
        weakref.finalize(self, _remove, self.pending)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


_REASONS = {
    errno.EEXIST: "it is a file, not a folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.ENAMETOOLONG: "the name is too long for the file system",
}


def _write_durably(path: Path, text: str) -> None:
    """Write, flush and fsync: on disk before the transaction that depends on it starts."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def stage_logs(folder: Path, files: list[tuple[ImportReport, pd.DataFrame | None]]) -> StagedLogs:
    """Write each file's quarantine rows and log under staging names in ``folder``, before any import write.

    Raises
    ------
    QuarantineUnavailable
        When the folder cannot be made or written (a file, read-only, full): nothing is imported.
    """
    staged = StagedLogs(folder, [])
    token = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for number, (report, rows) in enumerate(files):
            stem = f".staging-{token}-{number}-{Path(report.file).stem}"
            quarantine = None
            if rows is not None:
                quarantine = folder / f"{stem}.rejected.csv.part"
                staged.pending.append(quarantine)
                _write_durably(quarantine, rows.to_csv(index=False))
            log = folder / f"{stem}.log.json.part"
            staged.pending.append(log)
            _write_durably(log, json.dumps(report.to_dict(), indent=2, default=str))
            staged.entries.append((report, quarantine, log))
    except OSError as exc:
        _remove(staged.pending)
        staged.pending.clear()
        reason = _REASONS.get(exc.errno, exc.strerror or type(exc).__name__)
        raise QuarantineUnavailable(folder, reason) from None
    return staged


def discard_logs(staged: StagedLogs) -> None:
    """Remove staged files that will not be published (the import was planned again)."""
    _remove(staged.pending)
    staged.pending.clear()
    staged.entries.clear()


def publish_logs(staged: StagedLogs) -> None:
    """After the commit: give each staged file its final name (with the batch id) and the final log.

    The rows are committed by now; should a rename fail, the staged files stay and the
    report names them, rather than the import failing after it was done.
    """
    now = datetime.now(UTC)
    for report, quarantine, log in staged.entries:
        stem = f"{now:%Y%m%dT%H%M%S}-batch{report.batch_id}-{Path(report.file).stem}"
        final_log = staged.folder / f"{stem}.log.json"
        try:
            if quarantine is not None:
                final = staged.folder / f"{stem}.rejected.csv"
                os.replace(quarantine, final)
                report.quarantine_file = str(final)
            report.log_file = str(final_log)
            _write_durably(log, json.dumps(report.to_dict(), indent=2, default=str))
            os.replace(log, final_log)
        except OSError:
            report.quarantine_file = report.quarantine_file or str(quarantine or "")
            report.log_file = str(log)
    staged.pending.clear()
