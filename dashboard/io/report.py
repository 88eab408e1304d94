"""What an import did, in the counts and rows a user checks before and after."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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

    def to_dict(self) -> dict:
        return asdict(self)

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
        for rejection in self.rejections[:20]:
            where = f"line {rejection['line']}: {rejection['column'] or 'row'}"
            lines.append(f"  {where} = {rejection['value']!r}: {rejection['rule']}")
        if len(self.rejections) > 20:
            lines.append(f"  … {len(self.rejections) - 20:,} more in {self.quarantine_file or 'the report'}")
        if self.quarantine_file:
            lines.append(f"  rejected rows: {self.quarantine_file}")
        return "\n".join(lines)
