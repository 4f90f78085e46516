"""Running a population of sites and reading it as a council would (seed 003).

Each site makes three runs, each through the experiment runner into the results store (so an
interrupted run resumes without recomputing):

- ``before``: the site without integration, replication ``2 n`` (``n`` the site's number);
- ``after_null``: the site without integration again, replication ``2 n + 1``: new random numbers,
  no effect at all (the noise floor);
- ``after_integration``: the site with the integration scenario, replication ``2 n + 1``.

A council compares two periods of its own figures, not the same people with and without
integration, so a site's reported change is ``after / before - 1`` between runs with independent
random numbers.  The two "after" runs share theirs (common random numbers), so the gap between
the integration's share and the noise floor's is the integration's own.  No two sites share random
numbers: their replication indices differ.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from sim.calibration.sites import SitesStudy
from sim.experiments.batch import Outcome, Planned, run_tasks
from sim.experiments.experiment import Experiment, Grid, Variant
from sim.experiments.store import Store
from sim.experiments.tasks import task_key
from sim.parameters.params import capacity_basis, per_place
from sim.scenarios.scenario import scenario_hash

ROLES = ("before", "after_null", "after_integration")
SCENARIOS = {"after_integration": "integration", "after_null": "no effect"}
COLUMN = {"after_integration": "integration", "after_null": "no_effect"}
THRESHOLDS = (0.0, 0.01, 0.02, 0.05, 0.10)
SHARES_COLUMNS = [
    "metric",
    "scenario",
    "sites",
    "improved",
    "share",
    "ci_low",
    "ci_high",
    "undefined",
    "minimal_change",
    "better",
    "excess_over_no_effect",
    "excess_ci_low",
    "excess_ci_high",
    "seed_share",
    "seed_source",
]


def replication(site: int, role: str) -> int:
    """The replication index of a site's run: distinct for every site; the two "after" runs share one."""
    return 2 * site + (0 if role == "before" else 1)


def plan_sites(study: SitesStudy) -> tuple[list[Planned], dict[str, tuple[int, str]]]:
    """Every run, site by site (so partial results are whole sites), and each key's (site, role)."""
    tasks: list[Planned] = []
    roles: dict[str, tuple[int, str]] = {}
    for site in study.sites:
        for role in ROLES:
            scenario = site.integration if role == "after_integration" else site.before
            h = scenario_hash(scenario.params, scenario.prelaunch)
            rep = replication(site.number, role)
            key = task_key(h, site.number, study.seed, rep)
            tasks.append(Planned(key, Variant(scenario, site.number), len(tasks), rep, h, False))
            roles[key] = (site.number, role)
    return tasks, roles


def experiment(study: SitesStudy, out: Path) -> Experiment:
    """The experiment the runner needs for its seed and bookkeeping (the grid is the site number)."""
    first = study.sites[0]
    numbers = tuple(s.number for s in study.sites)
    return Experiment(
        name=study.name,
        description=study.description,
        path=study.path,
        scenarios=(first.before, first.integration),
        files=(study.reference, study.integration),
        reference=first.before.name,
        replications=2,
        seed=study.seed,
        settings=study.settings,
        metrics=tuple(m.metric for m in study.metrics),
        charts=(),
        out=out,
        grid=Grid("site", numbers, (first.before.name, first.integration.name), "site number"),
        variants=tuple(Variant(s, site.number) for site in study.sites for s in (site.before, site.integration)),
    )


def run_sites(
    study: SitesStudy,
    store: Store,
    executor,
    commit: str | None,
    out: Path,
    progress: Callable[[Planned, str | None], None] | None = None,
) -> tuple[Outcome, dict[str, tuple[int, str]]]:
    tasks, roles = plan_sites(study)
    return run_tasks(tasks, experiment(study, out), store, executor, commit, progress), roles


# --- what each site would report --------------------------------------------------------------------


