"""``caresim sensitivity --route emulator``: a study's Sobol indices computed on Gaussian-process emulators.

The same answers, parameters and contrasts as the direct route (:mod:`sim.calibration.sensitivity_study`),
but instead of Morris screening and a Saltelli design run in the model, every parameter is varied over a
nested Sobol' design of ``[sensitivity] emulator_points`` sets (ten per parameter by default), run through the
experiment runner with common random numbers, plus :data:`HELD_OUT` sets of a second design kept back to
check the emulators.  One emulator per answer (a contrast is emulated directly: its value per set is the
difference of the two what-ifs' changes, common random numbers making it smooth) and the indices on it with
their emulator and sampling uncertainty (:mod:`sim.calibration.sobol_emulated`).

Every set runs with the same seeds, so, as in the direct route, an answer is a fixed function of the
parameters and its indices are that function's.  Most of a set's replication noise is then common to every
set: it shifts the function without changing its shape, and moves no index.  So the emulators are not told
each set's replication variance as noise of its own (which would blur the function by far more than the
sets differ); each learns from the design how rough its answer is between sets (its white noise), its
variance is checked by cross-validation on the design and scaled up where too small (the fitted length
scales are uncertain too), and the held-out sets, run with the same seeds, are checked against that.
Answers are flagged prior-driven by the direct route's rule
(:func:`sim.calibration.sensitivity_study.prior_driven`) on the emulated total indices.  The indices are
also computed on the design's first half, so that the table of each answer's widest intervals
(``sobol_emulated_by_points.csv``) shows how fast more sets narrow them; the design is nested, so a study
that asks for more ``emulator_points`` later reuses the runs it has (``--resume``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration.calibrate import Evaluator
from sim.calibration.sensitivity_study import (
    Answer,
    Answers,
    Parameter,
    noise_share,
    prior_driven,
    tidy_by_answer,
)
from sim.calibration.sobol_emulated import (
    BASE_SAMPLE,
    COLUMNS,
    design,
    emulated_sobol,
    held_out_table,
    leave_one_out_table,
    widths_by_points,
)

# Sets run in the model only to check the emulators.  They are what tells whether the noise each emulator learnt
# is right (see the module): 20 per answer tell 95% of them inside their intervals from 80% (assumption).
HELD_OUT = 20
POINTS_PER_PARAMETER = 10  # the design's default size (Loeppky, Sacks and Welch 2009: ten per input)
MIN_HALF = 4  # the fewest sets in the design's first half for the indices on it (an emulator needs 3)
# An emulator whose leave-one-out Q2 is at most this found no signal (a flat emulator predicts the design's mean,
# Q2 0 up to rounding): its answer gets no indices. Assumption: explaining 1% of the variance is no signal.
FLAT_Q2 = 0.01


@dataclass(frozen=True)
class EmulatedAnalysis:
    """What the emulator route found, as tidy tables (one ``answer, scenario, metric`` per row first)."""

    reference: str
    params: list[Parameter]
    answers: list[Answer]
    sobol: pd.DataFrame  # sobol_emulated.csv
    check: pd.DataFrame  # emulator_check.csv: held-out sets, emulated against simulated, with leave-one-out
    by_points: pd.DataFrame  # sobol_emulated_by_points.csv: the widest intervals on half the design and on all of it
    driven: pd.DataFrame  # as the direct route's prior_driven.csv, on the emulated total indices
    no_indices: dict[str, str]  # an answer's label -> why it has no indices
    points: int  # design sets
    held_out: int
    base_sample: int  # N of the Saltelli sample the indices were computed on


def design_points(evaluate: Evaluator, params: list[Parameter]) -> int:
    """The design's size: ``[sensitivity] emulator_points``, or ten per parameter."""
    sens = evaluate.study.sensitivity
    given = sens.emulator_points if sens is not None else None
    return given or POINTS_PER_PARAMETER * len(params)


def _flat(loo: pd.DataFrame) -> dict[str, float]:
    """The outputs whose emulator predicts its design no better than the design's mean (to within
    :data:`FLAT_Q2` of its variance), with their Q2."""
    rows = loo[loo["loo_q2"] <= FLAT_Q2]
    return dict(zip(rows["output"], rows["loo_q2"].astype(float)))


def _without_indices(frame: pd.DataFrame, flat: dict[str, float]) -> pd.DataFrame:
    """``frame`` with the index columns of the ``flat`` outputs emptied (NaN): their ratios of near-zero
    variances are noise, not indices (an emulator that found no signal has realisations of almost no variance)."""
    columns = [c for c in frame.columns if c.startswith(("first_order", "total"))]
    frame = frame.copy()
    frame.loc[frame["output"].isin(list(flat)), columns] = np.nan
    return frame


