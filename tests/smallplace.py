"""Small places for fast model tests: same model, fewer people, shorter runs."""

from __future__ import annotations

from sim.parameters.params import Params
from sim.parameters.tree import apply_overrides


def merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def small(population: int = 20_000, horizon: float = 365.0, warmup: float = 90.0, **groups: dict) -> Params:
    """Parameters of a small place; keyword groups are overrides, e.g. acute={"beds_per_100k": 150}."""
    base = {"place": {"registered_population": population}, "time": {"horizon_days": horizon, "warmup_days": warmup}}
    return apply_overrides(Params(), merge(base, groups))


UNLIMITED = {
    "acute": {"beds_per_100k": 5_000.0},
    "routing": {"gp_urgent_slots_per_100k_per_day": 5_000.0},
    "elective": {"outpatient_slots_per_100k_per_day": 5_000.0},
    "social_care": {
        "social_workers_per_100k": 2_000.0,
        "home_care_packages_per_100k": 10_000.0,
        "reablement_places_per_100k": 2_000.0,
        "intermediate_care_beds_per_100k": 2_000.0,
        "care_home_places_per_100k": 10_000.0,
    },
}
