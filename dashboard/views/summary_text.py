"""The totals as ``impact summary`` prints them: aligned lines, each casualty figure with its coverage.

The same dictionary as ``impact summary --json`` and the page's tiles (``query.totals.summarize``);
a figure no source gives reads "not reported", never 0.
"""

from __future__ import annotations

from dashboard.views.tiles import attacks_text


def summary_lines(totals: dict, unresolved: dict[str, int] | None = None) -> str:
    """Totals as aligned text lines; ``unresolved`` adds how many records' places GeoNames lacks."""
    lines = []
    reported = totals.get("reported", {})
    for key, value in totals.items():
        if key == "reported":
            continue  # said beside each casualty figure
        if key in reported:
            count, attacks = reported[key], totals["attacks"]
            if attacks and not count:
                lines.append(f"{key:<28}{'not reported':>12}  (no figure in {attacks_text(attacks)})")
            elif count < attacks:
                lines.append(f"{key:<30}{value:>10,}  (reported for {count:,} of {attacks:,} attacks)")
            else:
                lines.append(f"{key:<30}{value:>10,}")
        elif key == "people_cut_off":
            lines.append(f"{key}:  (at peak / on the end date / person-days)")
            lines += [
                f"  {name:<28}{f['at_peak']:>10,} / {f['on_end_date']:,} / {f['person_days']:,}"
                for name, f in value.items()
            ] or ["  (none)"]
        elif key == "registry_facilities":  # only when a facility registry was imported
            if value:
                lines.append(f"{key}:  (registered / hit by these incidents)")
                lines += [f"  {name:<28}{f['registered']:>10,} / {f['hit']:,}" for name, f in value.items()]
        elif isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {name:<28}{count:>10,}" for name, count in value.items()] or ["  (none)"]
        else:
            lines.append(f"{key:<30}{value:>10,}")
    lines.append("(projectiles_launched counts launches in the date range; place filters do not narrow it)")
    if unresolved is not None:
        lines.append(
            f"unresolved places: {unresolved['incidents']:,} incident(s), {unresolved['assets']:,} asset(s) name a "
            "place that is not one GeoNames place; a city filter finds them only by their own spelling"
        )
    return "\n".join(lines)
