"""``caresim sensitivity FILE``: Morris screening and Sobol indices of a calibration study's answers.

Reads the study's ``[sensitivity]`` table (see :mod:`sim.calibration.study`), checks everything before a run
starts, then runs every parameter set through the experiment runner into
``calibration/fitted/<study>/sensitivity/results.sqlite`` (or ``--out``), so that an interrupted
analysis resumes with ``--resume`` and nothing is run twice.  Writes ``parameters.csv``,
``morris.csv``, ``sobol.csv``, ``prior_driven.csv``, ``sobol.png`` and ``sensitivity.json``, and prints
which answers are prior-driven, the contrasts between what-ifs (``[[sensitivity.contrast]]``)
included.  ``--route emulator`` computes the indices on Gaussian-process emulators of a nested Sobol' design
of runs instead (:mod:`sim.calibration.sensitivity_emulated`) and writes ``sobol_emulated.csv``,
``emulator_check.csv``, ``prior_driven_emulated.csv``, ``sobol_emulated_by_points.csv`` and
``sensitivity_emulated.json``.  The analysis is run
by :func:`sim.api.sensitivity`; this module parses and prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import add_study_flags, api_errors, runner_keywords

DESCRIPTION = (
    "Sobol indices of a calibration study's answers (levels at the reference, per cent changes in the "
    "what-if scenarios, and the contrasts between what-ifs of [[sensitivity.contrast]]) to its parameters: "
    "the priors, narrowed to the fit's 90% posterior intervals when intervals.csv exists, and the parameters "
    "no target informs ([[sensitivity.prior]]). Morris screening first; every run goes through the resumable "
    "experiment runner."
)
NOISY = 0.5  # a noise share above this is pointed out in the summary
MOSTLY = 0.5  # a prior-driven answer whose uninformed share reaches this is said to rest mostly on priors
POOR_Q2 = 0.5  # an emulator whose leave-one-out Q2 is below this is pointed out in the emulator route's summary
# ... and one with fewer of the held-out sets than this inside its 95% intervals: with 20 sets, 3 or more outside,
# which an emulator whose intervals are right gives 7.5% of the time (binomial, 20 sets at 5%)
POOR_INSIDE = 0.9


def add_commands(commands) -> None:
    cmd = commands.add_parser(
        "sensitivity", help="Morris screening and Sobol indices of a study's answers", description=DESCRIPTION
    )
    add_study_flags(
        cmd,
        "calibration study with a [sensitivity] table",
        "the [sensitivity] table's replications, or emulator_replications with --route emulator",
        "/sensitivity",
    )
    cmd.add_argument(
        "--route",
        choices=("direct", "emulator"),
        default="direct",
        help="direct (default): Morris screening, then Sobol indices, in the model; emulator: a nested Sobol' "
        "design of [sensitivity] emulator_points parameter sets (default ten per parameter) in the model, one "
        "Gaussian-process emulator per answer, and Sobol indices on the emulators (one answer a task for the "
        "workers) with intervals carrying the "
        "emulators' and the sampling uncertainty (writes sobol_emulated.csv, emulator_check.csv, "
        "prior_driven_emulated.csv, sobol_emulated_by_points.csv, sensitivity_emulated.json); raise "
        "emulator_points and add --resume to add sets to a design already run",
    )


def sensitivity(args: argparse.Namespace) -> int:
    import sim.api as api
    from sim.api.sensitivity_analysis import EMULATED_FILES, SENSITIVITY_FILES

    try:
        with api_errors():
            result = api.sensitivity(args.study, **runner_keywords(args), progress=not args.quiet, route=args.route)
    except api.Interrupted as e:
        print(f"caresim: error: {e}; run the same command with --resume to compute the rest", file=sys.stderr)
        return 130
    if result.route == "emulator":
        print(emulated_text(result.analysis, result.study, result.seconds, result.runs_now))
    else:
        print(
            summary_text(
                result.analysis, result.study.name, result.study, result.fitted, result.seconds, result.runs_now
            )
        )
    files = EMULATED_FILES if result.route == "emulator" else SENSITIVITY_FILES
    print(f"Wrote {', '.join(files)} to {result.folder}")
    if result.failed:
        first = " ".join(str(next(iter(result.failed.values()))).split())[:200]
        print(
            f"caresim: error: {len(result.failed)} runs failed (their parameter sets have no answers); --resume "
            f"retries them; the first: {first}",
            file=sys.stderr,
        )
        return 1
    return 0


def _words(metric: str) -> str:
    return metric.replace("_", " ")


def summary_text(found, name: str, runner_study, fitted: Path, seconds: float, runs: int) -> str:
    """What was varied and kept, the largest indices of each answer, and which answers are prior-driven."""
    lines = _header(found, name, runner_study, fitted, seconds, runs)
    lines += ["", "Largest total indices (first order in brackets):"] + _largest(found)
    lines += [""] + _prior_driven(found.driven)
    lines += ["", _noise(found.driven)]
    return "\n".join(lines)


def emulated_text(found, runner_study, seconds: float, runs: int) -> str:
    """The emulator route: its size, the largest indices, the widest interval, the check, prior-driven answers."""
    width = (found.sobol["total_high"] - found.sobol["total_low"]).max() if len(found.sobol) else float("nan")
    widest = max(width, (found.sobol["first_order_high"] - found.sobol["first_order_low"]).max())
    check = found.check
    inside = f"{check['inside'].mean():.0%}" if len(check) else "none"
    lines = [
        (
            f"caresim: sensitivity of '{runner_study.name}' on emulators: {len(found.answers)} answers, "
            f"{len(found.params)} parameters; a nested Sobol' design of {found.points} parameter sets and "
            f"{found.held_out} held out, {runner_study.replications} replications each with common random "
            f"numbers at {runner_study.settings.population:,} people; {runs} runs made, {seconds:.1f} s."
        ),
        (
            f"  Indices on one Gaussian-process emulator per answer, over a Saltelli sample of {found.base_sample:,} "
            f"base points; 95% intervals carry the emulators' and the sampling uncertainty (the widest is "
            f"{widest:.2f}); held-out sets inside the emulators' 95% "
            f"intervals: {inside}, 95% if their uncertainty is right (emulator_check.csv)."
        ),
        *_scaled(check),
        "",
        "Largest total indices (first order in brackets):",
    ]
    lines += _largest(found) + [""] + _prior_driven(found.driven)
    if len(check):
        worst = check.groupby("answer", sort=False).agg(q2=("loo_q2", "first"), inside=("inside", "mean"))
        poor = worst[(worst["q2"] < POOR_Q2) | (worst["inside"] < POOR_INSIDE)]
        lines += [
            "",
            (
                f"Emulators to read with care (leave-one-out Q2 below {POOR_Q2:g}, or fewer than {POOR_INSIDE:.0%} "
                "of the held-out sets inside their 95% intervals): "
                + ("; ".join(f"{a} (Q2 {r.q2:.2f}, {r.inside:.0%} inside)" for a, r in poor.iterrows()) or "none")
            ),
        ]
    return "\n".join(lines + _by_points(found.by_points))


def _scaled(check) -> list[str]:
    """How much the cross-validation scaled the emulators' variance up (see sim.calibration.emulators)."""
    if not len(check) or "variance_scale" not in check or check["variance_scale"].isna().all():
        return []
    scales = check.groupby("answer", sort=False)["variance_scale"].first()
    scaled = scales[scales > 1]
    how = f", by {scaled.min():.2f} to {scaled.max():.2f}" if len(scaled) else ""
    return [
        (
            "  Each emulator's variance was checked by cross-validation on the design (its hyperparameters refitted "
            f"per fold) and scaled up where too small: {len(scaled)} of {len(scales)} emulators{how}."
        )
    ]


