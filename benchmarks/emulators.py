"""Seconds to fit one emulator as a sensitivity study's reading does, with scikit-learn's likelihood and with ours.

    python benchmarks/emulators.py [--sets 160 320 520] [--inputs 16] [--folds 5] [--json FILE]

The emulator route's reading (``caresim sensitivity FILE --route emulator``) fits one Gaussian process per
answer on the design's sets, then checks its variance by ``--folds``-fold cross-validation, each fold's
process fitted afresh (``sim.calibration.emulators.fit_emulator``); the fits are most of the reading's
time.  Here one such answer is fitted on a synthetic design (the route's nested Sobol' design of ``--inputs``
inputs in the unit box; an answer smooth in four of them with an interaction, the rest inert, and
replication noise of a fifth of its variance, as the pilots' answers look), on one core, twice: with
scikit-learn's own search (its likelihood and the gradient from the kernel's derivative array), and with
``sim.calibration.gp_likelihood`` (the same search and function from matrix products).  Printed: CPU
seconds of each, their ratio, and the log marginal likelihood each fitted process reaches.

These are measurements, not tests: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from sim.calibration import emulators  # noqa: E402
from sim.calibration.sobol_emulated import design  # noqa: E402


def answer(sets: int, inputs: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A design of ``sets`` in the unit box, a standardised answer there and each set's noise variance."""
    u = design(np.zeros(inputs), np.ones(inputs), sets, seed)  # the route's own nested design
    signal = np.sin(3 * u[:, 0]) + u[:, 1] ** 2 + 0.5 * u[:, 2] * u[:, 3]
    noise = np.full(sets, 0.2 * np.var(signal))
    y = signal + np.sqrt(noise) * np.random.default_rng(seed + 1).standard_normal(sets)
    scale = np.std(y)
    return u, (y - y.mean()) / scale, noise / scale**2


def fit_seconds(u: np.ndarray, y: np.ndarray, alpha: np.ndarray, folds: int, quick: bool) -> tuple[float, float]:
    """CPU seconds of one answer's fit and cross-validation, and the fitted process' log marginal likelihood."""
    low, high = np.zeros(u.shape[1]), np.ones(u.shape[1])
    ses = np.sqrt(alpha)[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if quick:
            start = time.process_time()
            fitted = emulators.fit_emulator(u, y[:, None], ses, low, high, seed=1, folds=folds)
        else:  # scikit-learn's default search, as the emulators fitted before sim.calibration.gp_likelihood
            with mock.patch.object(emulators, "Optimizer", lambda *data: "fmin_l_bfgs_b"):
                start = time.process_time()
                fitted = emulators.fit_emulator(u, y[:, None], ses, low, high, seed=1, folds=folds)
    seconds = time.process_time() - start
    return seconds, float(fitted.models[0].log_marginal_likelihood_value_)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", type=int, nargs="+", default=[160, 320, 520])
    parser.add_argument("--inputs", type=int, default=16)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rows = []
    print(f"one answer's emulator: fit and {args.folds}-fold check, {args.inputs} inputs, one core (CPU seconds)")
    print(f"{'sets':>6} {'scikit-learn':>13} {'quicker':>9} {'ratio':>6}   log likelihood (both)")
    for sets in args.sets:
        u, y, alpha = answer(sets, args.inputs, args.seed)
        slow, slow_lml = fit_seconds(u, y, alpha, args.folds, quick=False)
        fast, fast_lml = fit_seconds(u, y, alpha, args.folds, quick=True)
        rows.append({"sets": sets, "sklearn_s": slow, "quick_s": fast, "sklearn_lml": slow_lml, "quick_lml": fast_lml})
        print(f"{sets:>6} {slow:>13.1f} {fast:>9.1f} {slow / fast:>6.1f}   {slow_lml:.4f}, {fast_lml:.4f}")
    if args.json:
        args.json.write_text(json.dumps({"inputs": args.inputs, "folds": args.folds, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