def _flat_reason(q2: float) -> str:
    return (
        f"its emulator predicts the design's sets no better than their mean (leave-one-out Q2 {q2:.2f}): the "
        "replication noise swamps what the parameters do; more replications or people per set would show it"
    )


def analyse_emulated(
    evaluate: Evaluator, params: list[Parameter], answers: list[Answer], on_phase=None, **sobol_options
) -> EmulatedAnalysis:
    """Run the design and the held-out sets in one batch, fit the emulators, compute the indices on them.

    ``sobol_options`` go to :func:`sim.calibration.sobol_emulated.emulated_sobol` (``n``: by default the
    study's ``[sensitivity] emulator_base_sample``, ``m``, ``resamples``, ``conditioning``, ``executor``: by
    default the runs' own); the seed is the study's.
    """
    s = evaluate.study
    names = [p.name for p in params]
    low, high = np.array([p.low for p in params]), np.array([p.high for p in params])
    points = design_points(evaluate, params)
    X, X_held = design(low, high, points, s.seed), design(low, high, HELD_OUT, s.seed + 1)
    sets = np.vstack([X, X_held])
    answers_of = Answers(evaluate, params, names, answers)
    if on_phase is not None:  # a design grown by --resume: the sets run before count as done
        stored, runs = evaluate.runs_of(answers_of.thetas(sets))
        on_phase("Emulator design", runs, stored)
    Y = answers_of(sets)
    batch = answers_of.batch()
    ses = batch[[a.label + "_se" for a in answers]].to_numpy(dtype=float)
    no_indices = {a.label: answers_of.without_indices(a.label) for a in answers}
    ok = [j for j, a in enumerate(answers) if not no_indices[a.label]]
    labels = [answers[j].label for j in ok]
    frame = pd.DataFrame(columns=["output", "parameter"])
    check = pd.DataFrame(columns=["output"])
    by_points = pd.DataFrame(columns=["output"])
    # the runs' workers (a process pool or a Dask cluster) then read the answers side by side, one task each
    sobol_options.setdefault("executor", getattr(evaluate, "executor", None))
    if "n" not in sobol_options:  # the study's Saltelli sample on the emulators
        sobol_options["n"] = (s.sensitivity.emulator_base_sample if s.sensitivity else None) or BASE_SAMPLE
    if ok and on_phase is not None:
        on_phase("Emulators", len(ok) * (2 if points // 2 >= MIN_HALF else 1), unit="answer")
    if ok:  # the sets share their seeds: no noise is given to the emulators, each learns its own (see the module)
        frame, emulators = emulated_sobol(
            X, Y[:points, ok], 0.0, low, high, names, labels, seed=s.seed, **sobol_options
        )
        loo = leave_one_out_table(emulators, labels)
        flat = _flat(loo)
        frame = _without_indices(frame, flat)
        half = points // 2  # the design's first half is a design of its own (nested)
        if half >= MIN_HALF:
            on_half, half_emulators = emulated_sobol(
                X[:half], Y[:half, ok], 0.0, low, high, names, labels, seed=s.seed, **sobol_options
            )
            on_half = _without_indices(on_half, _flat(leave_one_out_table(half_emulators, labels)))
            by_points = widths_by_points(frame, on_half, points)
            by_points = by_points[~by_points["output"].isin(flat)]
        held = held_out_table(emulators, labels, names, X_held, Y[points:, ok], ses[points:, ok], shared_seeds=True)
        check = held.merge(loo, on="output")
        frame = frame.merge(loo[["output", "loo_q2"]], on="output", how="left")
        no_indices |= {label: _flat_reason(q2) for label, q2 in flat.items()}
    missing = pd.DataFrame(
        [{"output": a.label, "parameter": p} for j, a in enumerate(answers) if j not in ok for p in names]
    )
    frames = [f.reindex(columns=[*COLUMNS, "loo_q2"]) for f in (frame, missing) if len(f)]
    sobol_frame = tidy_by_answer(pd.concat(frames, ignore_index=True), answers)  # no indices: NaN
    reference = answers[0].scenario
    noise = noise_share(batch.iloc[:points], answers, s.replications)
    return EmulatedAnalysis(
        reference,
        params,
        answers,
        sobol_frame,
        tidy_by_answer(check, answers) if len(check) else check,
        tidy_by_answer(by_points, answers) if len(by_points) else by_points,
        prior_driven(sobol_frame, params, answers, noise, reference),
        no_indices,
        points,
        HELD_OUT,
        sobol_options["n"],
    )
