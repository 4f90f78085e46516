"""Where one replication's time goes: a sampling profile (pyinstrument) of ``single_run``.

    python benchmarks/profile_run.py [--population N] [--seed S] [--interval SECONDS] [--html FILE]

Needs pyinstrument (``pip install -e ".[bench]"``).  Prints the call tree with
each frame's seconds (frames under 1% of the run left out) and the work done
per simulated person-year.  Sampling slows the run, so read the tree's shares,
not its seconds; ``benchmarks/run.py`` gives the timings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from run import params_for  # noqa: E402  (benchmarks/run.py, beside this file)

from sim.replication.single import single_run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=None, help="registered people (default: Params())")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--interval", type=float, default=0.001, help="seconds between samples (default 0.001)")
    ap.add_argument("--html", metavar="FILE", help="also write pyinstrument's interactive page")
    a = ap.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        print('benchmarks: error: profiling needs pyinstrument: pip install -e ".[bench]"', file=sys.stderr)
        return 2
    params = params_for(a.population, None, None)
    profiler = Profiler(interval=a.interval)
    profiler.start()
    stats = single_run(params, a.seed, 0).stats
    profiler.stop()
    print(
        profiler.output_text(
            unicode=False, color=False, show_all=False, timeline=False, processor_options={"filter_threshold": 0.01}
        )
    )
    py = stats["person_years_simulated"]
    print(
        f"per simulated person-year ({py:,.0f} person-years, {stats['people']:,.0f} people): "
        f"{stats['calendar_entries_dispatched'] / py:.2f} day-list entries dispatched, "
        f"{stats['events'] / py:.2f} SimPy events"
    )
    if a.html:
        Path(a.html).write_text(profiler.output_html(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
