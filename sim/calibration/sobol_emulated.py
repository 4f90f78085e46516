"""Sobol indices computed on Gaussian-process emulators, the emulators' own uncertainty carried into them.

Given a design of model runs (``X`` (n, d) in the parameters' units, ``Y`` (n, k) answers with their
replication standard errors), one emulator is fitted per answer (:func:`sim.calibration.emulators.fit_emulator`).
First-order and total indices of uniform inputs on ``[low, high]`` are then estimated on the emulators:

- a scrambled Sobol' sample (``scipy.stats.qmc.Sobol`` of ``2 d`` dimensions, ``N`` points, from an explicit
  ``numpy.random.Generator``) gives the matrices A and B; AB_i is A with column i taken from B;
- each emulator's variance is checked by 5-fold cross-validation on the design, its hyperparameters fitted
  afresh per fold, and scaled up by the folds' mean square standardised error where that is above 1
  (:attr:`sim.calibration.emulators.Emulator.variance_scale`): the fitted length scales are uncertain, and
  an emulator that takes them as known is too sure of itself between the design's sets;
- ``M`` realisations of each emulator's process (its latent function: the fitted white noise left out) are
  drawn jointly over all ``N (d + 2)`` points, their spread about its mean scaled as its variance is.  A
  joint draw over so many points is too costly, so each realisation is conditioned on a sub-sample (Le
  Gratiet, Cannamela and Iooss 2014; Oakley and O'Hagan 2004): the process is drawn jointly at ``s``
  space-filling points ``S`` of the box, and the realisation elsewhere is its posterior mean given the runs
  and those drawn values, ``m(x) + C(x, S) C(S, S)^-1 (z_S - m(S))``.  Every realisation is one smooth
  function, the same at A, B and AB, as the estimators need.  The part of the process' variance that ``S``
  does not pin down (finer than its spacing) is drawn as well, jointly within each row of the sample (the
  ``d + 2`` points of A, B and AB that the estimators compare) and independently between rows, far apart
  in the box; ``captured`` in the table says how much of the variance the joint draw over all points kept
  (1 when ``N (d + 2) <= s``: then the draw is exact and nothing is left);
- per realisation the indices are the Saltelli et al. (2010) first-order and Jansen (1999) total estimators,
  as ``scipy.stats.sobol_indices`` computes them (:func:`estimators`), on the full base sample and on ``R``
  bootstrap resamples of its rows, drawn from the same generator (scipy's ``SobolResult.bootstrap`` takes
  no generator and would draw from numpy's global one).

Per index: the mean over realisations of the full-sample estimate; a 95% interval, the 2.5% and 97.5%
quantiles over all ``M x R`` (realisation, resample) estimates, so emulator and sampling uncertainty
together; and each part's share of the combined variance (law of total variance: the variance over
realisations of the full-sample estimate, and the mean over realisations of the bootstrap variance), which
sets the interval's width.  Indices do not depend on the answer's units, so everything runs on the
emulators' standardised outputs.
"""

from __future__ import annotations

import functools
import inspect
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, stats
from scipy.stats import qmc
from threadpoolctl import threadpool_limits

from sim.calibration.emulators import Emulator, fit_emulator
from sim.calibration.sensitivity import estimators

BASE_SAMPLE = 4096  # N of the Saltelli sample on the emulators (a power of two); assumption: sampling sd ~0.01-0.02
REALISATIONS = 64  # M emulator realisations; assumption: enough for 2.5% / 97.5% quantiles with R resamples
RESAMPLES = 64  # R bootstrap resamples of the base sample per realisation
CONDITIONING = 1024  # s points of each joint draw; assumption: dense enough at the fitted length scales
CHUNK = 4096  # rows of the sample handled at once (memory)
FOLDS = 5  # cross-validation folds that check each emulator's variance (each fold's fit learns from 4/5 of the sets)
LEVEL = 0.95
PARTS = ("", "_low", "_high", "_emulator_share", "_sampling_share")
COLUMNS = (
    "output",
    "parameter",
    *(f"{index}{part}" for index in ("first_order", "total") for part in PARTS),
    "captured",
    "variance_scale",
    "design_points",
)
"""The columns of :func:`emulated_sobol`'s table."""


