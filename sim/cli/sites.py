"""``caresim sites FILE``: heterogeneous sites running an integration scenario, read as councils would (seed 003).

The sites file is checked, and every site drawn and built, before anything runs.  Each site's
three runs (before, after with integration, after with no effect) go through the experiment runner
into ``calibration/fitted/<name>/results.sqlite`` (or ``--out``), so an interrupted run continues
with ``--resume`` and nothing is run twice.  Writes ``sites.csv``, ``shares.csv``,
``thresholds.csv``, ``shares.png`` and ``metadata.json``, and prints the shares in plain words.

The runner flags are those of ``experiment`` but ``--reps`` and ``--population``: a site has
exactly one "before" and one "after", and each site draws its own population.  ``--sites N``
runs the first N sites of the file (a reduced run; the same sites as in the full one).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sqlite3
import sys
import time
from pathlib import Path

from sim.cli.common import RunFailed, UsageError, add_folder_flags, open_runner, whole

KIND = "caresim sites"


def add_commands(commands) -> None:
    text = "run heterogeneous sites and count those that would report an improvement (seed 003)"
    cmd = commands.add_parser(
        "sites",
        help=text,
        description="Draw a population of sites that differ in size, baseline and four factors of seed 001 "
        "(organisational complexity, information sharing, social care involvement, staff engagement); "
        "run each before and after integration, and after no change at all (the noise floor), with "
        "independent random numbers, as a council compares two periods; report the share of sites "
        "whose figures improved by more than a minimal amount, beside seed 003's shares. Every run is "
        "committed to results.sqlite as it finishes, so --resume continues an interrupted run. Writes "
        "sites.csv, shares.csv, thresholds.csv, shares.png and metadata.json.",
    )
    cmd.add_argument("file", metavar="FILE", help="sites file (calibration/sites.toml)")
    cmd.add_argument(
        "--workers", type=whole(1), metavar="N", help="worker processes; 1 runs serially (default: all cores)"
    )
    cmd.add_argument(
        "--dask", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS, or 'local' for a LocalCluster"
    )
    cmd.add_argument("--quiet", action="store_true", help="no progress output")
    cmd.add_argument("--sites", type=whole(2), metavar="N", help="run the file's first N sites (overrides 'sites')")
    add_folder_flags(cmd, "results folder (default: fitted/<name> next to the file)")


def _not_inside_another(out: Path) -> None:
    """A sites folder never sits inside another results folder (its store would be read as part of that one)."""
    absolute = out.resolve()
    for parent in absolute.parents:
        if (parent / "results.sqlite").is_file():
            raise UsageError(
                f"--out: '{out}' is inside another results folder ('{parent}'); choose a folder of its own"
            )


def _command(args: argparse.Namespace) -> str:
    words = ["caresim", "sites", args.file]
    for flag in ("sites", "out"):
        if getattr(args, flag) is not None:
            words += [f"--{flag}", str(getattr(args, flag))]
    return " ".join(shlex.quote(w) for w in words)


def _write(path: Path, text: str) -> None:
    """Replace a file whole, so a reader never sees half of it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def sites(args: argparse.Namespace) -> int:
    from sim.calibration.sites import SitesError, load_sites

    try:
        study = load_sites(args.file, sites=args.sites)
    except SitesError as e:
        raise UsageError(str(e)) from None
    out = Path(args.out) if args.out else study.path.parent / "fitted" / study.name
    _not_inside_another(out)
    executor, store = open_runner(out, args, ("sites study", study.name))
    from sim.calibration.sites_run import experiment, plan_sites
    from sim.experiments.batch import run_tasks
    from sim.provenance import file_sha256, git_commit

    try:
        if not (out / "metadata.json").is_file():
            _write(out / "metadata.json", json.dumps({"kind": KIND, "study": study.name}, indent=1) + "\n")
    except OSError as e:
        executor.close()
        store.close()
        raise UsageError(f"--out: cannot write to '{out}': {e.strerror or e}") from None
    commit = git_commit()
    tasks, roles = plan_sites(study, commit)
    status = store.status()
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(
            total=len(tasks),
            initial=sum(status.get(t.key) == "ok" for t in tasks),
            unit="run",
            file=sys.stderr,
            dynamic_ncols=True,
            desc="caresim",
            smoothing=0.1,
        )
        bar.set_postfix_str(f"{len(study.sites)} sites")

    def progress(task, error) -> None:
        if bar is not None:
            bar.update(1)
        if error and not args.quiet:
            print(
                f"caresim: run failed: site {task.variant.grid}, {task.variant.name}, replication "
                f"{task.replication}: {error}",
                file=sys.stderr,
            )

    t0 = time.perf_counter()
    try:
        outcome = run_tasks(tasks, experiment(study, out), store, executor, commit, progress)
    except (OSError, sqlite3.Error) as e:
        executor.close()
        store.close()
        raise RunFailed(f"{out / 'results.sqlite'}: cannot store results: {e}") from None
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        stored = sum(1 for t in tasks if store.status().get(t.key) == "ok")
        print(
            f"caresim: error: interrupted; {stored} finished runs are kept in {out / 'results.sqlite'}; "
            "run the same command with --resume to compute the rest",
            file=sys.stderr,
        )
        executor.close()
        store.close()
        return 130
    finally:
        if bar is not None:
            bar.close()
    executor.close()
    seconds = time.perf_counter() - t0
    try:
        table, shares, written = _outputs(study, store, tasks, roles, out)
    except OSError as e:
        raise RunFailed(f"--out: cannot write to '{out}': {e.strerror or e}") from None
    finally:
        store.close()
    meta = {
        "kind": KIND,
        "study": study.name,
        "command": _command(args),
        "file": study.path.as_posix(),
        "file_sha256": file_sha256(study.path),
        "integration": study.integration.as_posix(),
        "reference": study.reference.as_posix() if study.reference else "baseline",
        "seed": study.seed,
        "sites": len(study.sites),
        "complete_sites": int(table["complete"].sum()),
        "population": list(study.population),
        "runs": len(tasks),
        "ran_now": outcome.ran,
        "reused": outcome.reused,
        "failed": len(outcome.failed),
        "seconds": round(seconds, 1),
        "where": executor.description,
        "git_commit": commit,
    }
    _write(out / "metadata.json", json.dumps(meta, indent=1) + "\n")
    _print_summary(study, outcome, seconds, executor.description, shares, out, written + ["metadata.json"])
    if outcome.failed:
        print(
            f"caresim: error: {len(outcome.failed)} of {len(tasks)} runs failed; their sites are left out of "
            "the shares; --resume retries them",
            file=sys.stderr,
        )
        return 1
    return 0


