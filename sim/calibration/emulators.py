"""Gaussian-process emulators of a model's targets, one per target (scikit-learn).

An :class:`Emulator` stands in for the simulated means of the targets at parameter sets that were
not run.  For each target it fits a ``sklearn.gaussian_process.GaussianProcessRegressor`` on the
parameter sets run so far, with

- inputs scaled to the unit box (the priors' ranges), outputs standardised (mean 0, sd 1);
- the kernel ``ConstantKernel x Matern(nu = 5/2)`` with one length scale per parameter (ARD: a
  parameter the target ignores gets a long one) ``+ WhiteKernel``;
- each simulated mean's replication variance (its standard error squared) passed as ``alpha``, so
  the process knows how noisy each training value is; the ``WhiteKernel`` takes up whatever noise
  is left beyond it (common random numbers make the replication noise smooth, so it is often small).

Its uncertainty comes in two parts, both used by the implausibility measure: the emulator's own
variance (sklearn's predictive variance of the process, the white noise included) and the
replication variance, emulated as one figure per target, the mean squared standard error of the
sets run (the noise of a simulated mean about its expectation; the evaluators here pool it too).

The fitted hyperparameters (length scales, variance, white noise) are taken as known, so the emulator's
variance leaves out how uncertain they are.  With ``folds`` (:func:`fit_emulator`) it is checked by
k-fold cross-validation with the hyperparameters fitted again on each fold's rest: the mean square of the
folds' standardised errors (about 1 when the variance is right) scales the emulator's variance up when
it is above 1 (:attr:`Emulator.variance_scale`).  A scale below 1 is not applied: each fold's emulator
learnt from fewer sets than the whole, so its errors overstate the whole's.

Hyperparameters are fitted by maximum marginal likelihood from several starts fixed by ``seed``, so
an emulator is deterministic given its data and seed.  The search is scikit-learn's (L-BFGS-B from each
start); the likelihood and its gradient come from :mod:`sim.calibration.gp_likelihood`, the same function
computed several times quicker than scikit-learn computes it.  Fits and predictions run with one BLAS thread
(threadpoolctl): the matrices are small, and on a busy machine threads cost several times more than they
save.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
from threadpoolctl import threadpool_limits

from sim.calibration.gp_likelihood import Optimizer


def kernel(dimensions: int):
    """Constant x Matern 5/2 with one length scale per input (ARD), plus white noise; inputs in the unit box."""
    return ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
        length_scale=np.full(dimensions, 0.3), length_scale_bounds=(1e-2, 1e2), nu=2.5
    ) + WhiteKernel(1e-4, (1e-10, 1.0))


@dataclass
class Emulator:
    """One Gaussian process per target over the unit box ``(x - low) / (high - low)``."""

    low: np.ndarray
    high: np.ndarray
    models: list[GaussianProcessRegressor]
    centre: np.ndarray  # per target: the outputs' mean and sd used to standardise them
    scale: np.ndarray
    replication_variance: np.ndarray  # per target: the mean squared standard error of the sets run
    x: np.ndarray  # the training sets, in the unit box
    y: np.ndarray  # their simulated means, standardised
    # per target: the mean square of the k-fold cross-validation's standardised errors (None: not checked)
    cross_validated: np.ndarray | None = None

    @property
    def variance_scale(self) -> np.ndarray:
        """Per target, the factor the emulator's variance is scaled by: the cross-validation's mean square
        standardised error when above 1, else 1 (see the module)."""
        if self.cross_validated is None:
            return np.ones(len(self.models))
        return np.maximum(np.nan_to_num(self.cross_validated, nan=1.0), 1.0)

    def unit(self, thetas: np.ndarray) -> np.ndarray:
        return (np.atleast_2d(np.asarray(thetas, dtype=float)) - self.low) / (self.high - self.low)

    def predict(self, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Expected simulated means ``(n, m)`` and the emulator's variance of them ``(n, m)``, scaled by
        :attr:`variance_scale`."""
        u = self.unit(thetas)
        inflate = self.variance_scale
        means, variances = np.empty((u.shape[0], len(self.models))), np.empty((u.shape[0], len(self.models)))
        for j, gp in enumerate(self.models):
            with threadpool_limits(1, user_api="blas"):
                mu, sd = gp.predict(u, return_std=True)
            means[:, j] = self.centre[j] + self.scale[j] * mu
            variances[:, j] = inflate[j] * (self.scale[j] * sd) ** 2
        return means, variances

    def leave_one_out(self) -> np.ndarray:
        """Standardised leave-one-out errors ``(n, m)``: each training value against the emulator fitted on
        the others (hyperparameters kept), over its predictive sd; roughly N(0, 1) for a good emulator.

        Closed form (Rasmussen and Williams 2006, section 5.4.2): with ``K`` the training covariance,
        noise included, the error is ``[K^-1 y]_i / sqrt([K^-1]_ii)``.
        """
        errors = np.empty_like(self.y)
        for j, gp in enumerate(self.models):
            inverse_diag = np.diag(linalg.cho_solve((gp.L_, True), np.eye(self.x.shape[0])))
            errors[:, j] = gp.alpha_ / np.sqrt(inverse_diag)
        return errors

    def white_noise(self) -> np.ndarray:
        """Per target, the fitted white-noise variance in the targets' units (noise beyond ``alpha``)."""
        return np.array([gp.kernel_.k2.noise_level * s**2 for gp, s in zip(self.models, self.scale)])