def site_table(
    study: SitesStudy, store: Store, tasks: list[Planned], roles: dict[str, tuple[int, str]]
) -> pd.DataFrame:
    """One row per site: size, baseline differences, factors, whole units, and each metric before and after."""
    status = store.status()
    done = [t.key for t in tasks if status.get(t.key) == "ok"]
    kpis = store.kpis(done)
    wanted = {m.metric for m in study.metrics}
    kpis = kpis[(kpis["cohort"] == study.cohort) & kpis["metric"].isin(wanted)]
    values = {(*roles[k], m): v for k, m, v in kpis[["key", "metric", "value"]].itertuples(index=False)}
    rows = []
    for site in study.sites:
        n = site.number
        b, q = site.before.params, site.integration.params
        row = {
            "site": n,
            "population": site.population,
            **dict(site.differences),
            **dict(site.factors),
            "acute_beds": per_place(b.acute.beds_per_100k, capacity_basis(b)),
            "social_workers": per_place(b.social_care.social_workers_per_100k, capacity_basis(b)),
            "mdt_coordinators": sum(per_place(c, capacity_basis(q)) for c in q.mdt.coordinators_per_100k),
            "complete": all((n, role, m) in values for role in ROLES for m in wanted) or not wanted,
        }
        for m in study.metrics:
            before = values.get((n, "before", m.metric), math.nan)
            row[f"{m.metric}_before"] = before
            for role in ("after_integration", "after_null"):
                row[f"{m.metric}_after_{COLUMN[role]}"] = values.get((n, role, m.metric), math.nan)
            for role in ("after_integration", "after_null"):
                change = _change(before, row[f"{m.metric}_after_{COLUMN[role]}"])
                row[f"{m.metric}_change_{COLUMN[role]}"] = change
                row[f"{m.metric}_improved_{COLUMN[role]}"] = m.improved(change)
        rows.append(row)
    return pd.DataFrame(rows)


def _change(before: float, after: float) -> float:
    if not (math.isfinite(before) and math.isfinite(after)) or before == 0:
        return math.nan
    return after / before - 1.0


def shares(study: SitesStudy, table: pd.DataFrame) -> pd.DataFrame:
    """Per metric and scenario: the share of (complete) sites reporting an improvement, with a 95% exact interval.

    For the integration, ``excess_over_no_effect`` is the paired difference from the noise floor over
    the same sites (mean of the per-site differences, normal 95% interval).
    """
    done = table[table["complete"]]
    rows = []
    for m in study.metrics:
        flags = {
            role: done[f"{m.metric}_improved_{COLUMN[role]}"].to_numpy(dtype=bool)
            for role in ("after_integration", "after_null")
        }
        diff = flags["after_integration"].astype(float) - flags["after_null"].astype(float)
        excess = _mean_interval(diff)
        for role in ("after_integration", "after_null"):
            k, n = int(flags[role].sum()), len(done)
            low, high = _binomial(k, n)
            undefined = int(done[f"{m.metric}_change_{COLUMN[role]}"].isna().sum())
            ex = excess if role == "after_integration" else (math.nan,) * 3
            rows.append(
                [
                    m.metric,
                    SCENARIOS[role],
                    n,
                    k,
                    k / n if n else math.nan,
                    low,
                    high,
                    undefined,
                    m.minimal_change,
                    m.better,
                    *ex,
                    m.reported_share,
                    m.source,
                ]
            )
    return pd.DataFrame(rows, columns=SHARES_COLUMNS)


def thresholds(study: SitesStudy, table: pd.DataFrame) -> pd.DataFrame:
    """The shares again with other minimal amounts (no new runs): how much the stated one matters."""
    done = table[table["complete"]]
    rows = []
    for m in study.metrics:
        for cut in sorted(set(THRESHOLDS) | {m.minimal_change}):
            probe = type(m)(m.metric, m.better, cut, m.reported_share, m.source)
            for role in ("after_integration", "after_null"):
                flags = [probe.improved(c) for c in done[f"{m.metric}_change_{COLUMN[role]}"]]
                rows.append(
                    {
                        "metric": m.metric,
                        "scenario": SCENARIOS[role],
                        "minimal_change": cut,
                        "sites": len(flags),
                        "share": float(np.mean(flags)) if flags else math.nan,
                    }
                )
    return pd.DataFrame(rows)


