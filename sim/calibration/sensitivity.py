"""Global sensitivity analysis: Morris screening, then Sobol indices.

Both methods hand the whole design to a batch evaluator, ``evaluate(X) -> Y``
with ``X`` (n, d) in the parameters' own units and ``Y`` (n, k), one column per
output, so that the experiment runner can run every point of a design at once.

Morris (1991) screening: ``r`` one-at-a-time trajectories of ``d + 1`` points
on a grid of ``levels`` levels, jump ``levels / (2 (levels - 1))`` of the
range; elementary effects are in unit-box terms (for ``y = c x`` on
``[low, high]`` the effect is ``c (high - low)``), summarised by mu, mu* (mean
absolute effect, Campolongo et al. 2007) and sigma.  Cost: ``(d + 1) r`` runs.

Sobol indices: ``scipy.stats.sobol_indices`` (Saltelli et al. 2010 estimators
on a scrambled Sobol' sample of uniform inputs).  Cost: ``(d + 2) n`` runs.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

Evaluate = Callable[[np.ndarray], np.ndarray]


def _box(low, high) -> tuple[np.ndarray, np.ndarray]:
    low = np.asarray(low, dtype=float).ravel()
    high = np.asarray(high, dtype=float).ravel()
    if low.shape != high.shape or low.size == 0:
        raise ValueError("low and high must be non-empty and of the same length")
    if not np.all(high > low):
        raise ValueError("every upper bound must exceed its lower bound")
    return low, high


def _seed_kw(func: Callable, seed: int | np.random.Generator) -> dict:
    """The seed keyword that this scipy takes (``rng`` from 1.15, older names before)."""
    params = inspect.signature(func).parameters
    for name in ("rng", "random_state", "seed"):
        if name in params:
            return {name: seed}
    raise TypeError(f"{func.__name__} takes no seed")


def _run(evaluate: Evaluate, X: np.ndarray, k: int | None) -> np.ndarray:
    Y = np.asarray(evaluate(X), dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != X.shape[0] or (k is not None and Y.shape[1] != k):
        raise ValueError(f"evaluate returned shape {Y.shape} for {X.shape[0]} points and {k} outputs")
    return Y


def _labels(given: Sequence[str] | None, count: int, prefix: str) -> list[str]:
    if given is None:
        return [f"{prefix}{i}" for i in range(count)]
    if len(given) != count:
        raise ValueError(f"expected {count} names, got {len(given)}")
    return list(given)


# --- Morris screening ---------------------------------------------------------


def morris_design(low, high, trajectories: int = 10, levels: int = 4, seed: int = 1) -> np.ndarray:
    """``trajectories`` Morris trajectories, stacked: ((d + 1) r, d) points in the box [low, high].

    Starting levels are a Latin hypercube sample mapped onto the grid (each
    parameter's starts spread over its levels); the parameters move in a random
    order per trajectory.  With an even number of levels a jump of ``levels / 2``
    grid steps fits in exactly one direction from every level.
    """
    low, high = _box(low, high)
    if levels < 2 or levels % 2:
        raise ValueError("levels must be an even number of at least 2")
    if trajectories < 1:
        raise ValueError("trajectories must be at least 1")
    d, half = low.size, levels // 2
    u = qmc.LatinHypercube(d=d, **_seed_kw(qmc.LatinHypercube, seed)).random(trajectories)
    start = np.minimum((u * levels).astype(int), levels - 1)
    order = np.random.default_rng(seed).permuted(np.tile(np.arange(d), (trajectories, 1)), axis=1)
    grid = np.empty((trajectories, d + 1, d), dtype=int)
    grid[:, 0] = start
    for step in range(d):
        grid[:, step + 1] = grid[:, step]
        rows, cols = np.arange(trajectories), order[:, step]
        level = grid[rows, step, cols]
        grid[rows, step + 1, cols] = np.where(level + half <= levels - 1, level + half, level - half)
    unit = grid.reshape(-1, d) / (levels - 1)
    return low + unit * (high - low)


def morris_indices(
    X, Y, low, high, levels: int = 4, names: Sequence[str] | None = None, outputs: Sequence[str] | None = None
) -> pd.DataFrame:
    """Morris statistics of a design from :func:`morris_design` and its outputs.

    One row per (parameter, output): the mean (``mu``), mean absolute
    (``mu_star``) and standard deviation (``sigma``, ddof 1; NaN with one
    trajectory) of the elementary effects.  Which parameter each step moved,
    and by how much, is read from the design itself.
    """
    low, high = _box(low, high)
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    Y = Y[:, None] if Y.ndim == 1 else Y
    d, k = low.size, Y.shape[1]
    if X.ndim != 2 or X.shape[1] != d or X.shape[0] % (d + 1) or Y.shape[0] != X.shape[0]:
        raise ValueError("X must be (d + 1) r rows of d parameters, with one row of Y per row of X")
    r = X.shape[0] // (d + 1)
    steps = np.diff(((X - low) / (high - low)).reshape(r, d + 1, d), axis=1)  # (r, d, d)
    moved = np.abs(steps) > 1e-12
    if not np.all(moved.sum(axis=2) == 1) or not np.all(moved.sum(axis=1) == 1):
        raise ValueError("each trajectory step must move exactly one parameter, each parameter once")
    param = moved.argmax(axis=2)  # (r, d): which parameter each step moved
    jump = np.take_along_axis(steps, param[..., None], axis=2)[..., 0]
    if not np.allclose(np.abs(jump), levels / (2 * (levels - 1))):
        warnings.warn("the design's jumps do not match the given number of levels", stacklevel=2)
    effects = np.empty((r, d, k))
    dy = np.diff(Y.reshape(r, d + 1, k), axis=1) / jump[..., None]
    np.put_along_axis(effects, param[..., None], dy, axis=1)
    names, outputs = _labels(names, d, "x"), _labels(outputs, k, "y")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sigma = effects.std(axis=0, ddof=1) if r > 1 else np.full((d, k), np.nan)
    return pd.DataFrame(
        {
            "parameter": np.repeat(names, k),
            "output": np.tile(outputs, d),
            "mu": effects.mean(axis=0).ravel(),
            "mu_star": np.abs(effects).mean(axis=0).ravel(),
            "sigma": sigma.ravel(),
        }
    )


def morris(
    evaluate: Evaluate,
    names: Sequence[str],
    low,
    high,
    outputs: Sequence[str],
    trajectories: int = 10,
    levels: int = 4,
    seed: int = 1,
) -> pd.DataFrame:
    """Morris screening in one call of ``evaluate`` on (d + 1) r points (recorded in ``.attrs["evaluations"]``)."""
    X = morris_design(low, high, trajectories, levels, seed)
    Y = _run(evaluate, X, len(outputs))
    out = morris_indices(X, Y, low, high, levels, names, outputs)
    out.attrs["evaluations"] = X.shape[0]
    return out


def screen(indices: pd.DataFrame, keep_share: float = 0.1) -> list[str]:
    """Parameters whose mu* reaches ``keep_share`` of the largest mu* for at least one output (never mu* = 0).

    ``indices`` needs the columns parameter, output and mu_star (as from :func:`morris`).
    """
    top = indices.groupby("output")["mu_star"].transform("max")
    keep = (indices["mu_star"] > 0) & (indices["mu_star"] >= keep_share * top)
    kept = set(indices.loc[keep, "parameter"])
    return [p for p in dict.fromkeys(indices["parameter"]) if p in kept]  # in the frame's order


# --- Sobol indices ------------------------------------------------------------


def sobol_evaluations(d: int, n: int) -> int:
    """Model runs that :func:`sobol` needs for d parameters and base sample n."""
    return (d + 2) * n


def sobol_design(low, high, n: int = 256, seed: int = 1) -> np.ndarray:
    """The (d + 2) n points :func:`sobol` evaluates, stacked: A (n), B (n), then the d mixed matrices AB (d n).

    They are the points ``scipy.stats.sobol_indices`` samples (a scrambled Sobol' sequence from ``seed``),
    found by running it with a stand-in that only records what it is asked for.  ``n`` must be a power of 2.
    """
    low, high = _box(low, high)
    d = low.size
    dists = [stats.uniform(loc=lo, scale=hi - lo) for lo, hi in zip(low, high)]
    samples: list[np.ndarray] = []

    def record(x: np.ndarray) -> np.ndarray:
        samples.append(np.array(x.T))
        return np.zeros((1, x.shape[1]))

    stats.sobol_indices(func=record, n=n, dists=dists, **_seed_kw(stats.sobol_indices, seed))
    if [s.shape[0] for s in samples] != [n, n, d * n]:
        raise RuntimeError("scipy.stats.sobol_indices sampled in an unexpected way")
    return np.vstack(samples)


def estimators(f_A: np.ndarray, f_B: np.ndarray, f_AB: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli et al. 2010) and total (Jansen 1999) indices, as ``scipy.stats.sobol_indices``.

    ``f_A``, ``f_B`` (..., n) and ``f_AB`` (d, ..., n); returns two arrays (d, ...).  The outputs are first
    centred on the mean of A and B pooled (Sobol' and Levitan 1999), whose variance is the denominator; an
    output with none gives NaN.
    """
    mean = np.mean(np.stack([f_A, f_B]), axis=(0, -1))[..., None]
    f_A, f_B, f_AB = f_A - mean, f_B - mean, f_AB - mean
    var = np.var(np.stack([f_A, f_B]), axis=(0, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(f_B * (f_AB - f_A), axis=-1) / var
        total = 0.5 * np.mean((f_A - f_AB) ** 2, axis=-1) / var
    return first, total


def sobol(
    evaluate: Evaluate,
    names: Sequence[str],
    low,
    high,
    outputs: Sequence[str],
    n: int = 256,
    seed: int = 1,
    bootstrap: bool = True,
    n_resamples: int = 999,
) -> pd.DataFrame:
    """First- and total-order Sobol indices of uniform inputs on [low, high], one row per (parameter, output).

    Called with a function, ``scipy.stats.sobol_indices`` evaluates it three
    times: on A (n points), on B (n points) and on the d mixed matrices AB
    (d n points).  To make that a single call of ``evaluate``, the stacked
    (d + 2) n points (:func:`sobol_design`) are evaluated at once and the
    outputs passed back to scipy in its dictionary form.  ``n`` must be a
    power of 2.

    With ``bootstrap`` the frame also holds BCa 95% intervals from the
    base sample's rows resampled (``*_low``/``*_high``; NaN where an output or
    parameter has no variance), drawn from ``numpy.random.default_rng(seed)``
    (:func:`_bootstrap`).
    """
    low, high = _box(low, high)
    d, k = low.size, len(outputs)
    names, outputs = _labels(names, d, "x"), list(outputs)
    Y = _run(evaluate, sobol_design(low, high, n, seed), k).T  # (k, (d + 2) n)
    f_AB = np.moveaxis(Y[:, 2 * n :].reshape(k, n, d), -1, 0)  # as scipy arranges it: (d, k, n)
    res = stats.sobol_indices(func={"f_A": Y[:, :n], "f_B": Y[:, n : 2 * n], "f_AB": f_AB}, n=n)
    out = pd.DataFrame(
        {
            "parameter": np.repeat(names, k),
            "output": np.tile(outputs, d),
            "first_order": np.reshape(res.first_order, (k, d)).T.ravel(),
            "total_order": np.reshape(res.total_order, (k, d)).T.ravel(),
        }
    )
    if bootstrap:
        low_high = _bootstrap(Y[:, :n], Y[:, n : 2 * n], f_AB, n_resamples, seed)
        for i, col in enumerate(("first_order", "total_order")):
            for bound, values in zip(("low", "high"), low_high):
                out[f"{col}_{bound}"] = values[i].ravel()  # (d, k), parameter by parameter as the rows
    out.attrs["evaluations"] = sobol_evaluations(d, n)
    return out


def _bootstrap(
    f_A: np.ndarray, f_B: np.ndarray, f_AB: np.ndarray, n_resamples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """BCa 95% intervals of the first-order and total indices, low and high, each ``(2, d, k)``: the base
    sample's rows resampled, the indices computed again on each resample (``scipy.stats.bootstrap``).

    What ``SobolResult.bootstrap`` does, with the same estimators, but drawing from
    ``numpy.random.default_rng(seed)``: scipy's draws from numpy's global generator and takes none.
    ``f_A``, ``f_B`` are ``(k, n)`` and ``f_AB`` ``(d, k, n)``.
    """

    def statistic(rows: np.ndarray) -> np.ndarray:
        return np.stack(estimators(f_A[:, rows], f_B[:, rows], f_AB[..., rows]))

    n = f_A.shape[1]
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # degenerate resamples of an output without variance: NaN
        res = stats.bootstrap(
            [np.arange(n)],
            statistic,
            method="BCa",
            n_resamples=n_resamples,
            confidence_level=0.95,
            vectorized=False,
            **_seed_kw(stats.bootstrap, rng),
        )
    return np.asarray(res.confidence_interval.low), np.asarray(res.confidence_interval.high)
