"""The emulators' log marginal likelihood and its gradient, from matrix products instead of an (n, n, d + 2) array.

Each emulator (:mod:`sim.calibration.emulators`) is a Gaussian process with the kernel
``c * Matern_5/2(r) + noise * I`` (one length scale ``l_k`` per input, ARD) and each training value's
known noise variance ``alpha`` on the diagonal.  Its hyperparameters are fitted by maximising the log
marginal likelihood (Rasmussen and Williams 2006, equations 2.30 and 5.9) with L-BFGS-B from several
starts.  scikit-learn computes the gradient from the kernel's derivative with respect to each
hyperparameter, an ``(n, n, d + 2)`` array, so each evaluation walks ``n^2 (d + 2)`` numbers several times:
at 520 sets and 16 inputs one answer's fit and cross-validation took about 100 s
(``benchmarks/emulators.py``), most of a sensitivity study's reading.

Here the same gradient comes from matrix products.  With ``W = a a^T - K^-1`` (``a = K^-1 y``) the
derivative with respect to ``log l_k`` is ``1/2 sum_ij W_ij g(r_ij) (z_ik - z_jk)^2`` (``z = x / l``,
``g(r) = c 5/3 (1 + sqrt5 r) exp(-sqrt5 r)``), and ``sum_ij G_ij (z_ik - z_jk)^2 = 2 sum_i z_ik^2 (G 1)_i -
2 z_k^T G z_k`` for the symmetric ``G = W o g``: one ``(n, n) x (n, d)`` product for every length scale at
once.  The value and gradient are scikit-learn's (a test holds them to it); only the order of the
arithmetic differs.  :class:`Optimizer` is the L-BFGS-B search scikit-learn runs by default, on this
function: ``GaussianProcessRegressor(optimizer=Optimizer(u, y, alpha))`` keeps everything else of
scikit-learn's fit (the starts, the choice among them, the final factorisation used to predict).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg, optimize
from scipy.spatial.distance import cdist
from threadpoolctl import threadpool_limits

SQRT5 = math.sqrt(5.0)


def negative_log_likelihood(
    theta: np.ndarray, u: np.ndarray, y: np.ndarray, alpha: np.ndarray
) -> tuple[float, np.ndarray]:
    """Minus the log marginal likelihood of ``y`` (n,) at inputs ``u`` (n, d), and minus its gradient.

    ``theta`` is scikit-learn's ``kernel.theta`` for ``ConstantKernel * Matern(nu=2.5, ARD) + WhiteKernel``:
    ``log c``, the ``d`` log length scales, ``log noise``.  ``alpha`` (n,) is added to the diagonal, as
    ``GaussianProcessRegressor(alpha=...)`` does.  Where the covariance is not positive definite the value is
    inf and the gradient 0 (scikit-learn returns a log likelihood of -inf there).
    """
    c, noise = math.exp(theta[0]), math.exp(theta[-1])
    z = u / np.exp(theta[1:-1])
    s5r = SQRT5 * cdist(z, z)
    decay = np.exp(-s5r)
    matern = c * (1.0 + s5r + s5r * s5r / 3.0) * decay  # c * Matern_5/2(r)
    K = matern.copy()
    K[np.diag_indices_from(K)] += noise + alpha
    try:
        L = linalg.cholesky(K, lower=True, check_finite=False)
    except linalg.LinAlgError:
        return math.inf, np.zeros_like(theta)
    factor = (L, True)
    a = linalg.cho_solve(factor, y, check_finite=False)
    n = len(y)
    lml = -0.5 * float(y @ a) - float(np.log(np.diag(L)).sum()) - n / 2 * math.log(2 * math.pi)
    inverse, info = linalg.lapack.dpotri(L, lower=1)  # K^-1 from its factor, in the lower triangle
    if info != 0:
        return math.inf, np.zeros_like(theta)
    inverse = np.tril(inverse) + np.tril(inverse, -1).T
    W = np.outer(a, a) - inverse
    G = W * (c * 5.0 / 3.0 * (1.0 + s5r) * decay)
    zc = z - z.mean(axis=0)  # the differences do not change; centred inputs lose less to rounding
    squares = 2.0 * (zc * zc).T @ G.sum(axis=1) - 2.0 * np.einsum("ik,ik->k", zc, G @ zc)
    gradient = np.concatenate([[0.5 * float(np.sum(W * matern))], 0.5 * squares, [0.5 * noise * float(np.trace(W))]])
    return -lml, -gradient


class Optimizer:
    """scikit-learn's default hyperparameter search (L-BFGS-B from a start, within the bounds) on
    :func:`negative_log_likelihood` of the training data it is given; a ``GaussianProcessRegressor`` optimizer.

    The training data are the regressor's own (the same ``u``, ``y`` and ``alpha`` it is fitted on): scikit-learn
    hands an optimizer only its own, slower, objective.
    """

    def __init__(self, u: np.ndarray, y: np.ndarray, alpha: np.ndarray) -> None:
        self.u = np.asarray(u, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.alpha = np.broadcast_to(np.asarray(alpha, dtype=float), self.y.shape)

    def __call__(self, obj_func, initial_theta: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, float]:
        with threadpool_limits(1, user_api="blas"):  # small matrices: threads cost far more than they save
            result = optimize.minimize(
                negative_log_likelihood,
                initial_theta,
                args=(self.u, self.y, self.alpha),
                method="L-BFGS-B",
                jac=True,
                bounds=bounds,
            )
        return result.x, float(result.fun)
