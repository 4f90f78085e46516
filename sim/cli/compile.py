"""``caresim compile``: build, check or remove the compiled build of the model (:mod:`sim.compiled`).

The build is optional: pure Python gives the same numbers, only more slowly.  It needs mypyc (part of
``pip install mypy``) and a C compiler; without them the command says so and nothing changes.
"""

from __future__ import annotations

import argparse
import time

from sim import compiled
from sim.cli.common import UsageError


def add_commands(commands) -> None:
    cmd = commands.add_parser(
        "compile",
        help="compile the model's core and pathways with mypyc (optional: faster, same numbers)",
        description="Compile the model's core, pathways and initial state (sim/core, sim/pathways, "
        "sim/replication/initial_state.py) to C extensions with mypyc, "
        "from the same source, beside the sources. Runs then use them and give the same numbers faster. A build "
        "that no longer matches its sources (after an edit) is never used: the sources run, with a warning, "
        "until you compile again. CARESIM_PURE=1 runs the sources. Needs mypyc (pip install mypy) and a C "
        "compiler.",
    )
    what = cmd.add_mutually_exclusive_group()
    what.add_argument("--status", action="store_true", help="say whether a build is present and current; build nothing")
    what.add_argument("--remove", action="store_true", help="delete the compiled build")


def compile_command(args: argparse.Namespace) -> int:
    if args.status:
        kind, why = compiled.state()
        print(f"compiled build: {kind}" + (f" ({why})" if why else f", {len(compiled.MODULES)} modules"))
        return 0
    if args.remove:
        gone = compiled.remove()
        print(f"removed the compiled build ({len(gone)} files)" if gone else "no compiled build to remove")
        return 0
    start = time.perf_counter()
    print(f"compiling {len(compiled.MODULES)} modules with mypyc (a minute or two) ...", flush=True)
    try:
        made = compiled.build()
    except compiled.BuildError as e:
        raise UsageError(f"compile: {e}") from None
    print(f"built {len(made)} extensions in {time.perf_counter() - start:.0f} s; runs now use them")
    return 0
