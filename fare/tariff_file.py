"""Reading the rule sections of a tariff file: metro bands, taxi, categories, transfers, caps.

Each reader takes the `Node` of its section, checks every value (types, ranges,
non-negative money, bands that neither overlap nor leave a gap, known modes and
categories, unique rule ids) and returns the frozen rule objects of tariff.py.
"""

from __future__ import annotations

from fare.network_file import check_id
from fare.reader import Node
from fare.tariff import (
    Band,
    CapRule,
    CategoryRule,
    MetroRules,
    SurchargeTier,
    TaxiRules,
    TransferRule,
)

__all__ = [
    "read_caps",
    "read_categories",
    "read_metro",
    "read_taxi",
    "read_transfers",
]


def _rule_id(node: Node, seen: set[str], what: str) -> str:
    rule_id = check_id(node, "id", node.string("id"), what)
    if rule_id in seen:
        node.fail(f"{what} id {rule_id!r} is used twice", "id")
    seen.add(rule_id)
    return rule_id


def _bands(metro: Node) -> tuple[Band, ...]:
    """The distance bands, contiguous and in increasing order."""
    bands: list[Band] = []
    nodes = metro.tables("bands")
    if not nodes:
        metro.fail("expected at least one [[metro.bands]], got none", "bands")
    for number, node in enumerate(nodes, start=1):
        start = node.metres("from_km")
        end = node.opt_metres("to_km")
        if bands:
            prev_end = bands[-1].to_m
            if prev_end is None:
                node.fail(f"band {number} follows band {number - 1}, which has no to_km")
            if start < prev_end:
                node.fail(
                    f"metro band {number} overlaps band {number - 1}: expected from_km = "
                    f"{prev_end / 1000:g}, got {start / 1000:g}",
                    "from_km",
                )
            if start > prev_end:
                node.fail(
                    f"metro band {number} leaves a gap after band {number - 1}: expected "
                    f"from_km = {prev_end / 1000:g}, got {start / 1000:g}",
                    "from_km",
                )
        elif start == 0:
            node.fail(
                "expected the first band to start above 0 km (the base fare's reach)", "from_km"
            )
        if end is not None and end <= start:
            node.fail(
                f"expected to_km above from_km = {start / 1000:g}, got {end / 1000:g}", "to_km"
            )
        every = node.metres("every_km")
        if every == 0:
            node.fail("expected every_km > 0, got 0", "every_km")
        bands.append(Band(start, end, every, node.integer("add_fen")))
        node.close()
    return tuple(bands)


def read_metro(metro: Node) -> MetroRules:
    base = metro.integer("base_fare_fen")
    same = metro.table("same_station")
    rules = MetroRules(
        base_fare_fen=base,
        bands=_bands(metro),
        paid_area_limit_min=metro.integer("paid_area_limit_min", low=1),
        same_station_grace_min=same.integer("grace_min"),
        same_station_fare_fen=same.integer("fare_fen", default=base),
        max_fare_fen=metro.opt_integer("max_fare_fen"),
    )
    same.close()
    metro.close()
    return rules


def read_taxi(taxi: Node) -> TaxiRules:
    tiers: list[SurchargeTier] = []
    for node in taxi.tables("empty_return"):
        start = node.metres("from_km")
        end = node.opt_metres("to_km")
        if tiers and (tiers[-1].to_m is None or start < tiers[-1].to_m):
            node.fail("expected empty-return tiers in order and not overlapping", "from_km")
        if end is not None and end <= start:
            node.fail(
                f"expected to_km above from_km = {start / 1000:g}, got {end / 1000:g}", "to_km"
            )
        tiers.append(SurchargeTier(start, end, node.integer("surcharge_pct", high=1000)))
        node.close()
    steps = tuple(taxi.integers("round_to_fen", low=1))
    rules = TaxiRules(
        flag_fall_fen=taxi.integer("flag_fall_fen"),
        flag_fall_m=taxi.metres("flag_fall_km"),
        per_km_fen=taxi.integer("per_km_fen"),
        waiting_fen_per_min=taxi.integer("waiting_fen_per_min"),
        night_from_s=taxi.clock("night_from", "23:00"),
        night_until_s=taxi.clock("night_until", "06:00"),
        night_pct=taxi.integer("night_surcharge_pct", high=1000),
        empty_return=tuple(tiers),
        empty_return_at_night=taxi.flag("empty_return_at_night", False),
        round_to_fen=steps,
    )
    taxi.close()
    return rules


def read_categories(
    nodes: list[Node], modes: frozenset[str], known: frozenset[str]
) -> dict[str, CategoryRule]:
    rules: dict[str, CategoryRule] = {}
    for node in nodes:
        rule_id = _rule_id(node, set(rules), "a category")
        if rule_id not in known:
            node.fail(f"expected a category of {', '.join(sorted(known))}, got {rule_id!r}", "id")
        rules[rule_id] = CategoryRule(
            id=rule_id,
            name=node.string("name", default=rule_id.capitalize()),
            discount_pct=node.integer("discount_pct", high=100),
            modes=frozenset(node.strings("modes", allowed=modes)),
        )
        node.close()
    return rules


def read_transfers(nodes: list[Node], modes: frozenset[str]) -> tuple[TransferRule, ...]:
    seen: set[str] = set()
    rules: list[TransferRule] = []
    for node in nodes:
        rule_id = _rule_id(node, seen, "a transfer rule")
        ends = []
        for key in ("from_mode", "to_mode"):
            mode = node.string(key)
            if mode not in modes:
                node.fail(f"expected {key} one of {', '.join(sorted(modes))}, got {mode!r}", key)
            ends.append(mode)
        fen = node.opt_integer("discount_fen")
        pct = node.opt_integer("discount_pct", high=100)
        if (fen is None) == (pct is None):
            node.fail("expected exactly one of discount_fen and discount_pct")
        rules.append(
            TransferRule(
                id=rule_id,
                from_mode=ends[0],
                to_mode=ends[1],
                window_s=node.integer("window_min") * 60,
                discount_fen=fen,
                discount_pct=pct,
                chain=node.flag("chain", False),
            )
        )
        node.close()
    return tuple(rules)


def read_caps(
    nodes: list[Node], modes: frozenset[str], categories: frozenset[str]
) -> tuple[CapRule, ...]:
    seen: set[str] = set()
    rules: list[CapRule] = []
    for node in nodes:
        rule_id = _rule_id(node, seen, "a cap")
        period = node.string("period")
        if period not in ("day", "week"):
            node.fail(f"expected period 'day' or 'week', got {period!r}", "period")
        by_category = node.table("by_category_fen", optional=True)
        amounts = []
        for category, _ in by_category.items():
            if category not in categories:
                by_category.fail(f"expected a rider category, got {category!r}", category)
            amounts.append((category, by_category.integer(category)))
        rules.append(
            CapRule(
                id=rule_id,
                period=period,
                amount_fen=node.integer("amount_fen"),
                by_category_fen=tuple(sorted(amounts)),
                modes=frozenset(node.strings("modes", allowed=modes)),
            )
        )
        node.close()
    return tuple(rules)
