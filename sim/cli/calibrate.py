"""``caresim sweep FILE`` and ``caresim calibrate FILE``: a calibration study's sweep and fit.

Both check the study (targets, priors, every scenario with the priors set)
before anything runs, then run through the experiment runner into
``calibration/fitted/<study>/results.sqlite`` (or ``--out``), so an
interrupted sweep or fit resumes with the same command and ``--resume``.  The work is done by
:mod:`sim.api` (``sweep``, ``calibrate``, ``check_calibration``); this module parses and prints.

- ``sweep``: a Latin hypercube over the priors x replications with common
  random numbers (``sweep.csv``: parameters, simulated targets and their
  standard errors, distances standardised by each target's sd), then Morris screening (``morris.csv``,
  ``screened.txt``).  A target with ``fit = false`` in the study is a check: measured, printed and written
  (marked as a check), but left out of every distance, the screening and the fit.
- ``calibrate``: ABC-SMC (``posterior.csv``, ``generations.csv``,
  ``intervals.csv``) and a point estimate by ``scipy.optimize`` from the
  posterior mean (``fitted.json``), with the fit report (``report.html`` and
  PNG charts).  ``--route emulator`` spends the runs on history matching first
  (``waves.csv``, ``non_implausible.csv``) and checks the emulators' posterior in
  the model (``posterior_check.csv``).  ``--check`` runs the committed fit's defaults afresh at full size;
  ``--sd-sensitivity`` redoes an emulator-route fit on its own runs with the targets' assumed standard errors
  halved and doubled (``sd_sensitivity.csv``, ``sd_sensitivity_targets.csv``).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import Any

from sim.cli.common import UsageError, add_study_flags, api_errors, runner_keywords


def add_commands(commands) -> None:
    for name, text in (
        ("sweep", "a space-filling sweep of a calibration study, and Morris screening"),
        ("calibrate", "fit a calibration study by ABC-SMC, with a point estimate and a fit report"),
    ):
        cmd = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        add_study_flags(cmd, "calibration study (calibration/<study>.toml)", "the file")
        if name == "calibrate":
            cmd.add_argument(
                "--check",
                action="store_true",
                help="check the committed fit instead: the package defaults are the fitted values, and "
                "a fresh run at the default population (or --population; --reps, default 5) "
                "reproduces each target within two standard errors; into <results folder>/check",
            )
            cmd.add_argument(
                "--sd-sensitivity",
                action="store_true",
                help="redo the emulator-route fit in the results folder with the assumed standard errors of the "
                "targets halved and doubled (--sd-scales), on the runs it made: no model run; writes "
                "sd_sensitivity.csv and sd_sensitivity_targets.csv",
            )
            cmd.add_argument(
                "--sd-scales",
                type=_scales,
                default=None,
                metavar="F,F",
                help="with --sd-sensitivity: the factors on the assumed sds (default 0.5,2)",
            )
            cmd.add_argument(
                "--route",
                choices=("abc", "emulator"),
                default="abc",
                help="abc (default): ABC-SMC in the model; emulator: waves of history matching with "
                "Gaussian-process emulators first, ABC-SMC on the emulators, then a check in the model "
                "(the study's [history_matching] table; writes waves.csv, non_implausible.csv, posterior_check.csv)",
            )


def _scales(text: str) -> tuple[float, ...]:
    try:
        scales = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give positive factors separated by commas, as 0.5,2") from None
    if not all(0 < v < float("inf") for v in scales):
        raise argparse.ArgumentTypeError(f"{text!r}: every factor on the sds must be positive")
    return scales


def _say(line: str) -> None:
    print(f"caresim: {line}", file=sys.stderr, flush=True)


def _keywords(args: argparse.Namespace) -> dict[str, Any]:
    """The flags as the API's keywords; without --quiet, each generation and failed run is a line on stderr."""
    progress: bool | Callable[[str], None] = False if args.quiet else _say
    return {**runner_keywords(args), "progress": progress}


def sweep(args: argparse.Namespace) -> int:
    import sim.api as api

    with api_errors():
        result = api.sweep(args.study, **_keywords(args))
    study, design, kept = result.study, result.design, result.screened
    best = design.sort_values("distance").iloc[0]
    print(
        f"caresim: sweep of '{study.name}': {len(design)} parameter sets x {study.runs_per_point} runs "
        f"({result.runs_now} run now) in {result.seconds:.1f} s."
    )
    print(f"  Closest set (distance {best['distance']:.2f}): " + ", ".join(f"{n} = {best[n]:.4g}" for n in study.names))
    print(f"  Morris screening keeps {len(kept)} of {len(study.names)} parameters: {', '.join(kept) or 'none'}")
    if study.checks:
        checks = ", ".join(t.name for t in study.checks)
        print(f"  Checks, not fitted (left out of the distance and the screening): {checks}")
    print(f"Wrote sweep.csv, morris.csv, screened.txt to {result.folder}")
    return 0


