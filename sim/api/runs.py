"""Replications of one scenario (:func:`run`) and scenarios compared with the first (:func:`compare`), with
their results."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.api.errors import SettingsError
from sim.api.progress import Progress, bar
from sim.api.scenarios import as_scenario, load_source
from sim.api.settings import given_settings, run_settings, whole
from sim.parameters.filecheck import MAX_REPLICATIONS, MAX_SEED
from sim.scenarios.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

    from sim.analysis.posterior import Draw


class _Replications:
    """What :class:`RunResult` and :class:`ComparisonResult` both hold: the runs' tables, by name and read for
    overloads."""

    kpis: pd.DataFrame
    timeseries: pd.DataFrame
    events: pd.DataFrame | None
    yearly: pd.DataFrame | None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The runs' tables by name as the command line writes them: ``kpis``, ``timeseries``, ``yearly`` (and
        ``events``)."""
        frames = {"kpis": self.kpis, "timeseries": self.timeseries}
        if self.yearly is not None:
            frames["yearly"] = self.yearly
        return frames if self.events is None else {**frames, "events": self.events}

    @property
    def overloads(self) -> pd.DataFrame:
        """The queues that grow through the window, per scenario (``sim/analysis/stability.py``), with
        ``unstable``."""
        from sim.analysis.stability import check

        return check(self.timeseries)


@dataclass(frozen=True)
class RunResult(_Replications):
    """Replications of one scenario (:func:`run`).

    Attributes
    ----------
    scenario : Scenario
        The scenario run.
    kpis : pandas.DataFrame
        ``kpis.csv``: ``scenario, replication, cohort, metric, value``.
    timeseries : pandas.DataFrame
        ``timeseries.csv``: ``scenario, replication, day, series, value`` (weekly).
    events : pandas.DataFrame or None
        ``events.csv`` (``scenario, replication, person_id, time_days, event, count, detail``), when asked for.
    replications : int
        Replications run.
    seed : int
        The master seed.
    seconds : float
        Wall-clock time of the runs.
    yearly : pandas.DataFrame or None
        ``yearly.csv``: ``scenario, replication, year, cohort, metric, value``, the standard cohorts' metrics
        year by year of the window (:mod:`sim.outcomes.yearly`).
    """

    scenario: Scenario
    kpis: pd.DataFrame
    timeseries: pd.DataFrame
    events: pd.DataFrame | None
    replications: int
    seed: int
    seconds: float
    yearly: pd.DataFrame | None = None

    @property
    def summary(self) -> pd.DataFrame:
        """Mean and 95% interval of every metric by cohort: ``scenario, cohort, metric, n, mean, sd, ...``."""
        from sim.analysis.stats import summarise

        return summarise(self.kpis)

    @property
    def capacity_warnings(self) -> list[str]:
        """The services a small place holds fewer than two units of, in words (empty at 100,000 people or more)."""
        from sim.core.capacity_check import combined_warnings

        return combined_warnings([(self.scenario.name, self.scenario.params)])


def run(
    scenario: Scenario | str | os.PathLike[str] | None = None,
    *,
    reps: int = 5,
    seed: int = 1,
    population: int | None = None,
    horizon_days: float | None = None,
    warmup_days: float | None = None,
    overrides: Mapping[str, Any] | None = None,
    events: bool = False,
    progress: Progress = True,
) -> RunResult:
    """Run replications of one scenario: ``caresim run``.

    Parameters
    ----------
    scenario : Scenario, str or path-like, optional
        A scenario from :func:`load_scenario`, or a file (``None`` or ``"baseline"``: the built-in baseline).
    reps : int, default 5
        Replications, numbered from 0.
    seed : int, default 1
        The master seed: the same seed gives the same numbers.
    population, horizon_days, warmup_days, overrides
        As in :func:`load_scenario`, for a scenario given as a file (a loaded one has its own).
    events : bool, default False
        Also record the window's events (``RunResult.events``).
    progress : bool or callable, default True
        A progress bar; ``False`` for none, or a function called after each run with ``(done, total, seconds)``.

    Returns
    -------
    RunResult
        ``kpis``, ``timeseries`` (and ``events``) in the columns of the command line's files.

    Raises
    ------
    ScenarioError
        The scenario cannot be used.
    SettingsError
        A count or run setting is out of range, or settings are given for a scenario already loaded.
    ReplicationFailed
        A replication raised.

    Examples
    --------
    >>> result = run("scenarios/baseline.toml", population=20_000, reps=3, horizon_days=365)
    >>> result.summary.query("cohort == 'all' and metric == 'emergency_admissions'")
    """
    reps = whole(reps, "--reps", 1, MAX_REPLICATIONS)
    seed = whole(seed, "--seed", 0, MAX_SEED)
    given = given_settings(population=population, horizon_days=horizon_days, warmup_days=warmup_days)
    resolved = as_scenario(scenario, run_settings(population, horizon_days, warmup_days), given, overrides)
    from sim.replication.runner import multiple_replications

    t0 = time.perf_counter()
    with bar(progress, reps) as step:
        frames = multiple_replications(
            resolved.params,
            resolved.name,
            reps,
            seed,
            prelaunch=resolved.prelaunch,
            log_events=bool(events),
            progress=step,
        )
    seconds = time.perf_counter() - t0
    return RunResult(
        resolved, frames["kpis"], frames["timeseries"], frames.get("events"), reps, seed, seconds, frames.get("yearly")
    )


