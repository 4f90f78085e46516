"""``caresim sensitivity --route emulator``: a study's Sobol indices computed on Gaussian-process emulators.

The same answers, parameters and contrasts as the direct route (:mod:`sim.calibration.sensitivity_study`),
but instead of Morris screening and a Saltelli design run in the model, every parameter is varied over a
Latin hypercube of ``[sensitivity] emulator_points`` sets (ten per parameter by default), run through the
experiment runner with common random numbers, plus :data:`HELD_OUT` sets of a second hypercube kept back to
check the emulators.  One emulator per answer (a contrast is emulated directly: its value per set is the
difference of the two what-ifs' changes, common random numbers making it smooth) and the indices on it with
their emulator and sampling uncertainty (:mod:`sim.calibration.sobol_emulated`).  Answers are flagged
prior-driven by the direct route's rule (:func:`sim.calibration.sensitivity_study.prior_driven`) on the
emulated total indices.
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
from sim.calibration.sobol_emulated import COLUMNS, design, emulated_sobol, held_out_table, leave_one_out_table

HELD_OUT = 5  # sets run in the model only to check the emulators; assumption: a few, as the check is per answer
POINTS_PER_PARAMETER = 10  # the design's default size (Loeppky, Sacks and Welch 2009: ten per input)


@dataclass(frozen=True)
class EmulatedAnalysis:
    """What the emulator route found, as tidy tables (one ``answer, scenario, metric`` per row first)."""

    reference: str
    params: list[Parameter]
    answers: list[Answer]
    sobol: pd.DataFrame  # sobol_emulated.csv
    check: pd.DataFrame  # emulator_check.csv: held-out sets, emulated against simulated, with leave-one-out
    driven: pd.DataFrame  # as the direct route's prior_driven.csv, on the emulated total indices
    no_indices: dict[str, str]  # an answer's label -> why it has no indices
    points: int  # design sets
    held_out: int


def design_points(evaluate: Evaluator, params: list[Parameter]) -> int:
    """The design's size: ``[sensitivity] emulator_points``, or ten per parameter."""
    sens = evaluate.study.sensitivity
    given = sens.emulator_points if sens is not None else None
    return given or POINTS_PER_PARAMETER * len(params)


def analyse_emulated(
    evaluate: Evaluator, params: list[Parameter], answers: list[Answer], on_phase=None, **sobol_options
) -> EmulatedAnalysis:
    """Run the design and the held-out sets in one batch, fit the emulators, compute the indices on them.

    ``sobol_options`` go to :func:`sim.calibration.sobol_emulated.emulated_sobol` (``n``, ``m``,
    ``resamples``, ``conditioning``); the seed is the study's.
    """
    s = evaluate.study
    names = [p.name for p in params]
    low, high = np.array([p.low for p in params]), np.array([p.high for p in params])
    points = design_points(evaluate, params)
    X, X_held = design(low, high, points, s.seed), design(low, high, HELD_OUT, s.seed + 1)
    if on_phase is not None:
        on_phase("Emulator design", (points + HELD_OUT) * s.runs_per_point)
    answers_of = Answers(evaluate, params, names, answers)
    Y = answers_of(np.vstack([X, X_held]))
    batch = answers_of.batch()
    ses = batch[[a.label + "_se" for a in answers]].to_numpy(dtype=float)
    no_indices = {a.label: answers_of.without_indices(a.label) for a in answers}
    ok = [j for j, a in enumerate(answers) if not no_indices[a.label]]
    labels = [answers[j].label for j in ok]
    frame = pd.DataFrame(columns=["output", "parameter"])
    check = pd.DataFrame(columns=["output"])
    if ok:
        frame, emulators = emulated_sobol(
            X, Y[:points, ok], ses[:points, ok], low, high, names, labels, seed=s.seed, **sobol_options
        )
        held = held_out_table(emulators, labels, names, X_held, Y[points:, ok], ses[points:, ok])
        loo = leave_one_out_table(emulators, labels)
        check = held.merge(loo, on="output")
        frame = frame.merge(loo[["output", "loo_q2"]], on="output", how="left")
    missing = pd.DataFrame([{"output": a.label, "parameter": p} for a in answers if no_indices[a.label] for p in names])
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
        prior_driven(sobol_frame, params, answers, noise, reference),
        no_indices,
        points,
        HELD_OUT,
    )