def check(args: argparse.Namespace) -> int:
    """``caresim calibrate FILE --check``: the fitted defaults against the targets in a fresh, full-size run."""
    import sim.api as api
    from sim.calibration.fit_check import CHECK_WORDS, held_words

    with api_errors():
        result = api.check_calibration(args.study, **_keywords(args))
    study, table = result.study, result.table
    print(
        f"caresim: check of '{study.name}': {held_words(table)} with "
        f"the fitted defaults ({study.settings.population:,} people, {study.replications} replications, seed "
        f"{study.seed}, {result.runs_now} runs in {result.seconds:.1f} s)."
    )
    for r in table.itertuples():
        print(
            f"  {r.target}: target {r.observed:g} +/- {r.sd:g}, simulated {r.simulated:.3g} +/- {r.simulated_se:.2g}"
            f" (z {r.z:+.2f}{'' if r.within_2se else ', outside two standard errors'})"
            + ("" if r.fitted else f" [{CHECK_WORDS}]")
        )
    print(f"Wrote check.csv to {result.folder}" + (f" and the check into {result.report}" if result.report else ""))
    return 0


def sd_sensitivity(args: argparse.Namespace) -> int:
    """``caresim calibrate FILE --sd-sensitivity``: the emulator-route fit with other sds on its assumed targets."""
    import sim.api as api

    with api_errors():
        result = api.sd_sensitivity(args.study, out=args.out, scales=args.sd_scales)
    from sim.calibration.sd_sensitivity import summary

    p = result.parameters
    print(
        f"caresim: the fit of '{result.study.name}' redone on its runs with the assumed sds multiplied by "
        f"{', '.join(f'{s:g}' for s in sorted(set(p['scale'])) if s != 1)} (no model run, {result.seconds:.1f} s)."
    )
    for f in summary(p, result.targets).itertuples():
        held = f"{f.check_held} of {f.check_targets} targets"
        check = "" if f.check_held is None else f"; the check within two sds for {held}"
        left = (
            f"{f.non_implausible_fraction:.3%} of the prior box not ruled out after {f.waves} waves"
            if f.waves
            else "the waves rule out every set: the targets cannot be met together with these sds"
        )
        print(f"  x{f.scale:g}: {left}; point estimate {f.point_set}{check}")
        for r in p[p["scale"] == f.scale].itertuples():
            if f.scale != 1 and not math.isnan(r.mean):
                print(
                    f"    {r.parameter}: mean {r.mean:.3g} ({r.mean_shift:+.2f} prior widths), 90% interval "
                    f"{r.lower:.3g} to {r.upper:.3g} ({r.width_ratio:.2f} x the fit's)"
                )
    print(f"  sd-sensitive: {', '.join(result.sensitive) or 'none'}")
    print(f"Wrote sd_sensitivity.csv, sd_sensitivity_targets.csv to {result.folder}")
    return 0


def calibrate(args: argparse.Namespace) -> int:
    if args.check and args.sd_sensitivity:
        raise UsageError("--check and --sd-sensitivity are two jobs: give one")
    if args.sd_scales is not None and not args.sd_sensitivity:
        raise UsageError("--sd-scales goes with --sd-sensitivity")
    if args.sd_sensitivity:
        unused = [f for f, given in (("--population", args.population), ("--reps", args.reps)) if given is not None]
        unused += [f for f, given in (("--resume", args.resume), ("--force", args.force)) if given]
        if unused:
            raise UsageError(f"{', '.join(unused)}: --sd-sensitivity makes no run; it uses the fit's own runs")
    if args.check:
        return check(args)
    if args.sd_sensitivity:
        return sd_sensitivity(args)
    import sim.api as api
    from sim.calibration.fit_check import CHECK_WORDS

    with api_errors():
        fit = api.calibrate(args.study, **_keywords(args), route=args.route)
    if fit.route == "emulator" and fit.waves is not None:
        last = fit.waves.iloc[-1]
        print(
            f"caresim: fit of '{fit.study.name}' by the emulator route: {fit.simulations} parameter sets run in the "
            f"model ({int(last['wave'])} waves of history matching, then the check), {fit.runs_now} runs now, "
            f"{fit.seconds:.1f} s; {last['non_implausible_fraction']:.2%} of the prior box not ruled out; "
            f"ABC-SMC on the emulators in {len(fit.generations)} generations."
        )
    else:
        print(
            f"caresim: fit of '{fit.study.name}': {fit.simulations} parameter sets in "
            f"{len(fit.generations)} generations, {fit.runs_now} runs, {fit.seconds:.1f} s."
        )
    for name, value in fit.fitted.items():
        row = fit.intervals.loc[name]
        print(f"  {name} = {value:.4g} (90% posterior interval {row['lower']:.4g} to {row['upper']:.4g})")
    for t in fit.targets.itertuples():
        print(
            f"  {t.name}: target {t.observed:g} +/- {t.sd:g}, simulated {t.simulated:.3g} +/- {t.se:.2g}"
            + ("" if t.fitted else f" [{CHECK_WORDS}]")
        )
    extra = "waves.csv, non_implausible.csv, posterior_check.csv, " if fit.route == "emulator" else ""
    print(
        f"Wrote posterior.csv, intervals.csv, generations.csv, evaluations.csv, {extra}fitted.json, "
        f"{fit.report.name} to {fit.folder}"
    )
    return 0
