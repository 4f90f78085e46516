"""The fit report of a calibration: targets against simulated values, the posterior, the ABC generations.

Four PNG charts (matplotlib) and one self-contained ``report.html`` that
embeds them, with the exact command that reproduces the fit.  The page is drawn
by the template ``fit_report.html`` of :mod:`sim.reports`.  Its table of
parameters ends with the prior-driven ones: those no target informs, which the
fit leaves at their defaults (:func:`prior_driven_rows`).  Its targets are marked fitted or
"check, not fitted" (``fit = false`` in the study: measured and shown, never fitted).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim.calibration.abc_smc import STOPS
from sim.calibration.fit_check import CHECK_WORDS
from sim.calibration.sensitivity_study import prior_driven_parameters
from sim.reports.charts import plt
from sim.reports.sections import figures, page, table


def _share(x: float) -> str:
    """A share in per cent, or a dash where there is none (the first two generations)."""
    return "-" if math.isnan(x) else f"{x:.1%}"


def fitted(target: dict) -> bool:
    """Whether a target of ``fitted.json`` was fitted (a fit written before checks existed fitted them all)."""
    return bool(target.get("fitted", True))


def targets_chart(result: dict):
    """Each target (with +/- 2 sd) against the simulated value at the fitted parameters (+/- 2 se); a check's
    simulated value hollow, its name marked."""
    rows = result["targets"]
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(rows) + 1.6))
    y = np.arange(len(rows))[::-1]
    first = {kind: next((yy for yy, t in zip(y, rows) if fitted(t) == kind), None) for kind in (True, False)}
    for yy, t in zip(y, rows):
        ax.errorbar(
            t["observed"],
            yy + 0.12,
            xerr=2 * t["sd"],
            fmt="s",
            color="0.2",
            capsize=3,
            label="target +/- 2 sd" if yy == y[0] else None,
        )
        ax.errorbar(
            t["simulated"],
            yy - 0.12,
            xerr=2 * t["se"],
            fmt="o",
            color="tab:red",
            mfc="tab:red" if fitted(t) else "white",
            capsize=3,
            label=None
            if yy != first[fitted(t)]
            else ("simulated at the fit +/- 2 se" if fitted(t) else f"simulated at the fit, {CHECK_WORDS}"),
        )
    ax.set_yticks(y)
    ax.set_yticklabels([t["name"] if fitted(t) else f"{t['name']} ({CHECK_WORDS})" for t in rows])
    ax.set_xlabel("value (per cent for changes)")
    ax.grid(axis="x", color="0.9")
    ax.legend(frameon=False, fontsize=8, loc="best")
    ax.set_title("Targets and the simulated values at the fitted parameters", fontsize=10)
    fig.tight_layout()
    return fig


def marginals_chart(posterior, names):
    """Weighted histograms of the posterior over each prior's range."""
    last = posterior.generations[-1]
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), squeeze=False)
    for k, (ax, name) in enumerate(zip(axes[0], names)):
        lo, hi = posterior.prior.low[k], posterior.prior.high[k]
        ax.hist(last.particles[:, k], bins=20, range=(lo, hi), weights=last.weights, color="tab:blue", alpha=0.8)
        ax.set_xlim(lo, hi)
        ax.set_title(name, fontsize=9)
        ax.set_yticks([])
    fig.suptitle("Posterior marginals (x-axis: the prior's range)", fontsize=10)
    fig.tight_layout()
    return fig


