"""The metric tiles: one per total (one per service for people without service), each with its help text.

Examples
--------
>>> shown = tiles({"attacks": 2, "killed": 1, "injured": 0, "children_killed": 0,
...     "children_injured": 0, "people_without_service": {"heating": 40000},
...     "facilities_hit": {"school": 1}, "projectiles_launched": 3,
...     "reported": {"killed": 1, "injured": 0, "children_killed": 0, "children_injured": 0}})
>>> [(t.label, t.shown, t.detail) for t in shown][1:3]
[('Killed', '1', 'reported for 1 of 2 attacks'), ('Injured', 'not reported', 'no figure in 2 attacks')]
>>> [t.label for t in shown][-3:]
['Without heating', 'Facilities hit', 'Projectiles launched']
>>> headline, rest = split_tiles(shown)
>>> [t.label for t in headline]
['Attacks', 'Killed', 'Injured', 'Without heating']
>>> facility_rows({"facilities_hit": {"school": 1, "gas_pipeline": 2, "hospital": 0}})
[('gas pipeline', 2), ('school', 1)]
"""

from __future__ import annotations

from dataclasses import dataclass

HELP = {
    "attacks": "Located attacks (one place, one day or night, one wave). Nationwide launch counts are not attacks.",
    "killed": "People killed, summed as the sources report them. An incident with no figure adds nothing; "
    "the line below says how many attacks give one, and 'not reported' means none does.",
    "injured": "People injured, summed as reported. An incident with no figure adds nothing; "
    "'not reported' means no attack in view gives a figure.",
    "children_killed": "Children among the killed, as reported ('not reported' when no attack in view says).",
    "children_injured": "Children among the injured, as reported ('not reported' when no attack in view says).",
    "people_without_service": "The most people cut off from this service on any one day of the range. Counted "
    "as people: per place and day the largest figure among its facilities out (a facility hit twice, or two "
    "facilities serving one town, count the town once), never more than the place's population; an outage "
    "lasts until a record states its restoration. Below: those still cut off on the range's last day, and "
    "person-days (people × days cut off). A lower bound where the source says 'over'.",
    "facilities_hit": "Facilities hit, each counted once; a group such as 'over 40 residential buildings' counts 40.",
    "projectiles_launched": "Missiles and drones launched in the date range, from launch counts. "
    "City, oblast and asset filters do not narrow it: launch counts have no place.",
}
LABELS = {
    "attacks": "Attacks",
    "killed": "Killed",
    "injured": "Injured",
    "children_killed": "Children killed",
    "children_injured": "Children injured",
    "facilities_hit": "Facilities hit",
    "projectiles_launched": "Projectiles launched",
}


NOT_REPORTED = "not reported"


@dataclass(frozen=True)
class Tile:
    """One metric: ``value`` None means no record in view reports it (shown as "not reported")."""

    key: str
    label: str
    value: int | None
    help: str
    detail: str = ""

    @property
    def shown(self) -> str:
        return NOT_REPORTED if self.value is None else f"{self.value:,}"


def attacks_text(count: int) -> str:
    """ "1 attack", "2 attacks": the words the tiles and the command line use.

    >>> attacks_text(1), attacks_text(1200)
    ('1 attack', '1,200 attacks')
    """
    return f"{count:,} attack" + ("" if count == 1 else "s")


def _casualty_tile(key: str, totals: dict) -> Tile:
    attacks, reported = totals["attacks"], totals["reported"][key]
    if attacks and not reported:
        return Tile(key, LABELS[key], None, HELP[key], f"no figure in {attacks_text(attacks)}")
    detail = f"reported for {reported:,} of {attacks:,} attacks" if reported < attacks else ""
    return Tile(key, LABELS[key], totals[key], HELP[key], detail)


def tiles(totals: dict) -> list[Tile]:
    """Tiles in display order for a totals dict from ``summarize``."""
    out = [Tile("attacks", LABELS["attacks"], totals["attacks"], HELP["attacks"])]
    out += [_casualty_tile(k, totals) for k in ("killed", "injured", "children_killed", "children_injured")]
    services = totals["people_without_service"] or {"any service": 0}
    cut_off = totals.get("people_cut_off", {})
    for service, people in services.items():
        figures = cut_off.get(service)
        detail = (
            f"on the end date {figures['on_end_date']:,}; {figures['person_days']:,} person-days" if figures else ""
        )
        out.append(Tile("people_without_service", f"Without {service}", people, HELP["people_without_service"], detail))
    facilities = totals["facilities_hit"]
    # The breakdown by type is a table beside the map (facility_rows), not a paragraph under the tile.
    out.append(Tile("facilities_hit", LABELS["facilities_hit"], sum(facilities.values()), HELP["facilities_hit"]))
    out.append(
        Tile(
            "projectiles_launched",
            LABELS["projectiles_launched"],
            totals["projectiles_launched"],
            HELP["projectiles_launched"],
        )
    )
    return out


HEADLINE_KEYS = ("attacks", "killed", "injured")


def split_tiles(all_tiles: list[Tile]) -> tuple[list[Tile], list[Tile]]:
    """The headline row (attacks, killed, injured, the service with the most people cut off at peak) and the rest.

    One service stands in the headline, the one with most people cut off: people without heat
    and without water are often the same people, so their sum would be no count of people.
    Both lists keep the order of :func:`tiles`; together they are every tile once.
    """
    services = [tile for tile in all_tiles if tile.key == "people_without_service"]
    # max keeps the first of equal peaks; "not reported" never happens for a peak (it is 0 or more).
    peak = max(services, key=lambda tile: tile.value or 0) if services else None
    in_headline = [tile.key in HEADLINE_KEYS or tile is peak for tile in all_tiles]
    headline = [tile for tile, shown in zip(all_tiles, in_headline, strict=True) if shown]
    return headline, [tile for tile, shown in zip(all_tiles, in_headline, strict=True) if not shown]


def facility_rows(totals: dict) -> list[tuple[str, int]]:
    """Facilities hit by type, most first, types with none left out: the table beside the map."""
    hit = [(name.replace("_", " "), count) for name, count in totals["facilities_hit"].items() if count]
    return sorted(hit, key=lambda row: -row[1])


def outages_note(open_outages: int) -> str:
    """What the page says of outages whose restoration no record states."""
    noun = "outage has" if open_outages == 1 else "outages have"
    return (
        f"{open_outages:,} {noun} no stated restoration: counted as cut off until the end of the range, "
        "until a later record says otherwise."
    )
