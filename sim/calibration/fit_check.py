"""The check of a committed fit: do the package defaults reproduce the targets in a fresh run?

After ``caresim calibrate`` the point estimate is written into ``sim/parameters/params.py``
as the package defaults.  ``caresim calibrate FILE --check`` then confirms two
things a user relies on:

1. the defaults are the fitted values (``fitted.json``), so nobody runs the
   model believing it is calibrated when it is not;
2. with those defaults, a fresh run (another seed, the default population, not
   the reduced one of the fit) reproduces every target within two standard
   errors, where the standard error combines the target's own uncertainty with
   the simulation's (``sqrt(sd^2 + se^2)``).

A study's checks (targets with ``fit = false``) are run and shown too, marked as checks: they are counted
apart from the fitted targets, since a figure the fit was never asked to meet is no evidence of fit.

All runs go through the experiment runner into ``<fitted>/check/``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup

from sim.calibration.study import Study
from sim.parameters.params import Params
from sim.parameters.tree import walk
from sim.reports.sections import fragment
from sim.reports.sections import table as html_table

FRESH_SEED_OFFSET = 1000  # the check's seed is the study's plus this: random numbers the fit never saw
CHECK_WORDS = "check, not fitted"  # how a target with fit = false is labelled wherever targets are listed


class FitCheckError(ValueError):
    """The fit cannot be checked (no fit yet, or the defaults are not the fitted values)."""


def defaults(names: tuple[str, ...]) -> np.ndarray:
    """The package defaults of the named parameters."""
    values = {key: value for key, value, _ in walk(Params())}
    return np.array([float(values[n]) for n in names])


def read_fitted(fitted_dir: Path) -> dict:
    path = fitted_dir / "fitted.json"
    if not path.is_file():
        raise FitCheckError(f"{path.as_posix()}: no fit to check; run caresim calibrate first")
    return json.loads(path.read_text(encoding="utf-8"))


def defaults_match(study: Study, fitted: dict, rel_tol: float = 0.005) -> list[str]:
    """The parameters whose package default differs from the fitted value by more than
    ``rel_tol`` of the prior's width (defaults are written rounded to four significant figures)."""
    current = defaults(study.names)
    wrong = []
    for k, p in enumerate(study.priors):
        value = fitted["fitted"].get(p.parameter)
        if value is None or abs(current[k] - value) > rel_tol * (p.high - p.low):
            wrong.append(
                f"{p.parameter}: default {current[k]:.4g}, fitted {value if value is None else f'{value:.4g}'}"
            )
    return wrong


def check_study(study: Study, population: int, reps: int) -> Study:
    """The study as the check runs it: the default population, its own replications, a fresh seed."""
    return dataclasses.replace(
        study,
        settings=dataclasses.replace(study.settings, population=population),
        replications=reps,
        seed=study.seed + FRESH_SEED_OFFSET,
    )


def check_table(study: Study, means: np.ndarray, ses: np.ndarray) -> pd.DataFrame:
    """One row per target: observed, simulated, the combined standard error, whether it is within two, and
    whether it was fitted (``fitted`` false: a check)."""
    rows = []
    for j, t in enumerate(study.targets):
        combined = math.sqrt(t.sd**2 + float(ses[j]) ** 2)
        z = (float(means[j]) - t.value) / combined
        rows.append(
            {
                "target": t.name,
                "kind": t.kind,
                "scenario": t.scenario.stem,
                "metric": t.metric,
                "cohort": t.cohort,
                "observed": t.value,
                "sd": t.sd,
                "simulated": float(means[j]),
                "simulated_se": float(ses[j]),
                "combined_se": combined,
                "z": z,
                "within_2se": bool(abs(z) <= 2.0),
                "source": t.source,
                "fitted": t.fit,
            }
        )
    return pd.DataFrame(rows)


def held(table: pd.DataFrame) -> tuple[int, int, int, int]:
    """From :func:`check_table`: fitted targets within two standard errors, fitted targets, checks within two
    standard errors, checks."""
    fitted = table["fitted"].astype(bool)
    within = table["within_2se"].astype(bool)
    return int((within & fitted).sum()), int(fitted.sum()), int((within & ~fitted).sum()), int((~fitted).sum())


def held_words(table: pd.DataFrame) -> str:
    """``N of M targets within two standard errors`` over the fitted targets, and the checks apart, in words."""
    fitted_held, fitted, checks_held, checks = held(table)
    if not checks:
        return f"{fitted_held} of {fitted} targets within two standard errors"
    return (
        f"{fitted_held} of {fitted} fitted targets within two standard errors "
        f"(and {checks_held} of {checks} {'checks' if checks > 1 else 'check'}, not fitted)"
    )


def check_html(table: pd.DataFrame, command: str, population: int, reps: int, seed: int) -> Markup:
    """The report section for the check, from the template ``fit_check.html``."""
    rows = [
        [
            r.target,
            f"{r.observed:g} +/- {r.sd:g}",
            f"{r.simulated:.3g} +/- {r.simulated_se:.2g}",
            f"{r.z:+.2f}",
            "yes" if r.within_2se else "no",
            "fitted" if r.fitted else CHECK_WORDS,
        ]
        for r in table.itertuples()
    ]
    fitted_held, fitted, checks_held, checks = held(table)
    return fragment(
        "fit_check.html",
        population=f"{population:,}",
        held=fitted_held,
        total=fitted,
        checks_held=checks_held,
        checks=checks,
        replications=reps,
        seed=seed,
        command=command,
        targets=html_table(["target", "observed +/- sd", "simulated +/- se", "z", "within 2 se", "role"], rows),
    )


def add_to_report(report: Path, section: Markup, heading: str = "<h2>Check:") -> None:
    """Put ``section`` into the fit report before its charts, replacing an earlier section that begins with
    ``heading`` (up to the next heading of its level)."""
    html = report.read_text(encoding="utf-8")
    part = str(section)  # a plain string: joining Markup with the page's text would escape the page
    start = html.find(heading)
    if start >= 0:
        end = html.find("<h2>", start + len("<h2>"))
        html = html[:start] + (html[end:] if end >= 0 else html[html.find("</body>", start) :])
    at = html.find("<h2>Charts</h2>")
    html = html[:at] + part + html[at:] if at >= 0 else html.replace("</body>", part + "</body>")
    report.write_text(html, encoding="utf-8")