def _outputs(study, store, tasks, roles, out: Path):
    """The site table and the shares, written with the thresholds and the chart; and the files' names."""
    import matplotlib.pyplot as plt

    from sim.calibration.sites_run import shares, shares_chart, site_table, thresholds

    table = site_table(study, store, tasks, roles)
    share = shares(study, table)
    _write(out / "sites.csv", table.to_csv(index=False))
    _write(out / "shares.csv", share.to_csv(index=False))
    _write(out / "thresholds.csv", thresholds(study, table).to_csv(index=False))
    fig = shares_chart(study, share)
    fig.savefig(out / "shares.png", dpi=130)
    plt.close(fig)
    return table, share, ["sites.csv", "shares.csv", "thresholds.csv", "shares.png"]


def _print_summary(study, outcome, seconds: float, where: str, shares, out: Path, written: list[str]) -> None:
    from sim.calibration.sites_run import summary_text

    low, high = study.population
    cuts = sorted({m.minimal_change for m in study.metrics})
    cut = f"{cuts[0]:.0%}" if len(cuts) == 1 else "each metric's minimal_change"
    print(
        f"caresim: sites '{study.name}': {len(study.sites)} sites x 3 runs = {len(outcome.tasks)} runs, "
        f"{outcome.ran} run now {where}, {outcome.reused} already stored; {seconds:.1f} s."
    )
    print(
        f"  Integration: {study.integration.name} at sites of {low:,} to {high:,} people, against the site "
        f"without it. A site reports an improvement when its two-year figure after, against the two years before "
        f"(independent random numbers), moved the right way by more than {cut} of the before value."
    )
    for line in summary_text(study, shares):
        print(line)
    print(f"Wrote {', '.join(written)} to {out}")