def _by_points(table) -> list[str]:
    """How many answers have an interval wider than the bar, and how many sets more would narrow them."""
    from sim.calibration.sobol_emulated import FAR, WIDTH

    if not len(table):
        return []
    sets = table["design_points"]
    half, full = table[sets < sets.max()], table[sets == sets.max()]  # the design's first half, and all of it
    wide = full[_widths(full) > WIDTH]
    need = wide["points_for_width"]
    line = (
        f"Answers with an index interval wider than {WIDTH:g}: {len(wide)} of {len(full)} (widest {_widest(full):.2f} "
        f"with {int(full['design_points'].iloc[0])} sets, {_widest(half):.2f} with the first "
        f"{int(half['design_points'].iloc[0])}; sobol_emulated_by_points.csv)"
    )
    if len(wide):  # which they are, widest first
        names = wide["answer"] if "answer" in wide else wide["output"]
        line += ": " + ", ".join(f"{n} {w:.2f}" for w, n in sorted(zip(_widths(wide), names), reverse=True))
    sampled = wide["sampling_width"] >= WIDTH  # the base sample's part alone is too wide: no number of sets
    far = need[(need == float("inf")) & ~sampled]
    known = need[need.notna() & (need != float("inf"))]
    parts = [f"{len(known)} would need {_range(known)} sets"] if len(known) else []
    if len(far):
        parts.append(f"{len(far)} more than {FAR * int(full['design_points'].iloc[0]):,} (too slowly to say how many)")
    if sampled.any():
        parts.append(
            f"{int(sampled.sum())} sampling alone wider than {WIDTH:g} whatever the sets (a larger "
            "[sensitivity] emulator_base_sample narrows it: its variance falls as 1/N)"
        )
    if parts:
        line += "; the emulators' part narrowing as from the half to the whole, " + ", ".join(parts)
    if need.isna().any():
        line += f"; {int(need.isna().sum())} did not narrow from the half to the whole"
    return ["", line + "."]


