"""``caresim sweep FILE`` and ``caresim calibrate FILE``: a calibration study's sweep and fit.

Both check the study (targets, priors, every scenario with the priors set)
before anything runs, then run through the experiment runner into
``calibration/fitted/<study>/results.sqlite`` (or ``--out``), so an
interrupted sweep or fit resumes with the same command and ``--resume``.

- ``sweep``: a Latin hypercube over the priors x replications with common
  random numbers (``sweep.csv``: parameters, simulated targets and their
  standard errors, distances standardised by each target's sd), then Morris screening (``morris.csv``,
  ``screened.txt``).
- ``calibrate``: ABC-SMC (``posterior.csv``, ``generations.csv``,
  ``intervals.csv``) and a point estimate by ``scipy.optimize`` from the
  posterior mean (``fitted.json``), with the fit report (``report.html`` and
  PNG charts).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from sim.cli.common import RunFailed, UsageError, add_study_flags, open_runner, reproduce_command


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


def _prepare(args: argparse.Namespace):
    from sim.calibration.study import StudyError, load_study

    try:
        study = load_study(args.study, population=args.population, reps=args.reps)
    except StudyError as e:
        raise UsageError(str(e)) from None
    out = Path(args.out) if args.out else study.path.parent / "fitted" / study.name
    return (study, out, *open_runner(out, args, ("calibration study", study.name)))


def _evaluator(study, out: Path, executor, store, quiet: bool):
    from sim.calibration.calibrate import Evaluator
    from sim.provenance import git_commit

    def progress(task, error) -> None:
        if not quiet and error:
            print(f"caresim: run failed: {task.variant.name}, replication {task.replication}: {error}", file=sys.stderr)

    return Evaluator(study, store, executor, git_commit(), out, progress)


def sweep(args: argparse.Namespace) -> int:
    from sim.calibration.calibrate import BudgetExceeded, evaluations, latin_hypercube
    from sim.calibration.sensitivity import morris, screen

    study, out, executor, store = _prepare(args)
    evaluate = _evaluator(study, out, executor, store, args.quiet)
    t0 = time.perf_counter()
    try:
        evaluate(latin_hypercube(study))
        design = evaluations(evaluate)
        outputs = [t.name for t in study.targets]
        indices = morris(
            lambda X: evaluate(X)[0],
            list(study.names),
            study.low,
            study.high,
            outputs,
            trajectories=study.morris_trajectories,
            seed=study.seed,
        )
    except BudgetExceeded as e:
        raise RunFailed(f"{study.path.as_posix()}: {e}") from None
    finally:
        executor.close()
        evaluate.store.close()
    kept = screen(indices)
    design.to_csv(out / "sweep.csv", index=False)
    indices.to_csv(out / "morris.csv", index=False)
    (out / "screened.txt").write_text("\n".join(kept) + "\n", encoding="utf-8")
    best = design.sort_values("distance").iloc[0]
    print(
        f"caresim: sweep of '{study.name}': {len(design)} parameter sets x {study.runs_per_point} runs "
        f"({evaluate.runs} run now) in {time.perf_counter() - t0:.1f} s."
    )
    print(f"  Closest set (distance {best['distance']:.2f}): " + ", ".join(f"{n} = {best[n]:.4g}" for n in study.names))
    print(f"  Morris screening keeps {len(kept)} of {len(study.names)} parameters: {', '.join(kept) or 'none'}")
    print(f"Wrote sweep.csv, morris.csv, screened.txt to {out}")
    return 0


def check(args: argparse.Namespace) -> int:
    """``caresim calibrate FILE --check``: the fitted defaults against the targets in a fresh, full-size run."""
    from sim.calibration.fit_check import (
        FitCheckError,
        add_to_report,
        check_html,
        check_study,
        check_table,
        defaults,
        defaults_match,
        read_fitted,
    )
    from sim.calibration.study import StudyError, load_study
    from sim.parameters.params import Params

    population = args.population or Params().place.registered_population
    try:
        study = load_study(args.study, population=population)
    except StudyError as e:
        raise UsageError(str(e)) from None
    fitted_dir = Path(args.out) if args.out else study.path.parent / "fitted" / study.name
    try:
        wrong = defaults_match(study, read_fitted(fitted_dir))
    except FitCheckError as e:
        raise UsageError(str(e)) from None
    if wrong:
        raise UsageError(
            f"{study.path.as_posix()}: the package defaults are not the fitted values "
            f"({'; '.join(wrong)}); write {(fitted_dir / 'fitted.json').as_posix()} into sim/parameters/params.py"
        )
    study = check_study(study, population, args.reps or 5)
    out = fitted_dir / "check"
    if out.is_dir() and [f.name for f in out.iterdir()] == ["check.csv"]:
        (out / "check.csv").unlink()  # a committed check without its runs (a fresh clone): made anew
    executor, store = open_runner(out, args, ("fit check", study.name))
    evaluate = _evaluator(study, out, executor, store, args.quiet)
    t0 = time.perf_counter()
    try:
        means, ses = evaluate(defaults(study.names)[None, :])
    finally:
        executor.close()
        evaluate.store.close()
    table = check_table(study, means[0], ses[0])
    table.to_csv(out / "check.csv", index=False)
    command = reproduce_command(args) + " --check"
    report = fitted_dir / "report.html"
    if report.is_file():
        add_to_report(report, check_html(table, command, population, study.replications, study.seed))
    held = int(table["within_2se"].sum())
    print(
        f"caresim: check of '{study.name}': {held} of {len(table)} targets within two standard errors with the "
        f"fitted defaults ({population:,} people, {study.replications} replications, seed {study.seed}, "
        f"{evaluate.runs} runs in {time.perf_counter() - t0:.1f} s)."
    )
    for r in table.itertuples():
        print(
            f"  {r.target}: target {r.observed:g} +/- {r.sd:g}, simulated {r.simulated:.3g} +/- {r.simulated_se:.2g}"
            f" (z {r.z:+.2f}{'' if r.within_2se else ', outside two standard errors'})"
        )
    print(f"Wrote check.csv to {out}" + (f" and the check into {report}" if report.is_file() else ""))
    return 0


def calibrate(args: argparse.Namespace) -> int:
    if args.check:
        return check(args)
    from sim.calibration.abc_smc import Prior, abc_smc
    from sim.calibration.calibrate import BudgetExceeded, evaluations, point_estimate
    from sim.calibration.design import point_id
    from sim.calibration.fit_report import write_report

    study, out, executor, store = _prepare(args)
    evaluate = _evaluator(study, out, executor, store, args.quiet)
    prior = Prior(study.names, study.low, study.high)
    t0 = time.perf_counter()

    def said(g) -> None:
        if not args.quiet:
            print(
                f"caresim: generation: tolerance {g.tolerance:.3g}, accepted {g.accepted} of {g.proposed} proposed",
                file=sys.stderr,
                flush=True,
            )

    try:
        posterior = abc_smc(
            evaluate,
            prior,
            study.observed,
            study.sd,
            particles=study.abc_particles,
            generations=study.abc_generations,
            quantile=study.abc_quantile,
            seed=study.seed,
            on_generation=said,
        )
        sample = posterior.sample()
        intervals = posterior.interval(0.9)
        best = point_estimate(evaluate, intervals.loc[list(study.names), "mean"].to_numpy())
        fitted = np.clip(best.x, study.low, study.high)
        means, _ = evaluate(fitted[None, :])
        table = evaluations(evaluate)
        ses = table.set_index("point").loc[int(point_id(fitted))]
    except BudgetExceeded as e:
        raise RunFailed(f"{study.path.as_posix()}: {e}") from None
    finally:
        executor.close()
        evaluate.store.close()
    seconds = time.perf_counter() - t0
    sample.to_csv(out / "posterior.csv", index=False)
    intervals.to_csv(out / "intervals.csv")
    gens = [
        {
            "generation": i,
            "tolerance": g.tolerance,
            "proposed": g.proposed,
            "accepted": g.accepted,
            "acceptance_rate": g.accepted / g.proposed if g.proposed else float("nan"),
        }
        for i, g in enumerate(posterior.generations)
    ]
    import pandas as pd

    pd.DataFrame(gens).to_csv(out / "generations.csv", index=False)
    table.to_csv(out / "evaluations.csv", index=False)
    result = {
        "study": study.name,
        "command": reproduce_command(args),
        "seconds": round(seconds, 1),
        "runs": evaluate.runs,
        "simulations": posterior.simulations,
        "fitted": dict(zip(study.names, map(float, fitted))),
        "distance": float(best.fun),
        "pooled_se": dict(zip((t.name for t in study.targets), map(float, evaluate.pooled_se()))),
        "targets": [
            {
                "name": t.name,
                "observed": t.value,
                "sd": t.sd,
                "simulated": float(m),
                "se": float(ses[t.name + "_se"]),
                "source": t.source,
            }
            for t, m in zip(study.targets, means[0])
        ],
    }
    (out / "fitted.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    report = write_report(out, study, posterior, result)
    print(
        f"caresim: fit of '{study.name}': {posterior.simulations} parameter sets in "
        f"{len(posterior.generations)} generations, {evaluate.runs} runs, {seconds:.1f} s."
    )
    for name, value in result["fitted"].items():
        row = intervals.loc[name]
        print(f"  {name} = {value:.4g} (90% posterior interval {row['lower']:.4g} to {row['upper']:.4g})")
    for t in result["targets"]:
        print(
            f"  {t['name']}: target {t['observed']:g} +/- {t['sd']:g}, simulated {t['simulated']:.3g} +/- {t['se']:.2g}"
        )
    print(f"Wrote posterior.csv, intervals.csv, generations.csv, evaluations.csv, fitted.json, {report.name} to {out}")
    return 0