def _rng_kw(cls) -> str:
    """The keyword under which this scipy's qmc engine takes a generator (``rng`` from 1.15, ``seed`` before)."""
    return "rng" if "rng" in inspect.signature(cls).parameters else "seed"


def saltelli_sample(d: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A, B (n, d) and AB (d, n, d) in the unit box, from one scrambled Sobol' sample of 2d dimensions."""
    if n < 2 or n & (n - 1):
        raise ValueError(f"the base sample must be a power of two of at least 2, got {n}")
    base = qmc.Sobol(2 * d, scramble=True, **{_rng_kw(qmc.Sobol): rng}).random(n)
    A, B = base[:, :d], base[:, d:]
    AB = np.repeat(A[None], d, axis=0)
    for i in range(d):
        AB[i, :, i] = B[:, i]
    return A, B, AB


def _latent(gp):
    """The fitted kernel without its white noise: the covariance of the emulated function itself."""
    return gp.kernel_.k1


def _cholesky(c: np.ndarray, prior: float) -> np.ndarray:
    """Lower Cholesky factor, with the smallest jitter (relative to the process' ``prior`` variance) that makes
    it work.  Relative to the prior, not to ``c``: where the runs pin the function down (little noise), the
    posterior variance is near 0 and rounding errors of the prior's size would swamp a jitter of its own."""
    scale = prior or 1.0
    for jitter in (1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4):
        try:
            return linalg.cholesky(c + jitter * scale * np.eye(len(c)), lower=True)
        except linalg.LinAlgError:
            continue
    raise linalg.LinAlgError("the emulator's covariance at the conditioning points is not positive definite")


def realisations(
    emulator: Emulator,
    j: int,
    points: np.ndarray,
    m: int,
    rng: np.random.Generator,
    conditioning: np.ndarray,
    groups: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """``m`` realisations (m, p) of target ``j``'s emulated function (standardised) at ``points`` (p, d, unit box),
    each drawn jointly at ``conditioning`` (s, d) and conditioned on there elsewhere; and the share of the
    posterior variance at ``points`` that the conditioning keeps (1 when ``points`` is the conditioning set).

    With ``groups`` (a group number per point, every group the same size) the variance the conditioning
    leaves out is drawn too: jointly within each group, independently between groups (:func:`_residuals`);
    the points are then handled group by group.
    The draws' spread about the posterior mean is scaled by the root of the emulator's ``variance_scale``.
    """
    gp = emulator.models[j]
    k = _latent(gp)
    x = emulator.x

    def post_mean_and_v(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cross = k(x, p)  # (n, p)
        return cross.T @ gp.alpha_, linalg.solve_triangular(gp.L_, cross, lower=True)

    with threadpool_limits(1, user_api="blas"):
        mean_s, v_s = post_mean_and_v(conditioning)
        c_ss = k(conditioning) - v_s.T @ v_s
        chol = _cholesky(c_ss, float(np.mean(k.diag(conditioning))))
        spread = math.sqrt(emulator.variance_scale[j])  # the covariance scaled: the conditioning's weights are not
        z = mean_s[:, None] + spread * chol @ rng.standard_normal((len(conditioning), m))  # (s, m)
        weights = linalg.cho_solve((chol, True), z - mean_s[:, None])  # C_SS^-1 (z - m_S)
        explained = linalg.solve_triangular(chol, np.eye(len(conditioning)), lower=True)  # L_S^-1

        out = np.empty((m, len(points)))
        kept, whole = 0.0, 0.0
        for idx in _chunks(len(points), groups):
            flat = idx.ravel()
            p = points[flat]
            mean_p, v_p = post_mean_and_v(p)
            c_ps = k(p, conditioning) - v_p.T @ v_s  # (chunk, s)
            e_p = c_ps @ explained.T  # what the conditioning pins down, as vectors
            values = mean_p[:, None] + c_ps @ weights  # (chunk, m)
            whole += float(np.sum(k.diag(p) - np.sum(v_p**2, axis=0)))
            kept += float(np.sum(e_p**2))
            if groups is not None:
                values += spread * _residuals(k(p), np.hstack([v_p.T, e_p]), idx.shape, m, rng)
            out[:, flat] = values.T
    return out, (min(kept / whole, 1.0) if whole > 0 else 1.0)


def _chunks(points: int, groups: np.ndarray | None) -> list[np.ndarray]:
    """The points' indices in the pieces :func:`realisations` handles at once: runs of :data:`CHUNK`, or with
    ``groups`` whole groups, (groups, size) arrays of about a quarter of that (their kernel is (groups size)^2)."""
    if groups is None:
        return [np.arange(start, min(start + CHUNK, points)) for start in range(0, points, CHUNK)]
    counts = np.bincount(groups)
    size = int(counts.max())
    if np.any(counts[np.unique(groups)] != size):
        raise ValueError("every group of points must be the same size")
    rows = np.argsort(groups, kind="stable").reshape(-1, size)  # the points of each group
    per_chunk = max(1, CHUNK // (4 * size))
    return [rows[start : start + per_chunk] for start in range(0, len(rows), per_chunk)]


def _residuals(
    prior: np.ndarray, known: np.ndarray, shape: tuple[int, ...], m: int, rng: np.random.Generator
) -> np.ndarray:
    """``m`` draws (g size, m) of the emulator's variance that the conditioning leaves out (variation finer than
    its spacing) at ``shape`` = (g, size) groups of points, jointly within each group and independently between.

    ``prior`` is the prior covariance between the points (g size, g size), ``known`` (g size, n + s) what the
    runs and the conditioning pin down at each, as vectors whose dot products they take off it.  Within a group
    the draw has the covariance left, so the points an estimator compares (a row of the Saltelli sample: A, B
    and the AB that differ from A in one input) vary together as the emulator says: two points that differ only
    in an input the emulator finds inert get the same draw, and that input no index.  Between groups, far
    apart in the box, the fine variation is taken as independent.  Negative eigenvalues from rounding are 0.
    """
    g, size = shape
    within = prior.reshape(g, size, g, size)[np.arange(g), :, np.arange(g), :]  # (g, size, size)
    w = known.reshape(g, size, -1)
    values, vectors = np.linalg.eigh(within - np.einsum("gan,gbn->gab", w, w))
    roots = np.sqrt(np.clip(values, 0.0, None))
    draws = vectors @ (roots[:, :, None] * rng.standard_normal((g, size, m)))  # (g, size, m)
    return draws.reshape(g * size, m)


def _summary(values: np.ndarray) -> dict[str, float]:
    """``values`` (M, R + 1): per realisation, the full-sample estimate then R bootstrap estimates."""
    full, boot = values[:, 0], values[:, 1:]
    emulator_var = float(np.var(full))
    sampling_var = float(np.mean(np.var(boot, axis=1)))
    spread = emulator_var + sampling_var
    low, high = np.quantile(boot, [(1 - LEVEL) / 2, (1 + LEVEL) / 2]) if boot.size else (math.nan, math.nan)
    return {
        "": float(np.mean(full)),
        "_low": float(low),
        "_high": float(high),
        "_emulator_share": emulator_var / spread if spread > 0 else math.nan,
        "_sampling_share": sampling_var / spread if spread > 0 else math.nan,
    }


@dataclass(frozen=True)
class _Sample:
    """The points every output's realisations are evaluated at, and the bootstrap's rows (:func:`_sample`)."""

    points: np.ndarray  # A, B then AB, stacked (N (d + 2), d), unit box
    at: np.ndarray  # the conditioning points
    groups: np.ndarray | None  # the Saltelli row of each point (None: the joint draw is exact)
    rows: np.ndarray  # the full sample's rows, then each bootstrap resample's (R + 1, N)


@functools.lru_cache(maxsize=2)
def _sample(d: int, n: int, resamples: int, conditioning: int, seed: int) -> _Sample:
    """The Saltelli sample, the conditioning points and the bootstrap rows, all from ``default_rng(seed)``: the
    same wherever they are made, so a worker makes its own rather than be sent them (kept for the next output)."""
    rng = np.random.default_rng(seed)
    A, B, AB = saltelli_sample(d, n, rng)
    points = np.vstack([A, B, AB.reshape(-1, d)])
    if len(points) <= conditioning:
        at, groups = points, None  # a joint draw over every point: exact
    else:
        at = qmc.Sobol(d, scramble=True, **{_rng_kw(qmc.Sobol): rng}).random(conditioning)
        groups = np.arange(len(points)) % n  # the row of the Saltelli sample each point is in (A, B, then AB)
    rows = np.vstack([np.arange(n)[None], rng.integers(0, n, size=(resamples, n))])  # the full sample first
    for array in (points, at, groups, rows):
        if array is not None:
            array.flags.writeable = False  # shared by every output read in this process
    return _Sample(points, at, groups, rows)


@dataclass(frozen=True)
class _Output:
    """What one output's indices need (:func:`_indices`): a small task a worker can take whole."""

    j: int  # the output's place: its emulator's seed is seed + j, its realisations' generator (seed, j)
    output: str
    X: np.ndarray  # the design (n_sets, d), in the parameters' units
    y: np.ndarray  # the output at the design (n_sets, 1)
    ses: np.ndarray  # its known noise (n_sets, 1)
    low: np.ndarray
    high: np.ndarray
    names: tuple[str, ...]
    folds: int
    n: int
    m: int
    resamples: int
    conditioning: int
    seed: int


def _indices(task: _Output) -> tuple[list[dict[str, object]], Emulator]:
    """One output's rows of :func:`emulated_sobol`'s table, and its emulator."""
    d, n, m = task.X.shape[1], task.n, task.m
    sample = _sample(d, n, task.resamples, task.conditioning, task.seed)
    rng = np.random.default_rng((task.seed, task.j))  # the output's own: the same whatever reads the others
    emulator = fit_emulator(task.X, task.y, task.ses, task.low, task.high, task.seed + task.j, task.folds)
    f, captured = realisations(emulator, 0, sample.points, m, rng, sample.at, sample.groups)
    f_A, f_B, f_AB = f[:, :n], f[:, n : 2 * n], f[:, 2 * n :].reshape(m, d, n)
    rows = sample.rows
    first = np.empty((d, m, len(rows)))
    total = np.empty((d, m, len(rows)))
    for r in range(m):
        first[:, r], total[:, r] = estimators(f_A[r][rows], f_B[r][rows], f_AB[r][:, rows])
    frames = []
    for i, name in enumerate(task.names):
        row: dict[str, object] = {"output": task.output, "parameter": name}
        for col, values in (("first_order", first[i]), ("total", total[i])):
            row |= {col + key: value for key, value in _summary(values).items()}
        row |= {
            "captured": captured,
            "variance_scale": float(emulator.variance_scale[0]),
            "design_points": int(np.isfinite(task.y).sum()),
        }
        frames.append(row)
    return frames, emulator


def emulated_sobol(
    X,
    Y,
    ses,
    low,
    high,
    names: Sequence[str],
    outputs: Sequence[str],
    *,
    n: int = BASE_SAMPLE,
    m: int = REALISATIONS,
    resamples: int = RESAMPLES,
    conditioning: int = CONDITIONING,
    folds: int = FOLDS,
    seed: int = 1,
    executor=None,
    on_output: Callable[[], None] | None = None,
) -> tuple[pd.DataFrame, list[Emulator]]:
    """Sobol indices of every output on the emulators: one row per (output, parameter), and the emulators.

    ``ses``: each design value's noise known beforehand (its replication standard error), taken as noise
    of its own by the emulator (:func:`sim.calibration.emulators.fit_emulator`); 0 when the design's
    runs share their seeds, so that the emulator learns from the design how rough the function is.

    Columns: ``output, parameter``; for ``first_order`` and ``total``: the mean, ``_low`` and ``_high``
    (95%, emulator and sampling uncertainty together), ``_emulator_share`` and ``_sampling_share`` (of
    the combined variance); then ``captured`` (the share of the emulator's variance drawn jointly over all
    points; the rest is drawn row by row, see the module), ``variance_scale`` (what its variance was scaled
    by after the ``folds``-fold cross-validation; 1 with ``folds`` 0) and ``design_points``.  One emulator
    per output, so an output with no value at some design points (NaN) leaves out only those.  All
    randomness is seeded: the sample and the bootstrap rows from ``numpy.random.default_rng(seed)``, the
    ``j``-th output's realisations from ``default_rng((seed, j))``.

    ``executor`` (``sim.experiments.executors``: a process pool or a Dask cluster) computes the outputs side
    by side, one task each; None computes them here, one after another.  The numbers are the same either way.
    ``on_output()`` is called as each output's indices are done (a progress bar).
    """
    X, Y = np.atleast_2d(np.asarray(X, dtype=float)), np.asarray(Y, dtype=float)
    Y = Y[:, None] if Y.ndim == 1 else Y
    ses = np.broadcast_to(np.asarray(ses, dtype=float), Y.shape)
    low, high = np.asarray(low, dtype=float).ravel(), np.asarray(high, dtype=float).ravel()
    d = low.size
    if X.shape[1] != d or len(names) != d or Y.shape != (X.shape[0], len(outputs)):
        raise ValueError(f"X {X.shape}, Y {Y.shape}: expected (n, {d}) and (n, {len(outputs)})")
    _sample(d, n, resamples, conditioning, seed)  # a bad sample size is refused here, before any task
    tasks = [
        _Output(
            j, output, X, Y[:, [j]], ses[:, [j]], low, high, tuple(names), folds, n, m, resamples, conditioning, seed
        )
        for j, output in enumerate(outputs)
    ]
    done: dict[int, tuple[list[dict[str, object]], Emulator]] = {}
    if executor is None:
        for task in tasks:
            done[task.j] = _indices(task)
            if on_output is not None:
                on_output()
    else:
        futures = {executor.submit(_indices, task): task.j for task in tasks}
        while futures:
            for future in executor.wait_first(futures):
                done[futures.pop(future)] = future.result()
                if on_output is not None:
                    on_output()
    found = [done[j] for j in range(len(tasks))]
    return pd.DataFrame([row for rows_j, _ in found for row in rows_j]), [emulator for _, emulator in found]


def leave_one_out_table(emulators: Sequence[Emulator], outputs: Sequence[str]) -> pd.DataFrame:
    """Per output: the emulator's leave-one-out check on its design (Rasmussen and Williams 2006, 5.4.2).

    ``loo_q2`` is 1 minus the leave-one-out errors' mean square over the outputs' variance (1: perfect);
    ``loo_within_2sd`` the share of standardised errors within 2 (about 0.95 for a well-calibrated emulator);
    ``loo_rms_standardised`` their root mean square (about 1).  These keep the hyperparameters fitted on
    every set, the left-out one included, so they judge the emulator on sets it learnt from.
    ``cv_rms_standardised`` is the root mean square standardised error of the cross-validation whose folds
    refit them (NaN when not run), and ``variance_scale`` what it scaled the emulator's variance by.
    """
    rows = []
    for emulator, output in zip(emulators, outputs):
        gp = emulator.models[0]
        inverse_diag = np.diag(linalg.cho_solve((gp.L_, True), np.eye(emulator.x.shape[0])))
        errors = gp.alpha_ / inverse_diag  # standardised units: y_i minus its leave-one-out mean
        z = emulator.leave_one_out()[:, 0]
        rows.append(
            {
                "output": output,
                "loo_q2": 1.0 - float(np.mean(errors**2)) / float(np.var(emulator.y[:, 0]) or 1.0),
                "loo_within_2sd": float(np.mean(np.abs(z) <= 2)),
                "loo_rms_standardised": float(np.sqrt(np.mean(z**2))),
                "cv_rms_standardised": (
                    math.nan if emulator.cross_validated is None else float(np.sqrt(emulator.cross_validated[0]))
                ),
                "variance_scale": float(emulator.variance_scale[0]),
            }
        )
    return pd.DataFrame(rows)


def held_out_table(
    emulators: Sequence[Emulator],
    outputs: Sequence[str],
    names: Sequence[str],
    X,
    Y,
    ses,
    shared_seeds: bool = False,
) -> pd.DataFrame:
    """Emulated against simulated at points the emulators were not fitted on: one row per (output, point).

    ``low``/``high`` is the 95% interval of a simulated mean at that point: the emulator's variance plus
    the point's own replication variance (its standard error squared, 0 when unknown).  With
    ``shared_seeds`` the points were run with the design's seeds (common random numbers): their noise
    about the emulated function is then the roughness between sets that the emulator learnt (its white
    noise, part of its variance), so their replication variance is not added (``simulated_se`` still
    shows it).
    """
    X, Y = np.atleast_2d(np.asarray(X, dtype=float)), np.asarray(Y, dtype=float)
    Y = Y[:, None] if Y.ndim == 1 else Y
    ses = np.nan_to_num(np.broadcast_to(np.asarray(ses, dtype=float), Y.shape), nan=0.0)
    z = stats.norm.ppf((1 + LEVEL) / 2)
    rows = []
    for j, (emulator, output) in enumerate(zip(emulators, outputs)):
        mean, var = emulator.predict(X)
        sd = np.sqrt(var[:, 0] + (0.0 if shared_seeds else ses[:, j] ** 2))
        for p in range(len(X)):
            rows.append(
                {
                    "output": output,
                    "point": p + 1,
                    **{f"at_{name}": float(X[p, i]) for i, name in enumerate(names)},
                    "simulated": float(Y[p, j]),
                    "simulated_se": float(ses[p, j]),
                    "emulated": float(mean[p, 0]),
                    "low": float(mean[p, 0] - z * sd[p]),
                    "high": float(mean[p, 0] + z * sd[p]),
                    "standardised_error": float((Y[p, j] - mean[p, 0]) / sd[p]) if sd[p] > 0 else math.nan,
                    "inside": bool(abs(Y[p, j] - mean[p, 0]) <= z * sd[p]),
                }
            )
    return pd.DataFrame(rows)


def design(low, high, points: int, seed: int) -> np.ndarray:
    """A space-filling design of ``points`` sets on ``[low, high]``: the first ``points`` of a scrambled Sobol'
    sequence (``scipy.stats.qmc``, scrambled from ``numpy.random.default_rng(seed)``).

    Nested: the design of ``2 n`` sets begins with the ``n`` of the design of ``n``, so a study that asks
    for more sets later keeps the sets it has run (the runner finds them in its store), and the first half
    of a design is a design of its own (:func:`widths_by_points`).  A Latin hypercube is not nested.
    """
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    engine = qmc.Sobol(low.size, scramble=True, **{_rng_kw(qmc.Sobol): np.random.default_rng(seed)})
    with warnings.catch_warnings():  # balance is exact at powers of two; any first n points still fill the box
        warnings.filterwarnings("ignore", message="The balance properties of Sobol", category=UserWarning)
        u = engine.random(points)
    return qmc.scale(u, low, high)


WIDTH = 0.1  # the widest 95% interval wanted for an index (issue 23's bar for reading one index against another)
FAR = 100  # beyond this many times the design's sets the guide says only that (assumption: a rough guide's reach)


def widest(frame: pd.DataFrame) -> pd.DataFrame:
    """Per output of an :func:`emulated_sobol` table: its widest first-order and total 95% intervals, and
    the emulators' share of the variance of the widest of them."""
    frame = frame.assign(
        first_width=frame["first_order_high"] - frame["first_order_low"],
        total_width=frame["total_high"] - frame["total_low"],
    )
    out = frame.groupby("output", sort=False).agg(
        design_points=("design_points", "max"),
        widest_first_order=("first_width", "max"),
        widest_total=("total_width", "max"),
    )
    # each index's interval and its emulators' share, first-order and total in one long column
    long = pd.concat(
        [
            frame[["output", "first_width", "first_order_emulator_share"]].set_axis(["output", "w", "s"], axis=1),
            frame[["output", "total_width", "total_emulator_share"]].set_axis(["output", "w", "s"], axis=1),
        ],
        ignore_index=True,
    ).dropna(subset=["w"])  # an output without indices has no widest interval
    at = long.groupby("output", sort=False)["w"].idxmax()
    out["emulator_share"] = pd.Series(long.loc[at.to_numpy(), "s"].to_numpy(), index=at.index).reindex(out.index)
    return out.reset_index()


def widths_by_points(full: pd.DataFrame, half: pd.DataFrame, points: int) -> pd.DataFrame:
    """How the widest intervals narrow from the design's first half to the whole of it, per output.

    ``full`` and ``half`` are :func:`emulated_sobol` tables on the ``points`` sets and on the first
    ``points // 2`` (a design of its own: :func:`design` is nested).  Rows: per output, the half's widths,
    then the whole's with ``sampling_width`` and ``points_for_width``.

    More sets narrow only the emulators' part of an interval; its sampling part is set by the base sample
    (its variance falls as 1/N).  So the widest interval is split by the emulators' share of its variance
    (widths taken as proportional to standard deviations): ``sampling_width`` is what its sampling part
    alone would leave, and ``points_for_width`` the sets at which the whole would reach :data:`WIDTH` if
    the emulators' part keeps narrowing as it did from the half to the whole (proportional to a power of
    the sets) and the sampling part stays.  A rough guide: NaN when the emulators' part did not narrow, the
    design's size when already there, and inf when no number of sets would do (the sampling part alone is
    :data:`WIDTH` or wider: a larger base sample is what narrows it) or when it narrowed so slowly that it
    would need more than :data:`FAR` times the design's sets (a power fitted on two sizes says nothing that
    far out).
    """
    a, b = widest(half), widest(full)
    a["design_points"], b["design_points"] = points // 2, points
    both = b.merge(a, on="output", how="left", suffixes=("", "_half"))
    w_full = both[["widest_first_order", "widest_total"]].max(axis=1).to_numpy(dtype=float)
    w_half = both[["widest_first_order_half", "widest_total_half"]].max(axis=1).to_numpy(dtype=float)
    share_full = np.clip(both["emulator_share"].fillna(1.0).to_numpy(dtype=float), 0.0, 1.0)
    share_half = np.clip(both["emulator_share_half"].fillna(1.0).to_numpy(dtype=float), 0.0, 1.0)
    sampling = w_full * np.sqrt(1.0 - share_full)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # barely narrowing: inf sets
        emulated, emulated_half = w_full * np.sqrt(share_full), w_half * np.sqrt(share_half)
        rate = np.log(emulated_half / emulated) / np.log(points / (points // 2))  # emulators' part ~ sets ** -rate
        room = np.sqrt(np.maximum(WIDTH**2 - sampling**2, 0.0))  # what the emulators' part may be
        needed = points * (emulated / room) ** (1 / rate)
    needed = np.where(needed > FAR * points, np.inf, np.ceil(needed))
    needed = np.where(rate > 0, needed, np.nan)
    needed = np.where(sampling >= WIDTH, np.inf, needed)
    needed = np.where(w_full <= WIDTH, points, needed)
    a["sampling_width"] = np.nan
    a["points_for_width"] = np.nan
    b["sampling_width"] = sampling
    b["points_for_width"] = needed
    return pd.concat([a, b], ignore_index=True)