def _binomial(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return math.nan, math.nan
    ci = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    return float(ci.low), float(ci.high)


def _mean_interval(x: np.ndarray) -> tuple[float, float, float]:
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = 1.959964 * float(x.std(ddof=1)) / math.sqrt(len(x))
    return mean, mean - half, mean + half


# --- the chart and the words ---------------------------------------------------------------------------


def shares_chart(study: SitesStudy, table: pd.DataFrame):
    """Bars per metric: the seed's share, the integration's and the noise floor's (with 95% intervals)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.analysis.compare import MAIN_METRICS

    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    width = 0.26
    x = np.arange(len(study.metrics))
    for j, m in enumerate(study.metrics):
        seed = m.reported_share
        ax.bar(
            x[j] - width,
            seed,
            width,
            color="0.55",
            hatch="//",
            edgecolor="0.3",
            label="Seed 003 (respondents)" if j == 0 else None,
        )
        ax.text(x[j] - width, seed + 0.015, f"{seed:.0%}", ha="center", va="bottom", fontsize=8)
        for k, (scenario, colour, label) in enumerate(
            (
                ("integration", "#1f77b4", "Integration (model sites)"),
                ("no effect", "#ff7f0e", "No effect: noise floor"),
            )
        ):
            row = table[(table["metric"] == m.metric) & (table["scenario"] == scenario)].iloc[0]
            err = [[row["share"] - row["ci_low"]], [row["ci_high"] - row["share"]]]
            ax.bar(
                x[j] + k * width,
                row["share"],
                width,
                color=colour,
                yerr=err,
                capsize=3,
                label=label if j == 0 else None,
            )
            ax.text(
                x[j] + k * width, row["ci_high"] + 0.015, f"{row['share']:.0%}", ha="center", va="bottom", fontsize=8
            )
    names = [
        MAIN_METRICS.get(m.metric, m.metric.replace("_", " "))
        + ("\n(a reduction)" if m.better == "lower" else "\n(an increase)")
        for m in study.metrics
    ]
    ax.set_xticks(x, names, fontsize=9)
    ax.set_ylim(0, 1.18)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel("Share reporting an improvement")
    cuts = sorted({m.minimal_change for m in study.metrics})
    cut = f"{cuts[0]:.0%}" if len(cuts) == 1 else "the stated share"
    sites = int(table["sites"].max()) if len(table) else 0
    ax.set_title(
        f"Sites that would report an improvement over two years ({sites} sites; a favourable change\n"
        f"larger than {cut} of the before value), 95% exact binomial intervals",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper center", ncol=3, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def summary_text(study: SitesStudy, table: pd.DataFrame) -> list[str]:
    """The result in plain words, one paragraph per metric."""
    from sim.analysis.compare import MAIN_METRICS

    lines = []
    for m in study.metrics:
        rows = table[table["metric"] == m.metric].set_index("scenario")
        a, z = rows.loc["integration"], rows.loc["no effect"]
        what = "a reduction in" if m.better == "lower" else "an increase in"
        label = MAIN_METRICS.get(m.metric, m.metric.replace("_", " ")).lower()
        seed = m.reported_share
        if not a["sites"]:
            lines.append(f"  {label}: no site has all its runs yet.")
            continue
        if z["ci_low"] <= seed <= z["ci_high"]:
            verdict = f"the seed's {seed:.0%} is within what chance alone would give"
        elif seed > z["ci_high"]:
            verdict = f"the seed's {seed:.0%} is more than chance alone would give"
        else:
            verdict = f"the seed's {seed:.0%} is less than chance alone would give"
        if a["ci_low"] <= seed <= a["ci_high"]:
            verdict += "; the model's integration is consistent with it"
        else:
            verdict += (
                "; the model's integration gives fewer"
                if seed > a["ci_high"]
                else "; the model's integration gives more"
            )
        excess = f"{100 * a['excess_over_no_effect']:+.0f} points"
        if math.isfinite(a["excess_ci_low"]):
            excess += f" ({100 * a['excess_ci_low']:+.0f} to {100 * a['excess_ci_high']:+.0f})"
        lines.append(
            f"  {what[0].upper() + what[1:]} {label}: {a['share']:.0%} of sites "
            f"({a['ci_low']:.0%} to {a['ci_high']:.0%}) with integration, {z['share']:.0%} "
            f"({z['ci_low']:.0%} to {z['ci_high']:.0%}) with no effect at all; integration adds {excess}. "
            f"Seed 003: {seed:.0%}; {verdict}."
        )
    return lines