def _range(values) -> str:
    low, high = values.min(), values.max()
    return f"{low:,.0f}" if low == high else f"{low:,.0f} to {high:,.0f}"


def _widths(rows):
    """Each row's widest interval, first-order or total."""
    return rows[["widest_first_order", "widest_total"]].max(axis=1)


def _widest(rows) -> float:
    return float(_widths(rows).max())


def _header(found, name: str, runner_study, fitted: Path, seconds: float, runs: int) -> list[str]:
    s = runner_study.sensitivity
    if any(p.narrowed for p in found.params):
        ranges = "the fit's 90% posterior intervals (intervals.csv) for the informed parameters"
    else:
        ranges = f"the priors (no intervals.csv in {fitted.as_posix()} yet)"
    if found.swept is not None:
        screening = "with the sweep's screened.txt against the targets"
    else:
        screening = f"the sweep has not been run (no screened.txt in {fitted.as_posix()})"
    return [
        (
            f"caresim: sensitivity of '{name}': {len(found.answers)} answers, {len(found.params)} parameters; "
            f"{runner_study.replications} replications per parameter set with common random numbers at "
            f"{runner_study.settings.population:,} people; {runs} runs made ({found.morris_runs} for Morris), "
            f"{seconds:.1f} s."
        ),
        f"  Ranges: {ranges}; the uninformed parameters at their priors.",
        (
            f"  Screening: Morris ({s.morris_trajectories} trajectories) against the answers; {screening}; kept "
            f"{len(found.why)} of {len(found.params)}: {', '.join(found.why)}."
        ),
        (
            f"  Sobol: n = {s.samples}, {(len(found.why) + 2) * s.samples} parameter sets, the other parameters at "
            "the middle of their ranges; 95% bootstrap intervals in sobol.csv."
        ),
    ]


def _largest(found) -> list[str]:
    lines = []
    for a in found.answers:
        head = f"  {a.describe(found.reference)}: " if a.plus else f"  {a.scenario}, {a.describe(found.reference)}: "
        if found.no_indices[a.label]:
            lines.append(head + "no indices: " + found.no_indices[a.label])
            continue
        part = found.sobol[(found.sobol["scenario"] == a.scenario) & (found.sobol["metric"] == a.metric)]
        top = [
            f"{r.parameter} {r.total:.2f} ({r.first_order:.2f})"
            for r in part.sort_values("total", ascending=False).head(3).itertuples()
            if r.total > 0
        ]
        lines.append(head + (", ".join(top) or "all near 0"))
    return lines


def _prior_driven(d) -> list[str]:
    threshold = float(d["threshold"].iloc[0])
    lines = [
        (
            f"Prior-driven answers (the parameters no target informs hold at least {threshold:.0%} of the total "
            "indices, so the answer rests on assumed values, not fitted ones):"
        )
    ]
    lines += [
        f"  {'' if r.kind == 'contrast' else r.scenario + ', '}{r.in_words}: {r.uninformed_share:.0%}"
        + (", most of its uncertainty" if r.uninformed_share >= MOSTLY else "")
        + f" ({r.uninformed_parameters})"
        for r in d[d["prior_driven"]].itertuples()
    ] or ["  none"]
    rest = d[~d["prior_driven"] & d["uninformed_share"].notna()]
    if len(rest):
        lines.append("  Not prior-driven: " + "; ".join(f"{r.scenario} {_words(r.metric)}" for r in rest.itertuples()))
    contrasts = d[d["kind"] == "contrast"]
    if len(contrasts):
        lines.append(
            "  A contrast (contrast:<name> in the tables) is the gap between two what-ifs: the difference of their "
            "% changes against the reference, in percentage points; flagged, the choice between them rests on "
            "assumed values."
        )
    return lines


def _noise(d) -> str:
    noisy = d[d["noise_share"] > NOISY]
    if not d["noise_share"].notna().any():
        said = "not estimated (it needs at least two replications and an answer that varies)"
    elif len(noisy):
        said = (
            f"above {NOISY:g} for "
            + ", ".join(f"{r.scenario} {_words(r.metric)} ({r.noise_share:.2f})" for r in noisy.itertuples())
            + ": read their indices with care"
        )
    else:
        said = f"at most {NOISY:g} for every answer"
    return (
        "Replication noise: every parameter set runs the same seeds (common random numbers), so the indices "
        "describe how each answer moves with the parameters, not noise between sets. noise_share in "
        f"prior_driven.csv (an answer's replication variance as a share of its variance across sets) is {said}."
    )
