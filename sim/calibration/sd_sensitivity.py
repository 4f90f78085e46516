"""How much a fit rests on the standard errors it assumes for its targets.

Where a publication gives no interval, a study states the target's ``sd`` as an assumption
(``sd_source = "assumed: ..."``).  Those sds weigh the targets against each other and set how far the
fit may sit from them, so a modeller must see what other sds would have given.

Each assumed sd is multiplied by each factor in ``scales`` (by default a half and twice; published sds
are kept) and the emulator route's fit is redone on the runs it already made, with no model run:

1. **Waves.**  The same sets, wave by wave (:func:`~sim.calibration.history_matching.history_match`
   with ``designs``): each wave's emulators are refitted on the sets that the earlier waves leave under
   the new sds, and the cut and the stopping rules are applied with them.  Under other sds the second
   wave would have chosen other sets inside another space; the replay judges the same runs anew, which is
   what can be known without running the model again.
2. **Posterior.**  ABC-SMC on the last wave's emulators, with the study's settings and seed.
3. **Point estimate.**  The set nearest the targets among those the fit checked in the model
   (``posterior_check.csv``), its distance taken with the new sds.
4. **Check.**  Each target's z in the committed check (``check/check.csv``), with the new sds.

At the factor 1 the replay is the fit itself, and is shown beside the others so that every difference is
the sds' alone.  A parameter is *sd-sensitive* when, at some factor, its posterior mean moves by more than
``SHIFT`` of its prior's width or another checked set is chosen as the point estimate.  Where the waves rule
out every set, the targets cannot be met together with those sds: that factor has no posterior.

Writes ``sd_sensitivity.csv`` (per factor and parameter) and ``sd_sensitivity_targets.csv`` (per factor and
target) into the fit's folder: ``caresim calibrate FILE --sd-sensitivity``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup

from sim.calibration.calibrate import pooled_standard_error
from sim.calibration.history_matching import NothingPlausible, implausibility, study_match, study_posterior
from sim.calibration.study import Study
from sim.reports.sections import fragment, table

SCALES = (0.5, 2.0)  # the factors on the assumed sds: half and twice
SHIFT = 0.1  # a posterior mean moving by more than this share of its prior's width is sd-sensitive
ASSUMED = "assumed"  # how an sd_source that states an assumption begins


class SdSensitivityError(ValueError):
    """The fit cannot be redone with other sds (no emulator-route fit in the folder, or its files disagree)."""


@dataclass(frozen=True)
class SdSensitivity:
    """The fit redone with each factor on the assumed sds (:func:`sd_sensitivity`)."""

    parameters: pd.DataFrame  # sd_sensitivity.csv
    targets: pd.DataFrame  # sd_sensitivity_targets.csv
    sensitive: tuple[str, ...]  # the parameters that are sd-sensitive


def assumed(study: Study) -> np.ndarray:
    """Whether each fitted target's sd is an assumption rather than a published interval."""
    return np.array([t.sd_source.strip().lower().startswith(ASSUMED) for t in study.targets if t.fit])


def scaled_sd(study: Study, scale: float) -> np.ndarray:
    """The fitted targets' sds with every assumed one multiplied by ``scale``."""
    sd = study.sd[study.fitted].astype(float)
    return np.where(assumed(study), sd * scale, sd)


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        raise SdSensitivityError(f"{path.as_posix()}: missing; run caresim calibrate FILE --route emulator first")
    return pd.read_csv(path)


@dataclass(frozen=True)
class FitRuns:
    """The runs of an emulator-route fit, read from its folder."""

    designs: list[np.ndarray]  # the sets of each wave, in order
    lookup: dict[tuple[float, ...], tuple[np.ndarray, np.ndarray]]  # set -> fitted targets' means and ses
    checked: pd.DataFrame  # posterior_check.csv's sets, with means and ses of the fitted targets
    pooled_se: np.ndarray  # per fitted target, the median standard error over every set the fit ran, corrected


def _key(theta: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in np.round(np.asarray(theta, dtype=float), 12))


