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

Hyperparameters are fitted by maximum marginal likelihood from several starts fixed by ``seed``, so
an emulator is deterministic given its data and seed.  Fits and predictions run with one BLAS thread
(threadpoolctl): the matrices are small, and on a busy machine threads cost several times more than they
save.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
from threadpoolctl import threadpool_limits


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

    def unit(self, thetas: np.ndarray) -> np.ndarray:
        return (np.atleast_2d(np.asarray(thetas, dtype=float)) - self.low) / (self.high - self.low)

    def predict(self, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Expected simulated means ``(n, m)`` and the emulator's variance of them ``(n, m)``."""
        u = self.unit(thetas)
        means, variances = np.empty((u.shape[0], len(self.models))), np.empty((u.shape[0], len(self.models)))
        for j, gp in enumerate(self.models):
            with threadpool_limits(1, user_api="blas"):
                mu, sd = gp.predict(u, return_std=True)
            means[:, j] = self.centre[j] + self.scale[j] * mu
            variances[:, j] = (self.scale[j] * sd) ** 2
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


def fit_emulator(
    thetas: np.ndarray, means: np.ndarray, ses: np.ndarray, low: np.ndarray, high: np.ndarray, seed: int
) -> Emulator:
    """Fit one Gaussian process per target on ``thetas (n, d)`` -> ``means (n, m)`` with standard errors ``ses``.

    Sets whose runs failed (a NaN mean) are left out of every target's emulator.
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
    models = []
    for j in range(means.shape[1]):
        gp = GaussianProcessRegressor(
            kernel(u.shape[1]),
            alpha=(ses[:, j] / scale[j]) ** 2 + 1e-10,
            n_restarts_optimizer=3,
            random_state=np.random.RandomState(seed + j),
        )
        with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
            warnings.simplefilter("ignore", ConvergenceWarning)  # a hyperparameter at its bound is expected
            gp.fit(u, (means[:, j] - centre[j]) / scale[j])
        models.append(gp)
    return Emulator(low, high, models, centre, scale, np.mean(ses**2, axis=0), u, (means - centre) / scale)