def pairs_chart(posterior, names):
    """Each pair of parameters in the posterior sample, point size by weight."""
    last = posterior.generations[-1]
    d = len(names)
    # small cells: the chart is d x d scatters of every particle, and its PNG (and the report embedding it)
    # grows with its pixels
    fig, axes = plt.subplots(d, d, figsize=(1.7 * d + 0.6, 1.7 * d + 0.6), squeeze=False)
    size = 8 + 120 * last.weights / last.weights.max()
    for i in range(d):
        for j in range(d):
            ax = axes[i][j]
            if i == j:
                ax.hist(last.particles[:, i], bins=15, weights=last.weights, color="tab:blue", alpha=0.8)
            else:
                ax.scatter(last.particles[:, j], last.particles[:, i], s=size, alpha=0.5, color="tab:blue")
            if i == d - 1:
                ax.set_xlabel(names[j], fontsize=8)
            if j == 0:
                ax.set_ylabel(names[i], fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle("Posterior pairs", fontsize=10)
    fig.tight_layout()
    return fig


def generations_chart(posterior):
    """Tolerance and acceptance rate by ABC generation."""
    gens = posterior.generations[1:] or posterior.generations
    x = np.arange(len(posterior.generations) - len(gens), len(posterior.generations))
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(x, [g.tolerance for g in gens], "o-", color="tab:blue", label="tolerance")
    ax.set_xlabel("generation")
    ax.set_ylabel("tolerance (distance)")
    ax2 = ax.twinx()
    ax2.plot(x, [g.accepted / g.proposed for g in gens], "s--", color="tab:orange", label="acceptance rate")
    ax2.set_ylabel("acceptance rate")
    ax2.set_ylim(0, 1.05)
    fig.legend(loc="upper right", frameon=False, fontsize=8)
    ax.set_title("ABC-SMC generations", fontsize=10)
    fig.tight_layout()
    return fig


def prior_driven_rows(study) -> list[list[str]]:
    """Rows of the parameters table for the parameters no target informs (listed under the study's
    ``[[sensitivity.prior]]`` or marked prior-driven in sim/parameters/params.py): not fitted, held at
    their defaults, so the answers that depend on them rest on assumptions."""
    rows = []
    for r in prior_driven_parameters(study).itertuples():
        ranged = math.isfinite(r.low) and math.isfinite(r.high)
        default = f"{r.default:g}" if isinstance(r.default, (int, float)) else str(r.default)
        rows.append(
            [
                r.parameter,
                f"not fitted, prior-driven: held at its default {default}",
                "none: no target informs it",
                f"{r.low:g} to {r.high:g} (sensitivity analysis)" if ranged else "none",
                "n/a",
                r.why,
            ]
        )
    return rows


def waves_section(out: Path, result: dict) -> tuple[str | None, object]:
    """For a fit by the emulator route: a sentence on its waves and check, and a table of ``waves.csv`` (one row
    a wave, the emulators' diagnostics over the targets); ``(None, None)`` for a fit by ABC-SMC alone."""
    hm = result.get("history_matching")
    if hm is None or not (out / "waves.csv").is_file():
        return None, None
    import pandas as pd

    waves = pd.read_csv(out / "waves.csv")
    rows = [
        [
            int(w),
            int(g["points_run"].iloc[0]),
            int(g["points_total"].iloc[0]),
            f"{g['non_implausible_fraction'].iloc[0]:.3%}",
            f"{g['loo_mean_square'].min():.2f} to {g['loo_mean_square'].max():.2f}",
            f"{g['emulator_variance_ratio'].max():.2g}",
        ]
        for w, g in waves.groupby("wave", sort=True)
    ]
    text = (
        f"History matching ruled out parameter sets whose implausibility (ranked {hm['rank']} over the targets) "
        f"exceeded {hm['cutoff']:g}, in {hm['waves']} waves ({hm['stopped']}); "
        f"{hm['non_implausible_fraction']:.3%} of the prior box is left. ABC-SMC then ran on the last wave's "
        f"emulators ({hm['emulator_generations']} generations, below; {_distance(hm)}it stopped because "
        f"{STOPS.get(hm.get('emulator_abc_stopped', ''), 'of its older rules')}), and the emulators' best set and "
        f"{hm['checked_draws']} posterior draws were run in the model: {hm['draws_non_implausible']} of the draws "
        "are not implausible there (posterior_check.csv)."
        + (
            f" The point estimate is the set nearest the targets in the model: {hm['point_estimate']}."
            if "point_estimate" in hm
            else ""
        )
        + _cross_validation(hm, waves)
    )
    head = [
        "wave",
        "sets run",
        "sets run so far",
        "prior box not ruled out",
        "leave-one-out mean square (targets)",
        "largest emulator variance / sd^2",
    ]
    return text, table(head, rows)


def _distance(hm: dict) -> str:
    """What the ABC on the emulators measured each target's difference against, when not its sd alone, and
    its measurement model, when the draws left out the targets' own sd."""
    text = ""
    if hm.get("distance", "sd") != "sd":  # a fit made before the key existed measured by the sd alone
        text += "each target's difference over its sd and replication noise, as the ABC route measures it; "
    if not hm.get("target_noise", True):
        text += "each draw without its target's own sd, as ABC-SMC alone compares by default; "
    return text


def measurement(result: dict) -> str:
    """A sentence on the measurement model of a fit by ABC-SMC alone when it drew the targets' noise."""
    if result.get("route") != "abc" or not result.get("target_noise", False):
        return ""
    return (
        "Each simulated mean carried a draw of its target's own sd (target_noise), the measurement model of "
        "the emulator route's posterior."
    )


def _cross_validation(hm: dict, waves) -> str:
    """A sentence on the cross-validation of the waves' emulators, when the fit ran one (``folds``)."""
    if not hm.get("folds") or "variance_scale" not in waves:
        return ""
    scales = waves["variance_scale"]
    return (
        f" Each wave's emulators were checked by {hm['folds']}-fold cross-validation and their variance scaled up "
        f"where too small: by {scales.min():.2f} to {scales.max():.2f} (waves.csv)."
    )


def write_report(out: Path, study, posterior, result: dict) -> Path:
    """Write the four charts and ``report.html`` into ``out``; return the report's path."""
    names = list(study.names)
    for stem, fig in (
        ("fit_targets", targets_chart(result)),
        ("posterior_marginals", marginals_chart(posterior, names)),
        ("posterior_pairs", pairs_chart(posterior, names)),
        ("abc_generations", generations_chart(posterior)),
    ):
        fig.savefig(out / f"{stem}.png", dpi=90 if stem == "posterior_pairs" else 120)
        plt.close(fig)
    intervals = posterior.interval(0.9)
    priors = {p.parameter: p for p in study.priors}
    param_rows = [
        [
            n,
            f"{result['fitted'][n]:.4g}",
            f"{intervals.loc[n, 'lower']:.4g} to {intervals.loc[n, 'upper']:.4g}",
            f"{priors[n].low:g} to {priors[n].high:g}",
            f"{100 * intervals.loc[n, 'shrinkage']:.0f}%",
            priors[n].reason,
        ]
        for n in names
    ] + prior_driven_rows(study)
    target_rows = [
        [
            t["name"],
            f"{t['observed']:g} +/- {t['sd']:g}",
            f"{t['simulated']:.3g} +/- {t['se']:.2g}",
            f"{(t['simulated'] - t['observed']) / t['sd']:+.2f}",
            "fitted" if fitted(t) else CHECK_WORDS,
            t["source"],
        ]
        for t in result["targets"]
    ]
    checks = [t["name"] for t in result["targets"] if not fitted(t)]
    gen_rows = [
        [i, f"{g.tolerance:.3g}", g.proposed, g.accepted, f"{g.accepted / g.proposed:.3f}", _share(moved)]
        for i, (g, moved) in enumerate(zip(posterior.generations, posterior.shifts(), strict=True))
    ]
    waves_text, waves = waves_section(out, result)
    html = page(
        "fit_report.html",
        title=f"Fit report: {study.name}",
        name=study.name,
        description=study.description,
        command=result["command"],
        runs=result["runs"],
        seconds=f"{result['seconds']:.0f}",
        replications=study.replications,
        population=study.settings.population or "the default",
        seed=study.seed,
        targets=table(
            ["target", "observed +/- sd", "simulated +/- se", "(sim - obs) / sd", "role", "source"], target_rows
        ),
        fitted_count=len(result["targets"]) - len(checks),
        checks=checks,
        parameters=table(
            [
                "parameter",
                "fitted (point estimate)",
                "90% posterior interval",
                "prior",
                "narrower than the prior by",
                "prior's reason",
            ],
            param_rows,
        ),
        generations=table(
            ["generation", "tolerance", "proposed", "accepted", "acceptance rate", "posterior moved (of prior width)"],
            gen_rows,
        ),
        waves_text=waves_text,
        waves=waves,
        measurement=measurement(result),
        figures=figures(out),
    )
    path = out / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