@dataclass(frozen=True)
class ComparisonResult(_Replications):
    """Scenarios run with common random numbers and compared with the first (:func:`compare`).

    Attributes
    ----------
    scenarios : tuple of Scenario
        The scenarios, the reference first.
    kpis : pandas.DataFrame
        ``kpis.csv`` of every scenario; the reference's rows for the people enrolled in scenario X carry
        cohort ``mdt:X`` (the same people, from their enrolment date).  Over posterior draws, a ``draw`` column.
    timeseries : pandas.DataFrame
        ``timeseries.csv`` of every scenario.
    events : pandas.DataFrame or None
        ``events.csv``, when asked for.
    comparison : pandas.DataFrame
        ``comparison.csv``: ``scenario, cohort, metric, reference_mean, scenario_mean, diff_mean, diff_ci_low,
        diff_ci_high, pct_change, pct_ci_low, pct_ci_high, paired, unstable``; cohort ``mdt`` of scenario X is
        compared with the same people in the reference.  Over posterior draws it also holds the parts of each
        change's variance.
    uncertainty : pandas.DataFrame or None
        ``uncertainty.csv`` over posterior draws: the split of each interval's variance between calibration
        and randomness.
    draws : tuple
        The posterior draws run (empty without ``posterior``).
    paired : dict of str to bool
        For each scenario, whether its comparison is paired (the same population as the reference).
    replications : int
        Replications of each scenario (on each draw).
    seed : int
        The master seed.
    seconds : float
        Wall-clock time of the runs.
    balance : pandas.DataFrame or None
        ``matching_balance.csv``: for each scenario whose MDT enrolled anyone, the emulated evaluation's
        balance (standardised differences of the matched variables, ``sim/outcomes/matching.py``).
    ledger : pandas.DataFrame or None
        ``ledger.csv``: who pays and who saves, by organisation in each cost view, from the comparison's
        cohort ``all`` (``sim/analysis/ledger.py``, docs/costs.md).
    yearly : pandas.DataFrame or None
        ``yearly.csv``: every scenario's standard cohorts year by year (with ``draw`` over posterior draws).
    npv : pandas.DataFrame or None
        ``npv.csv``: each scenario's change in total cost as a net present value and in days at home,
        discounted at the Green Book's rates (``sim/analysis/discounting.py``, docs/costs.md); None when the
        window has no whole year.
    """

    scenarios: tuple[Scenario, ...]
    kpis: pd.DataFrame
    timeseries: pd.DataFrame
    events: pd.DataFrame | None
    comparison: pd.DataFrame
    uncertainty: pd.DataFrame | None
    draws: tuple[Draw, ...]
    paired: dict[str, bool]
    replications: int
    seed: int
    seconds: float
    balance: pd.DataFrame | None = None
    ledger: pd.DataFrame | None = None
    yearly: pd.DataFrame | None = None
    npv: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """As the command line writes them: ``kpis``, ``timeseries``, ``events`` if asked for, and ``balance``
        (``matching_balance.csv``) when a scenario's MDT enrolled anyone."""
        frames = super().tables()
        return frames if self.balance is None else {**frames, "balance": self.balance}

    @property
    def names(self) -> list[str]:
        """The scenarios' names, the reference first."""
        return [s.name for s in self.scenarios]

    @property
    def capacity_warnings(self) -> list[str]:
        """The services a small place holds fewer than two units of, in words."""
        from sim.core.capacity_check import combined_warnings

        return combined_warnings([(s.name, s.params) for s in self.scenarios])