def _fit_one(u: np.ndarray, y: np.ndarray, alpha: np.ndarray, seed: int) -> GaussianProcessRegressor:
    """One target's process on ``u`` (unit box) -> ``y`` (standardised), ``alpha`` its known noise variances."""
    noise = alpha + 1e-10
    gp = GaussianProcessRegressor(
        kernel(u.shape[1]),
        alpha=noise,
        optimizer=Optimizer(u, y, noise),  # scikit-learn's search on a quicker likelihood (gp_likelihood.py)
        n_restarts_optimizer=3,
        random_state=np.random.RandomState(seed),
    )
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)  # a hyperparameter at its bound is expected
        gp.fit(u, y)
    return gp


def cross_validated(u: np.ndarray, y: np.ndarray, alpha: np.ndarray, seed: int, folds: int) -> float:
    """The mean square of one target's standardised errors in ``folds``-fold cross-validation, each fold
    predicted by a process fitted afresh (hyperparameters included) on the other sets; NaN with too few sets.

    Fold ``k`` holds every ``folds``-th set from the ``k``-th, so each fold spreads over a space-filling design.
    Each error is over its prediction's sd with the sets' mean noise variance (``alpha``) added, as a simulated
    value at a new set would be, and as the implausibility cut pools the replication variance.  Not each held
    set's own: a standard error from few replications is itself very uncertain (from 2, a quarter of them are
    under a third of the true sd), and the mean square of errors over such sds runs far above 1 with an
    emulator that is right.
    """
    n = len(y)
    fold = np.arange(n) % folds
    noise = float(np.mean(alpha))
    errors = []
    for k in range(folds):
        rest, held = fold != k, fold == k
        if rest.sum() < 3 or not held.any():
            return math.nan
        gp = _fit_one(u[rest], y[rest], alpha[rest], seed)
        with threadpool_limits(1, user_api="blas"):
            mu, sd = gp.predict(u[held], return_std=True)
        errors.append((y[held] - mu) / np.sqrt(sd**2 + noise))
    return float(np.mean(np.concatenate(errors) ** 2))


def fit_emulator(
    thetas: np.ndarray,
    means: np.ndarray,
    ses: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    seed: int,
    folds: int = 0,
) -> Emulator:
    """Fit one Gaussian process per target on ``thetas (n, d)`` -> ``means (n, m)`` with standard errors ``ses``.

    Sets whose runs failed (a NaN mean) are left out of every target's emulator.  With ``folds`` (at least
    2) each target's variance is checked by cross-validation and scaled up where it is too small
    (:func:`cross_validated`, :attr:`Emulator.variance_scale`); 0 takes the fitted variance as it is.
    """
    thetas, means = np.atleast_2d(np.asarray(thetas, dtype=float)), np.atleast_2d(np.asarray(means, dtype=float))
    ses = np.broadcast_to(np.nan_to_num(np.asarray(ses, dtype=float), nan=0.0), means.shape)
    ok = np.all(np.isfinite(means), axis=1)
    thetas, means, ses = thetas[ok], means[ok], ses[ok]
    if thetas.shape[0] < 3:
        raise ValueError(f"an emulator needs at least 3 parameter sets that ran, got {thetas.shape[0]}")
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    u = (thetas - low) / (high - low)
    centre = means.mean(axis=0)
    scale = means.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    if folds == 1 or folds < 0:
        raise ValueError(f"cross-validation needs at least 2 folds (0: none), got {folds}")
    y = (means - centre) / scale
    alpha = (ses / scale) ** 2
    models = [_fit_one(u, y[:, j], alpha[:, j], seed + j) for j in range(means.shape[1])]
    checked = (
        np.array([cross_validated(u, y[:, j], alpha[:, j], seed + j, folds) for j in range(means.shape[1])])
        if folds
        else None
    )
    return Emulator(low, high, models, centre, scale, np.mean(ses**2, axis=0), u, y, checked)
