"""A scenario's changes over time: which parameters move, from what to what, from when, and how fast.

A scenario's interventions, shifts and capacity plans are applied to its parameters when it is
resolved (``sim/scenarios``), so its parameters hold every change in full effect.  A change that
takes time (a ramp-up after the launch, a decay when funding stops, a capacity plan from a later
year) is recorded beside them as a :class:`Change`: the parameters it moves, each one's value before
and after it, and its timing.  ``sim/core/schedule.py`` turns the changes into the parameters in
force at each time of the statistics window.

:class:`TimedParams` is the scenario's parameters with its changes.  The timeline is part of what a
scenario resolves to, so it travels wherever the parameters go (every runner, a process pool or a
Dask worker, the results store's scenario hash, which is taken over ``to_dict``) with no argument of
its own; a scenario without changes over time resolves to a plain :class:`Params`, exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sim.parameters.params import Params
from sim.parameters.tree import ParameterError, param

Value = float | int | bool  # a parameter a change moves: a number or a flag


@dataclass(frozen=True)
class Change:
    """Parameters moving from ``before`` to ``after`` values over time, days counted from the window's start.

    The change's share of its full effect is 0 before ``start_days``, rises to 1 over ``ramp_days``
    (0: at once), and falls back to 0 over ``decay_days`` from ``stop_days`` (``None``: never stops),
    in monthly steps (``sim.core.schedule.share``).
    """

    label: str  # where it comes from: 'intervention.rapid_response', 'shift[1]', 'capacity_plan[2]'
    values: tuple[tuple[str, Value, Value], ...]  # (dotted parameter, value before, value after)
    start_days: float = 0.0
    ramp_days: float = 0.0
    stop_days: float | None = None
    decay_days: float = 0.0


@dataclass(frozen=True)
class TimedParams(Params):
    """A scenario's parameters in full effect, and the changes that take time to get there (or to go back)."""

    changes: tuple[Change, ...] = param(
        (),
        "changes over time: parameters moved, before and after values, start, ramp-up, funding stop and decay",
        "the scenario's ramp_up_months, funding_stops_year and decay_months settings and its [[capacity_plan]] "
        "entries (sim/scenarios/timing.py, sim/scenarios/capacity_plan.py)",
    )

    def __post_init__(self) -> None:
        # Params' own fields are groups, each checked when it was built; the changes are checked here
        if not isinstance(self.changes, tuple) or not all(isinstance(c, Change) for c in self.changes):
            raise ParameterError(f"changes: expected changes over time, got {self.changes!r}")
        self.check()


def changes_of(p: Params) -> tuple[Change, ...]:
    """The changes over time of ``p`` (none for a plain :class:`Params`)."""
    return p.changes if isinstance(p, TimedParams) else ()


def with_changes(p: Params, changes: tuple[Change, ...]) -> Params:
    """``p``'s parameters with ``changes``: a plain :class:`Params` when there are none."""
    groups = {f.name: getattr(p, f.name) for f in fields(Params)}
    return TimedParams(**groups, changes=changes) if changes else Params(**groups)


def after_the_window(p: Params) -> list[str]:
    """Changes over time that start after the statistics window ends, in words: they change nothing in this run.

    A scenario written for ten years and run for two (``--horizon-days``) keeps its later plans; this says
    so rather than letting them pass unseen.
    """
    days_per_year = 365.25
    horizon = p.time.horizon_days
    return [
        f"{c.label} starts in year {c.start_days / days_per_year + 1:.3g} of the window, after its end "
        f"({horizon / days_per_year:.3g} years): it changes nothing in this run (a longer [time] horizon_days, "
        "or --horizon-days, includes it)"
        for c in changes_of(p)
        if c.start_days >= horizon
    ]


def change_record(c: Change) -> dict[str, object]:
    """One change over time as plain data, in years and months of the window (for metadata.json)."""
    days_per_year, days_per_month = 365.25, 365.25 / 12
    return {
        "label": c.label,
        "parameters": [{"parameter": key, "before": before, "after": after} for key, before, after in c.values],
        "start_year": c.start_days / days_per_year + 1,
        "ramp_up_months": c.ramp_days / days_per_month,
        "funding_stops_year": None if c.stop_days is None else c.stop_days / days_per_year + 1,
        "decay_months": c.decay_days / days_per_month,
    }


def change_lines(p: Params) -> list[str]:
    """Each change over time of ``p`` in words, one line each (``caresim validate``)."""
    out = []
    for c in changes_of(p):
        r = change_record(c)
        moved = ", ".join(f"{key} {before:g} -> {after:g}" for key, before, after in c.values)
        when = f"from year {r['start_year']:.3g}"
        if c.ramp_days:
            when += f" over {r['ramp_up_months']:.3g} months"
        if r["funding_stops_year"] is not None:
            when += f"; funding stops in year {r['funding_stops_year']:.3g}"
            when += f", fading over {r['decay_months']:.3g} months" if c.decay_days else ", at once"
        out.append(f"{c.label}: {moved}, {when}")
    return out