def compare(
    scenarios: Sequence[Scenario | str | os.PathLike[str]],
    *,
    reps: int = 5,
    seed: int = 1,
    population: int | None = None,
    horizon_days: float | None = None,
    warmup_days: float | None = None,
    events: bool = False,
    posterior: int | None = None,
    posterior_file: str | os.PathLike[str] | None = None,
    progress: Progress = True,
) -> ComparisonResult:
    """Run scenarios with common random numbers and compare each with the first: ``caresim compare``.

    Parameters
    ----------
    scenarios : sequence of Scenario, str or path-like
        Two or more: loaded scenarios, files, or ``"baseline"``; the first is the reference.  Names must
        differ.
    reps : int, default 5
        Replications of each scenario.
    seed : int, default 1
        The master seed, shared by every scenario (person by person the same random numbers).
    population, horizon_days, warmup_days
        Run settings for the scenarios given as files, as in :func:`load_scenario`.
    events : bool, default False
        Also record the window's events.
    posterior : int, optional
        Run this many draws (2 or more) of the calibrated parameters, each under every scenario, so that
        the intervals carry the calibration's uncertainty too; scenarios must then be given as files.
    posterior_file : str or path-like, optional
        The posterior sample (default: ``calibration/fitted/pilots/posterior.csv``).
    progress : bool or callable, default True
        A progress bar; ``False`` for none, or a function called after each run with ``(done, total, seconds)``.

    Returns
    -------
    ComparisonResult
        ``comparison`` (the changes with 95% intervals), ``kpis``, ``timeseries`` and, over draws,
        ``uncertainty``.

    Raises
    ------
    ScenarioError
        A scenario cannot be used, or two have the same name.
    SettingsError
        A count, run setting or posterior draw cannot be used.
    ReplicationFailed
        A replication raised.

    Examples
    --------
    >>> result = compare(["baseline", "scenarios/nurse_led_mdt.toml"], population=20_000, reps=3)
    >>> result.comparison.query("cohort == 'mdt'")[["metric", "pct_change", "pct_ci_low", "pct_ci_high"]]
    """
    reps = whole(reps, "--reps", 1, MAX_REPLICATIONS)
    seed = whole(seed, "--seed", 0, MAX_SEED)
    if isinstance(scenarios, (str, os.PathLike, Scenario)) or not isinstance(scenarios, Sequence):
        raise SettingsError("scenarios: give a list of two or more scenarios, the first being the reference")
    if len(scenarios) < 2:
        raise SettingsError(
            f"scenarios: compare needs at least two scenarios, the first being the reference; got {len(scenarios)}"
        )
    settings = run_settings(population, horizon_days, warmup_days)
    given = given_settings(population=population, horizon_days=horizon_days, warmup_days=warmup_days)
    from sim.scenarios.scenario import check_names

    loaded = [as_scenario(s, settings, given, None) for s in scenarios]
    check_names(loaded)
    draws = _draws(posterior, posterior_file, reps, seed)
    if draws and any(isinstance(s, Scenario) for s in scenarios):
        raise SettingsError(
            "--posterior: give the scenarios as files: each posterior draw resolves them again on its own defaults"
        )
    sets = [[load_source(s, d.settings(settings)) for s in scenarios] for d in draws]
    from sim.analysis.compare import comparison_table, pairing, run_comparison
    from sim.analysis.ledger import ledger_table
    from sim.analysis.posterior import run_over_draws

    t0 = time.perf_counter()
    with bar(progress, len(loaded) * reps * max(1, len(draws))) as step:
        if draws:
            frames = run_over_draws(sets, draws, reps, seed, bool(events), progress=step)
        else:
            frames = run_comparison(loaded, reps, seed, log_events=bool(events), progress=step)
    seconds = time.perf_counter() - t0
    names = [s.name for s in loaded]
    paired = pairing(loaded)
    table = comparison_table(frames["kpis"], names, paired, timeseries=frames["timeseries"])
    uncertainty = None
    if draws:
        from sim.analysis.uncertainty import uncertainty_table

        uncertainty = uncertainty_table(table, ["scenario", "cohort", "metric"])
    yearly = frames.get("yearly")
    return ComparisonResult(
        tuple(loaded),
        frames["kpis"],
        frames["timeseries"],
        frames.get("events"),
        table,
        uncertainty,
        tuple(draws),
        paired,
        reps,
        seed,
        seconds,
        frames.get("balance"),
        ledger_table(table),
        yearly,
        _npv(yearly, loaded, paired, table),
    )


def _npv(yearly: pd.DataFrame | None, scenarios: Sequence[Scenario], paired: dict[str, bool], table: pd.DataFrame):
    """``npv.csv`` of a comparison (:func:`sim.analysis.discounting.npv_table`); None without a whole year."""
    from sim.analysis.discounting import npv_table, rates_of
    from sim.outcomes import registry
    from sim.outcomes.yearly import whole_years

    ref = scenarios[0]
    if yearly is None or whole_years(ref.params.time.horizon_days) < 1:
        return None
    unstable = dict(zip(table["scenario"], table[registry.UNSTABLE]))
    compared = [(s.name, ref.name, paired[s.name]) for s in scenarios[1:]]
    return npv_table(yearly, compared, rates_of(ref.params.discounting), unstable=unstable)


def _draws(posterior: Any, posterior_file: Any, reps: int, seed: int) -> tuple[Draw, ...]:
    """The posterior draws asked for (none without ``posterior``)."""
    if posterior is None:
        if posterior_file is not None:
            raise SettingsError("--posterior-file: give the number of draws too (--posterior K)")
        return ()
    k = whole(posterior, "--posterior", 2)
    if reps < 2:
        raise SettingsError(
            f"--posterior: needs at least 2 replications (--reps) to tell calibration uncertainty "
            f"from randomness, got {reps}"
        )
    from sim.analysis.posterior import PosteriorError, load_posterior

    flag = "--posterior-file" if posterior_file is not None else "--posterior"
    try:
        return load_posterior(posterior_file).draws(k, seed)
    except PosteriorError as e:
        raise SettingsError(f"{flag}: {e}") from None
