"""``caresim validation``: the baseline beside the figures of EVIDENCE.md it was never fitted to.

Runs the built-in baseline (at the default place unless the run flags say otherwise), computes every
row of the validation file (``calibration/validation.toml``, :mod:`sim.calibration.validation`),
prints each beside its evidence and the range accepted, and writes the table to ``docs/validation.md``
(``--write PATH`` elsewhere, ``--no-write`` to print only).  Nothing is fitted or tuned.  The figures are
made by :func:`sim.api.validation`, and the page by its result; this module parses and prints.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import TYPE_CHECKING

from sim import __version__
from sim.cli.common import RunFailed, api_errors, days, integer, progress, settings_keywords, whole
from sim.parameters.filecheck import MAX_REPLICATIONS

if TYPE_CHECKING:
    from sim.api import ValidationResult

REPS, SEED = 3, 1  # as sim.api.validation's defaults (the command's help names them)


def add_commands(commands) -> None:
    cmd = commands.add_parser(
        "validation",
        help="compare the baseline with the published figures it was not fitted to; write docs/validation.md",
        description="Run the built-in baseline and print every validation row of EVIDENCE.md (the rows of "
        "calibration/validation.toml) beside the model's figure: the mean over the replications with the least "
        "and largest, the range accepted as in range, whether the figure is in it and, for a miss, the reason we "
        "believe. Writes the table to docs/validation.md. Nothing is fitted or tuned. (To check a scenario file, "
        "use caresim validate FILE.)",
    )
    cmd.add_argument(
        "--reps", type=whole(1, MAX_REPLICATIONS), default=REPS, metavar="N", help=f"replications (default: {REPS})"
    )
    cmd.add_argument("--seed", type=whole(0), default=SEED, metavar="S", help=f"master random seed (default: {SEED})")
    cmd.add_argument("--population", type=integer, metavar="P", help="registered people in the place (default: 250000)")
    cmd.add_argument(
        "--horizon-days",
        type=days,
        metavar="D",
        help="length of the statistics window in days (default: 730; rows that need longer run longer)",
    )
    cmd.add_argument("--warmup-days", type=days, metavar="W", help="warm-up before the window (default: 365)")
    cmd.add_argument(
        "--file", metavar="FILE", help="the validation rows (default: calibration/validation.toml in the repository)"
    )
    where = cmd.add_mutually_exclusive_group()
    where.add_argument(
        "--write", metavar="PATH", help="write the table to PATH (default: docs/validation.md in the repository)"
    )
    where.add_argument("--no-write", action="store_true", help="print the table only; write no file")


def validation(args: argparse.Namespace) -> int:
    import sim.api as api
    from sim.api.validation_figures import DOC, shown, write_target

    with api_errors():
        target = None if args.no_write else write_target(DOC if args.write is None else args.write)
        result = api.validation(
            reps=args.reps, seed=args.seed, file=args.file, **settings_keywords(args), progress=progress
        )
    table = result.table
    print("\n".join(_heading(result) + [""] + _text_table(table) + _misses(table)))
    if target is not None:
        try:
            with api_errors():
                written = result.write(target)
        except RunFailed as e:
            print(f"caresim: error: {e}", file=sys.stderr)
            return 1
        print(f"\nWrote {shown(written)}")
    return 0


# --- what is shown ----------------------------------------------------------------------------------


def _heading(result: ValidationResult) -> list[str]:
    from sim.api.validation_figures import shown

    params, table = result.params, result.table
    t = params.time
    longer = sorted({h for h in table["run_horizon_days"] if h != t.horizon_days})
    extra = f"; rows that need it run {', '.join(f'{h:,g}' for h in longer)} days" if longer else ""
    return [
        f"caresim {__version__}: the built-in baseline beside the validation rows of EVIDENCE.md "
        f"({shown(result.file)})",
        f"  {result.reps} replication{'s' if result.reps != 1 else ''}, seed {result.seed}, "
        f"{params.place.registered_population:,} registered people, {t.horizon_days:g} days after a "
        f"{t.warmup_days:g}-day warm-up{extra}.",
        "  Model: the mean over replications (the least and largest in brackets); in range: the mean inside "
        "the range stated in the file. Nothing is fitted to these figures.",
    ]


def _text_table(table) -> list[str]:
    from sim.api.validation_figures import model_text, range_text

    head = ["figure", "evidence", "range accepted", "model", "in range"]
    rows = [[r["label"], r["evidence"], range_text(r), model_text(r), r["in_range"]] for _, r in table.iterrows()]
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]

    def line(cols: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip()

    return [line(head), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def _misses(table) -> list[str]:
    out = []
    for _, r in table[table["in_range"] != "yes"].iterrows():
        why = r["miss_reason"] if r["in_range"] == "no" else "The run cannot measure it: " + r["measured"]
        out += textwrap.wrap(f"{r['label']}: {why}", 100, initial_indent="- ", subsequent_indent="  ")
    return ["", "Outside the range or not measurable, and the reason we believe:"] + out if out else []