def fit_runs(study: Study, folder: Path) -> FitRuns:
    """The waves' sets and every set's simulated targets, from ``evaluations.csv`` (the sets in the order they
    were run), ``waves.csv`` (how many each wave ran) and ``posterior_check.csv`` (the sets checked after)."""
    path = folder / "fitted.json"
    if not path.is_file():
        raise SdSensitivityError(f"{path.as_posix()}: no fit; run caresim calibrate FILE --route emulator first")
    if json.loads(path.read_text(encoding="utf-8")).get("route") != "emulator":
        raise SdSensitivityError(
            f"{path.as_posix()}: not a fit by the emulator route; the sds can only be varied "
            "on a history matching's runs (caresim calibrate FILE --route emulator)"
        )
    evaluations, waves, checked = (_read(folder, n) for n in ("evaluations.csv", "waves.csv", "posterior_check.csv"))
    names = list(study.names)
    targets = [t.name for t in study.targets if t.fit]
    missing = [c for c in names + targets + [f"{t}_se" for t in targets] if c not in evaluations.columns]
    if missing:
        raise SdSensitivityError(f"{(folder / 'evaluations.csv').as_posix()}: no column {missing[0]!r} of this study")
    sizes = waves.groupby("wave")["points_run"].first().sort_index().to_numpy(dtype=int)
    x = evaluations[names].to_numpy(dtype=float)
    if sizes.sum() > len(x):
        raise SdSensitivityError(f"{(folder / 'waves.csv').as_posix()}: more sets than evaluations.csv holds")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    designs = [x[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    means = evaluations[targets].to_numpy(dtype=float)
    ses = evaluations[[f"{t}_se" for t in targets]].to_numpy(dtype=float)
    lookup = {_key(x[i]): (means[i], ses[i]) for i in range(len(x))}
    rows = []
    for label, theta in zip(checked["set"], checked[names].to_numpy(dtype=float), strict=True):
        found = lookup.get(_key(theta))
        if found is None:
            raise SdSensitivityError(
                f"{(folder / 'posterior_check.csv').as_posix()}: the set {label!r} is not in evaluations.csv"
            )
        rows.append({"set": label, **dict(zip(names, theta, strict=True)), "means": found[0], "ses": found[1]})
    return FitRuns(designs, lookup, pd.DataFrame(rows), pooled_standard_error(ses, study.replications))


def _replayed(runs: FitRuns, replications: int):
    """The fit's runs as its evaluator gives them: each set's means, and per target the median standard error
    over every set evaluated so far, corrected for the median's bias (:class:`~sim.calibration.calibrate.Evaluator`)."""
    seen: list[np.ndarray] = []

    def evaluate(thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found = [runs.lookup[_key(t)] for t in thetas]
        seen.extend(s for _, s in found)
        pooled = pooled_standard_error(np.vstack(seen), replications)
        return np.array([m for m, _ in found]), np.broadcast_to(pooled, (len(found), pooled.size)).copy()

    return evaluate


def refit(study: Study, runs: FitRuns, sd: np.ndarray):
    """The waves and the posterior on the same runs with ``sd``; ``(None, None)`` when the waves leave nothing."""
    try:
        match = study_match(_replayed(runs, study.replications), study, sd, designs=runs.designs)
    except NothingPlausible:
        return None, None
    return match, study_posterior(match, study)


def chosen(runs: FitRuns, observed: np.ndarray, sd: np.ndarray) -> tuple[str, float]:
    """The checked set nearest the targets in the model with ``sd``: the point estimate's rule
    (:func:`~sim.calibration.history_matching.model_check`), and its distance."""
    means = np.vstack(runs.checked["means"].to_numpy())
    ses = np.broadcast_to(runs.pooled_se, means.shape)
    distance = (np.nan_to_num(implausibility(means, 0.0, observed, sd, ses**2), nan=np.inf) ** 2).sum(axis=1)
    k = int(np.argmin(distance))
    return str(runs.checked["set"].iloc[k]), float(distance[k])


def sd_sensitivity(study: Study, folder: Path, scales: tuple[float, ...] = SCALES) -> SdSensitivity:
    """Redo the emulator-route fit in ``folder`` with each factor in ``scales`` on the assumed sds (and 1, the
    fit itself), without a model run; the module's docstring says how."""
    if not scales or any(not np.isfinite(s) or s <= 0 for s in scales):
        raise SdSensitivityError(f"the factors on the sds must be positive numbers, not {list(scales)}")
    if not assumed(study).any():
        raise SdSensitivityError(f"{study.path.as_posix()}: no fitted target's sd is assumed; there is nothing to vary")
    runs = fit_runs(study, folder)
    observed = study.observed[study.fitted]
    check = folder / "check" / "check.csv"
    checked = pd.read_csv(check) if check.is_file() else None
    names = list(study.names)
    width = study.high - study.low
    is_assumed = assumed(study)
    parameter_rows, target_rows = [], []
    for scale in sorted({1.0, *map(float, scales)}):
        sd = scaled_sd(study, scale)
        match, posterior = refit(study, runs, sd)
        point_set, point_distance = chosen(runs, observed, sd)
        point = runs.checked.loc[runs.checked["set"] == point_set, names].to_numpy(dtype=float)[0]
        fraction = match.waves[-1].fraction if match is not None else 0.0
        interval = posterior.interval(0.9) if posterior is not None else None
        for k, name in enumerate(names):
            parameter_rows.append(
                {
                    "scale": scale,
                    "parameter": name,
                    "mean": interval.loc[name, "mean"] if interval is not None else np.nan,
                    "lower": interval.loc[name, "lower"] if interval is not None else np.nan,
                    "upper": interval.loc[name, "upper"] if interval is not None else np.nan,
                    "prior_width": float(width[k]),
                    "point_estimate": float(point[k]),
                    "point_set": point_set,
                    "point_distance": point_distance,
                    "waves": len(match.waves) if match is not None else 0,
                    "non_implausible_fraction": fraction,
                }
            )
        for j, t in enumerate(t for t in study.targets if t.fit):
            row = {
                "scale": scale,
                "target": t.name,
                "observed": t.value,
                "sd": float(sd[j]),
                "assumed": bool(is_assumed[j]),
            }
            if checked is not None and t.name in set(checked["target"]):
                c = checked.set_index("target").loc[t.name]
                z = (float(c["simulated"]) - t.value) / float(np.hypot(sd[j], float(c["simulated_se"])))
                row.update({"check_simulated": float(c["simulated"]), "check_z": z, "check_within_2se": abs(z) <= 2})
            target_rows.append(row)
    parameters = _flag(pd.DataFrame(parameter_rows))
    sensitive = tuple(parameters.loc[parameters["sd_sensitive"], "parameter"].unique())
    return SdSensitivity(parameters, pd.DataFrame(target_rows), sensitive)


def _flag(frame: pd.DataFrame) -> pd.DataFrame:
    """Add each factor's shift of the posterior mean and width against the fit's (in prior widths and as a ratio),
    and ``sd_sensitive`` on every row of a parameter whose mean moves by more than ``SHIFT`` or whose point
    estimate changes at some factor.  A factor whose waves rule out every set has no posterior to compare (its
    rows are empty, ``waves`` 0): that is said of the study, not of a parameter."""
    own = frame[frame["scale"] == 1.0].set_index("parameter")
    base = own.loc[frame["parameter"]]
    frame = frame.copy()
    frame["mean_shift"] = (frame["mean"].to_numpy() - base["mean"].to_numpy()) / frame["prior_width"].to_numpy()
    frame["width_ratio"] = (frame["upper"] - frame["lower"]).to_numpy() / (base["upper"] - base["lower"]).to_numpy()
    moved = frame["mean_shift"].abs() > SHIFT
    moved |= frame["point_set"].to_numpy() != base["point_set"].to_numpy()
    frame["sd_sensitive"] = frame["parameter"].map(moved.groupby(frame["parameter"]).any())
    return frame


def write(result: SdSensitivity, folder: Path) -> list[Path]:
    """``sd_sensitivity.csv`` and ``sd_sensitivity_targets.csv`` in ``folder``."""
    paths = [folder / "sd_sensitivity.csv", folder / "sd_sensitivity_targets.csv"]
    result.parameters.to_csv(paths[0], index=False)
    result.targets.to_csv(paths[1], index=False)
    return paths


def summary(p: pd.DataFrame, t: pd.DataFrame) -> pd.DataFrame:
    """Per factor, from ``sd_sensitivity.csv`` (``p``) and ``sd_sensitivity_targets.csv`` (``t``): the waves run,
    the share of the box not ruled out (waves 0: every set ruled out), the point estimate, and how many fitted
    targets the check holds within two sds with it (``None`` without a check)."""
    rows = []
    for scale, group in p.groupby("scale"):
        first = group.iloc[0]
        held = t.loc[t["scale"] == scale, "check_within_2se"] if "check_within_2se" in t else None
        rows.append(
            {
                "scale": scale,
                "waves": int(first["waves"]),
                "non_implausible_fraction": first["non_implausible_fraction"],
                "point_set": first["point_set"],
                "check_held": None if held is None else int(held.sum()),
                "check_targets": None if held is None else len(held),
            }
        )
    return pd.DataFrame(rows)


def report_html(result: SdSensitivity, command: str) -> Markup:
    """The fit report's section (template ``sd_sensitivity.html``): per factor, what is left and the point estimate;
    per factor other than 1 and parameter, the posterior's shift and width against the fit's."""
    p = result.parameters
    factors = [
        [
            f"x{r.scale:g}",
            f"{r.non_implausible_fraction:.3%}" if r.waves else "none: every set ruled out",
            r.point_set,
            "n/a" if r.check_held is None else f"{r.check_held} of {r.check_targets}",
        ]
        for r in summary(result.parameters, result.targets).itertuples()
    ]
    rows = [
        [
            f"x{r.scale:g}",
            r.parameter,
            f"{r.mean:.3g}",
            f"{r.lower:.3g} to {r.upper:.3g}",
            f"{r.mean_shift:+.2f}",
            f"{r.width_ratio:.2f}",
        ]
        for r in p.itertuples()
        if r.scale != 1 and r.mean == r.mean  # a factor with a posterior (NaN: none)
    ]
    return fragment(
        "sd_sensitivity.html",
        shift=f"{SHIFT:g}",
        command=command,
        sensitive=", ".join(result.sensitive) or "none",
        summary=table(["assumed sds", "prior box not ruled out", "point estimate", "check within 2 sds"], factors),
        parameters=table(
            ["assumed sds", "parameter", "posterior mean", "90% interval", "mean's shift (prior widths)", "width x"],
            rows,
        ),
    )
