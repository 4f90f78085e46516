"""The parameters in force at each time of the statistics window, from a scenario's changes over time.

A scenario's parameters hold every change in full effect; the changes that take time are recorded
beside them (:mod:`sim.parameters.timeline`).  A change's share of its full effect (:func:`share`)
is 0 before it starts, rises over its ramp-up in monthly steps of :class:`~sim.core.ramp.Ramp` (a
month is a twelfth of a year, so a plan from year 3 starts on the year's first day and a 12-month
ramp ends on the next year's), is 1 until funding stops, and falls back to 0 over its decay in the
same steps (the decay is the ramp-up run backwards: over the decay as a whole, half the effect).

A parameter moved by changes ``k = 1..n`` in turn (before_k -> after_k, where after_k is
before_{k+1}) is in force at

    after_n - sum_k (1 - share_k) x (after_k - before_k)

so it is exactly the scenario's value once every change is in full effect (and exactly the value
before them while none is in effect); a whole number (a count) is rounded, and a flag takes the
value it had before the first change not yet half in effect (so a flag's mean over a ramp is half,
like a number's).  Capacities become whole units as the model builds them
(``sim.core.model.capacities``).

:func:`params_at` gives the parameters at one time, :func:`step_times` the times they change, and
:func:`periods` splits an interval into periods of constant parameters (costs count what was held, for
as long as it was held).  Times are days from the window's start (the launch).
"""

from __future__ import annotations

from typing import Any

from sim.core.population import DAYS_PER_YEAR
from sim.core.ramp import Ramp
from sim.parameters.params import Params
from sim.parameters.timeline import Change, Value, changes_of
from sim.parameters.tree import apply_overrides

MONTH_DAYS = DAYS_PER_YEAR / 12  # a month of a ramp-up or decay: 30.4375 days


def share(c: Change, t: float) -> float:
    """Change ``c``'s share (0 to 1) of its full effect ``t`` days after the window's start."""
    if t < c.start_days:
        return 0.0
    if c.stop_days is not None and t >= c.stop_days:
        return 1.0 - Ramp(c.decay_days, MONTH_DAYS).share(t - c.stop_days)
    return Ramp(c.ramp_days, MONTH_DAYS).share(t - c.start_days)


def _chains(changes: tuple[Change, ...]) -> dict[str, list[tuple[Change, Value, Value]]]:
    """Per parameter, the changes that move it, in the order they were applied."""
    out: dict[str, list[tuple[Change, Value, Value]]] = {}
    for c in changes:
        for key, before, after in c.values:
            out.setdefault(key, []).append((c, before, after))
    return out


def value_at(chain: list[tuple[Change, Value, Value]], t: float) -> Value:
    """A parameter's value ``t`` days after the window's start, given the changes that move it."""
    shares = [share(c, t) for c, _, _ in chain]
    last = chain[-1][2]
    if isinstance(last, bool):
        return next((before for (_, before, _), s in zip(chain, shares) if s < 0.5), last)
    if not any(shares):
        return chain[0][1]  # before the first change, or once every change has gone back: exactly as before
    v = float(last)
    for (_, before, after), s in zip(chain, shares):
        if s != 1.0:
            v -= (1.0 - s) * (after - before)
    every = [float(x) for _, before, after in chain for x in (before, after)]
    v = min(max(v, min(every)), max(every))  # no rounding error outside the values it moves between
    return round(v) if isinstance(last, int) else v


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        group, name = key.split(".")
        out.setdefault(group, {})[name] = value
    return out


def params_at(p: Params, t: float) -> Params:
    """The parameters in force ``t`` days after the window's start (``p`` itself when it has no changes)."""
    changes = changes_of(p)
    if not changes:
        return p
    at: Params = apply_overrides(p, _nested({key: value_at(chain, t) for key, chain in _chains(changes).items()}))
    return at


def step_times(p: Params, lo: float, hi: float) -> list[float]:
    """The days after the window's start, in (``lo``, ``hi``), at which the parameters in force change."""
    times: set[float] = set()
    for c in changes_of(p):
        times.add(c.start_days)
        times.update(c.start_days + d for d in Ramp(c.ramp_days, MONTH_DAYS).changes())
        if c.stop_days is not None:
            times.add(c.stop_days)
            times.update(c.stop_days + d for d in Ramp(c.decay_days, MONTH_DAYS).changes())
    return sorted(t for t in times if lo < t < hi)


def periods(p: Params, lo: float, hi: float) -> list[tuple[float, float, Params]]:
    """[``lo``, ``hi``) in periods of constant parameters: (start, end, the parameters in force), days from the
    window's start; ``p`` itself over the whole interval when it has no changes."""
    cuts = [lo, *step_times(p, lo, hi), hi]
    return [(a, b, params_at(p, a)) for a, b in zip(cuts, cuts[1:])]
