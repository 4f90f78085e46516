"""Deprivation: what a person's fifth of the Index of Multiple Deprivation changes, normalised over the place.

Each person of the simulated cohort has an IMD fifth (quintile 1 the most deprived, 5 the least), drawn
at entry from the place's profile (``deprivation.shares``) with one uniform of the person's own stream
``imd``; no other draw moves.  The fifth multiplies the person's persistent crisis risk and their hazard
of dying outside hospital, and shifts the frailty they enter with.  Every gradient is normalised over the
place's profile, so the calibrated baseline keeps its totals in expectation:

- hazard ratios (:func:`normalised`): each ratio divided by the profile-weighted mean, so the mean
  multiplier over the profile is 1;
- frailty (:func:`frailty_shares`): a proportional-odds shift of a band's frailty shares by the fifth's
  odds ratio, with each cut-point's intercept solved (``scipy.optimize.brentq``) so that the profile's
  mix of the fifths keeps the band's shares;
- frailty's steps (:data:`STEP_EXPONENT`): with the same steps up and down for everyone, the gradient
  drawn at entry would fade within a few years (in the 75-84 band the odds ratio of frailty between the
  most and least deprived fifths falls from 1.8 to about 1.4 in three years and 1.1 in ten), although
  cross-sectional gradients persist at every age; so a fifth's hazard of a step up is multiplied by its
  odds ratio to the power 1/4 and its hazard of a step down divided by it (each normalised), which
  holds the odds ratio near the drawn one in the steps' chain (1.7 to 1.8 over 30 years in each band);
- persistent risk (:func:`own_sigma`): the crisis multiplier is part of the person's persistent risk, whose
  spread was calibrated to the persistence of admissions; the person's own part narrows so that the
  spread over the profile stays the calibrated one.

A flat gradient (every ratio the same, any level) is no gradient: the multipliers are exactly 1 and the
frailty shares exactly the band's, so the numbers drawn are those of a run without deprivation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.optimize import brentq
from scipy.special import expit

from sim.parameters.params import Params

FIFTHS = 5  # IMD quintiles, 1 (most deprived) to 5 (least deprived)
STEP_EXPONENT = 0.25  # frailty's steps up (down) in a fifth: times (over) its odds ratio to this power
_FAR = 60.0  # a logit beyond any frailty share that is not 0 or 1 (expit(60) is 1 - 9e-27)


def normalised(ratios: Sequence[float], profile: Sequence[float]) -> tuple[float, ...]:
    """Each fifth's multiplier: its ratio over the profile-weighted mean ratio; exactly 1 for a flat gradient."""
    if len(set(ratios)) == 1:
        return (1.0,) * len(ratios)
    mean = sum(w * r for w, r in zip(profile, ratios))
    return tuple(r / mean for r in ratios)


def frailty_shares(
    shares: Sequence[float], odds_ratios: Sequence[float], profile: Sequence[float]
) -> tuple[tuple[float, ...], ...]:
    """One band's frailty shares (fit, mild, moderate, severe) in each fifth, their mix over ``profile`` the band's.

    Proportional odds: in fifth q, P(level >= k) = expit(x_k + log(odds_ratios[q])), where x_k solves
    sum_q profile[q] * expit(x_k + log(odds_ratios[q])) = P(level >= k) of the band.  A flat gradient gives
    the band's shares, unchanged, to every fifth.
    """
    shares = tuple(float(s) for s in shares)
    if len(set(odds_ratios)) == 1:
        return (shares,) * len(odds_ratios)
    logs = [math.log(r) for r in odds_ratios]
    spread = max(logs) - min(logs)
    above = [1.0] + [sum(shares[k:]) for k in range(1, len(shares))]  # P(level >= k), k = 0 .. levels-1
    cuts: list[list[float]] = []
    for k, target in enumerate(above):
        if k == 0 or target >= 1.0:
            cuts.append([1.0] * len(logs))
        elif target <= 0.0:
            cuts.append([0.0] * len(logs))
        else:

            def mix(x: float, target: float = target) -> float:
                return sum(w * float(expit(x + b)) for w, b in zip(profile, logs)) - target

            x = brentq(mix, -_FAR - spread, _FAR + spread, xtol=1e-14, rtol=1e-15)
            cuts.append([float(expit(x + b)) for b in logs])
    cuts.append([0.0] * len(logs))
    return tuple(tuple(max(cuts[k][q] - cuts[k + 1][q], 0.0) for k in range(len(shares))) for q in range(len(logs)))


def own_sigma(sigma: float, g: Gradients | None) -> float:
    """The log-sd of a person's own persistent risk (``people.persistent_risk_sd``'s log-normal) beside their
    fifth's crisis multiplier: the log-variance of persistent risk over the profile stays ``sigma**2``.

    ``persistent_risk_sd`` was calibrated to the persistence of admissions (calibration/baseline.md) before
    people had a fifth; the fifth's crisis ratio is persistent too, so its share of the variance is taken from
    the person's own part (to 0 at most).  Exactly ``sigma`` without a gradient.
    """
    if g is None:
        return sigma
    logs = [(w, math.log(m)) for w, m in zip(g.profile, g.crisis) if w > 0 and m > 0]
    total = sum(w for w, _ in logs)
    if total <= 0:
        return sigma
    mean = sum(w * x for w, x in logs) / total
    var = sum(w * (x - mean) ** 2 for w, x in logs) / total
    if var == 0:
        return sigma
    return math.sqrt(max(sigma * sigma - var, 0.0))


@dataclass(frozen=True)
class Gradients:
    """What each fifth means for a person (index 0 is fifth 1): the draws' shares and the hazards' multipliers."""

    profile: tuple[float, ...]  # share of people in each fifth
    crisis: tuple[float, ...]  # multiplier on persistent crisis risk
    death: tuple[float, ...]  # multiplier on the hazard of dying outside hospital
    frailty: tuple[tuple[tuple[float, ...], ...], ...]  # [band][fifth]: frailty shares at entry
    frailty_up: tuple[float, ...]  # multiplier on the hazard of a step up in frailty
    frailty_down: tuple[float, ...]  # multiplier on the hazard of a step down (recovery)


def gradients(p: Params) -> Gradients | None:
    """The place's deprivation gradients, or None where deprivation is off."""
    d, pe = p.deprivation, p.people
    if not d.enabled:
        return None
    bands = (pe.frailty_under65_complex, pe.frailty_65_74, pe.frailty_75_84, pe.frailty_85plus)
    return Gradients(
        profile=tuple(d.shares),
        crisis=normalised(d.crisis_hr, d.shares),
        death=normalised(d.death_hr, d.shares),
        frailty=tuple(frailty_shares(band, d.frailty_or, d.shares) for band in bands),
        frailty_up=normalised([r**STEP_EXPONENT for r in d.frailty_or], d.shares),
        frailty_down=normalised([r**-STEP_EXPONENT for r in d.frailty_or], d.shares),
    )
