"""History matching with Gaussian-process emulators, then ABC-SMC on what is left: an analytic recovery test.

The model is a smooth, nonlinear map from two parameters to three targets, with replication noise on each
simulated mean (its standard error known, as the study's evaluator reports it); the observed targets are
the map at known values plus measurement noise of one sd.  On the same problem the emulator route must
recover the known values and reach a 90% interval at least as narrow as ABC-SMC alone in the model with at
least 5 times fewer model evaluations, both counted here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.calibration.abc_smc import Prior, abc_smc, weighted_quantile
from sim.calibration.history_matching import (
    CUTOFF,
    NonImplausiblePrior,
    emulated_point,
    emulator_posterior,
    history_match,
    implausibility,
    model_check,
    ranked,
)
from sim.calibration.study import StudyError, load_study

TRUTH = np.array([1.5, -0.5])
SD = np.full(3, 0.3)  # the targets' own standard errors
REPLICATION_SE = 0.1  # the simulated means' replication noise
BOX = Prior(("a", "b"), np.array([-5.0, -5.0]), np.array([5.0, 5.0]))
PARTICLES = 100  # both routes' ABC-SMC
CHECK_DRAWS = 20


def expected(thetas: np.ndarray) -> np.ndarray:
    a, b = thetas[:, 0], thetas[:, 1]
    return np.column_stack([a + b, a - 0.5 * b + 0.1 * a**2, np.sin(a) + 0.8 * b])


OBSERVED = expected(TRUTH[None, :])[0] + SD * np.random.default_rng(0).standard_normal(3)


def model(counted: list[int], seed: int = 42):
    """Simulated means with replication noise, and their standard errors; ``counted`` gets each batch's size."""
    rng = np.random.default_rng(seed)

    def evaluate(thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counted.append(thetas.shape[0])
        n = thetas.shape[0]
        return expected(thetas) + REPLICATION_SE * rng.standard_normal((n, 3)), np.full((n, 3), REPLICATION_SE)

    return evaluate


def widths(particles: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Width of each parameter's equal-tailed 90% interval."""
    return np.array(
        [
            weighted_quantile(particles[:, k], weights, 0.95) - weighted_quantile(particles[:, k], weights, 0.05)
            for k in range(particles.shape[1])
        ]
    )


def match(seed: int = 3, counted: list[int] | None = None):
    return history_match(model([] if counted is None else counted), BOX, OBSERVED, SD, points_per_wave=20, seed=seed)


@pytest.fixture(scope="module")
def emulator_route():
    counted: list[int] = []
    hm = match(counted=counted)
    posterior = emulator_posterior(hm, particles=PARTICLES, seed=3)
    point = emulated_point(hm, posterior.interval(0.9)["mean"].to_numpy())
    check = model_check(model(counted, seed=43), hm, posterior, point, CHECK_DRAWS, seed=3, targets=["x", "y", "z"])
    return hm, posterior, point, check, sum(counted)


@pytest.fixture(scope="module")
def abc_alone():
    """ABC-SMC in the model over the whole box: model evaluations made and 90% widths after each generation."""
    counted: list[int] = []
    progress: list[tuple[int, np.ndarray]] = []
    abc_smc(
        model(counted),
        BOX,
        OBSERVED,
        SD,
        particles=PARTICLES,
        generations=12,
        seed=3,
        on_generation=lambda g: progress.append((sum(counted), widths(g.particles, g.weights))),
    )
    return progress


def test_emulator_route_recovers_the_known_values(emulator_route):
    hm, posterior, point, check, _ = emulator_route
    table = posterior.interval(0.9)
    assert np.all((table["lower"] <= TRUTH) & (TRUTH <= table["upper"]))
    assert np.all(table["shrinkage"] >= 0.8)  # at least 5 times narrower than the prior
    assert np.all(np.abs(point - TRUTH) <= 0.5 * (table["upper"] - table["lower"]).to_numpy())
    # the check in the model: the emulators' best set and most posterior draws are not implausible there, and
    # the point estimate is the one of them nearest the targets in the model
    assert list(check["set"][:2]) == ["emulators' best set", "draw 1"] and len(check) == 1 + CHECK_DRAWS
    assert bool(check["non_implausible"].iloc[0])
    assert check["chosen"].sum() == 1 and check.loc[check["chosen"], "distance"].iloc[0] == check["distance"].min()
    chosen = check.loc[check["chosen"], list(hm.prior.names)].to_numpy(dtype=float)[0]
    assert np.all(np.abs(chosen - TRUTH) <= 0.5 * (table["upper"] - table["lower"]).to_numpy())
    assert check["non_implausible"].iloc[1:].mean() >= 0.9
    assert len(posterior.generations) >= 2 and hm.stop


def test_emulator_route_needs_at_least_5_times_fewer_model_runs(emulator_route, abc_alone):
    _, posterior, _, _, runs = emulator_route
    last = posterior.generations[-1]
    target = widths(last.particles, last.weights)
    reached = [runs_so_far for runs_so_far, w in abc_alone if np.all(w <= target)]
    assert reached, f"ABC-SMC alone did not reach widths {target} in {abc_alone[-1][0]} model evaluations"
    assert 5 * runs <= reached[0], f"emulator route {runs} evaluations, ABC-SMC alone {reached[0]}"


def test_true_point_is_never_ruled_out_and_a_far_point_is(emulator_route):
    hm = emulator_route[0]
    far = np.array([[-4.0, 4.0], [4.5, 4.5]])
    for wave in hm.waves:
        assert hm.measure(TRUTH[None, :], wave)[0] < CUTOFF
    # later waves' emulators are trained inside the space left, so the first wave is the one that rules out far sets
    assert np.all(hm.measure(far, hm.waves[0]) > CUTOFF)
    assert hm.plausible(TRUTH[None, :])[0] and not hm.plausible(far).any()
    fractions = [w.fraction for w in hm.waves]
    assert all(0 < f < 0.2 for f in fractions) and fractions == sorted(fractions, reverse=True)


def test_leave_one_out_errors_are_roughly_standard_normal(emulator_route):
    hm = emulator_route[0]
    errors = np.concatenate([w.loo.ravel() for w in hm.waves])
    assert 0.2 < np.mean(errors**2) < 3.0
    assert np.mean(np.abs(errors) > 3) < 0.05
    table = hm.table()
    assert len(table) == 3 * len(hm.waves)
    assert table["points_total"].iloc[-1] == sum(w.thetas.shape[0] for w in hm.waves)


def test_waves_design_points_inside_the_space_not_yet_ruled_out():
    hm = match()
    for k in range(1, len(hm.waves)):
        earlier = type(hm)(hm.prior, hm.observed, hm.sd, hm.cutoff, hm.rank, hm.waves[:k])
        assert earlier.plausible(hm.waves[k].thetas).all()
    restricted = NonImplausiblePrior(BOX.names, BOX.low, BOX.high, hm)
    draws = restricted.sample(200, np.random.default_rng(1))
    assert draws.shape == (200, 2) and hm.plausible(draws).all()


def test_same_seed_is_identical_and_another_differs():
    a, b, c = match(), match(), match(seed=4)
    assert [w.fraction for w in a.waves] == [w.fraction for w in b.waves]
    assert all(np.array_equal(x.thetas, y.thetas) for x, y in zip(a.waves, b.waves))
    assert not np.array_equal(a.waves[0].thetas, c.waves[0].thetas)


def recorded(counted: list[int]):
    """The toy model, keeping what it gave each set, and a replay of those answers that counts what it is asked."""
    given: dict[tuple[float, ...], tuple[np.ndarray, np.ndarray]] = {}
    inner = model([])

    def evaluate(thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        means, ses = inner(thetas)
        given.update({tuple(t): (m, e) for t, m, e in zip(thetas, means, ses, strict=True)})
        return means, ses

    def replay(thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counted.append(thetas.shape[0])
        found = [given[tuple(t)] for t in thetas]
        return np.array([m for m, _ in found]), np.array([e for _, e in found])

    return evaluate, replay


def test_a_replay_of_the_same_sets_with_the_same_sd_is_the_history_matching_itself():
    asked: list[int] = []
    evaluate, replay = recorded(asked)
    original = history_match(evaluate, BOX, OBSERVED, SD, points_per_wave=20, seed=3)
    designs = [w.thetas for w in original.waves]
    again = history_match(replay, BOX, OBSERVED, SD, points_per_wave=20, seed=3, designs=designs)
    assert asked == [d.shape[0] for d in designs]  # the given sets, wave by wave, and nothing else
    assert [w.fraction for w in again.waves] == [w.fraction for w in original.waves]
    probe = BOX.sample(50, np.random.default_rng(5))
    for a, b in zip(original.waves, again.waves, strict=True):
        assert np.array_equal(a.emulator.predict(probe)[0], b.emulator.predict(probe)[0])


def test_larger_sds_rule_out_no_more_of_the_same_runs():
    evaluate, replay = recorded([])
    first = history_match(evaluate, BOX, OBSERVED, SD, waves=1, points_per_wave=20, seed=3)
    fractions = [
        history_match(replay, BOX, OBSERVED, SD * k, points_per_wave=20, seed=3, designs=[first.waves[0].thetas])
        .waves[0]
        .fraction
        for k in (0.5, 1.0, 2.0)
    ]
    assert fractions[0] < fractions[1] < fractions[2]


def rougher(seed: int = 42):
    """The toy model with a ripple in its first target that 20 sets in the box under-resolve."""
    rng = np.random.default_rng(seed)

    def evaluate(thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ripple = np.sin(3 * thetas[:, 0]) * np.cos(2 * thetas[:, 1])
        means = expected(thetas) + np.column_stack([ripple, 0 * ripple, 0 * ripple])
        return means + REPLICATION_SE * rng.standard_normal(means.shape), np.full(means.shape, REPLICATION_SE)

    return evaluate


def test_cross_validated_waves_scale_the_emulators_variance_and_so_rule_out_less():
    plain = history_match(rougher(), BOX, OBSERVED, SD, waves=1, points_per_wave=20, seed=3)
    designs = [plain.waves[0].thetas]  # the same sets, with the same noise
    checked = history_match(rougher(), BOX, OBSERVED, SD, points_per_wave=20, seed=3, designs=designs, folds=5)
    before, after = plain.waves[0].emulator, checked.waves[0].emulator
    probe = BOX.sample(50, np.random.default_rng(5))
    assert np.array_equal(before.predict(probe)[0], after.predict(probe)[0])  # the same emulated means
    np.testing.assert_allclose(after.predict(probe)[1], after.variance_scale * before.predict(probe)[1])
    table = checked.table()
    assert table["cv_mean_square"].notna().all() and (table["variance_scale"] >= 1).all()
    assert table.loc[0, "variance_scale"] > 1.5  # the rippled target's emulator was too sure of itself
    assert plain.table()["cv_mean_square"].isna().all() and (plain.table()["variance_scale"] == 1).all()
    assert checked.waves[0].fraction > plain.waves[0].fraction  # a wider emulator rules out less


def test_implausibility_by_hand_and_its_ranking():
    i = implausibility(np.array([[1.0, 5.0]]), np.array([[0.5, 0.0]]), np.array([0.0, 1.0]), np.array([1.0, 2.0]), 0.5)
    assert i[0] == pytest.approx([1 / np.sqrt(2.0), 4 / np.sqrt(4.5)])
    # more emulator uncertainty can only lower the implausibility
    assert np.all(implausibility(1.0, 2.0, 0.0, 1.0, 0.0) < implausibility(1.0, 0.0, 0.0, 1.0, 0.0))
    measures = np.array([[1.0, 4.0, 2.0], [3.0, 0.5, 0.1]])
    assert list(ranked(measures, 1)) == [4.0, 3.0] and list(ranked(measures, 2)) == [2.0, 0.5]


def test_abc_smc_stops_once_the_tolerance_stops_falling():
    def run(min_fall: float):
        return abc_smc(model([]), BOX, OBSERVED, SD, particles=50, generations=15, seed=2, min_fall=min_fall)

    full, early = run(0.0), run(0.3)
    assert len(full.generations) == 15 and len(early.generations) < 15
    falls = [1 - b.tolerance / a.tolerance for a, b in zip(early.generations[1:], early.generations[2:])]
    assert all(f >= 0.3 for f in falls[:-1]) and falls[-1] < 0.3
    with pytest.raises(ValueError):
        run(1.0)


ROOT = Path(__file__).resolve().parents[1]


def study(tmp_path: Path, table: str) -> Path:
    baseline = (ROOT / "scenarios" / "baseline.toml").as_posix()
    path = tmp_path / "hm.toml"
    path.write_text(
        f"""name = "hm"
reference = "{baseline}"
[[target]]
name = "crises"
kind = "level"
scenario = "{baseline}"
metric = "crises"
value = 1.0
sd = 0.1
source = "a test"
[[prior]]
parameter = "crisis.lives_alone_hr"
low = 0.5
high = 3.0
reason = "a test"
{table}"""
    )
    return path


def test_study_reads_the_history_matching_table(tmp_path):
    s = load_study(study(tmp_path, "[history_matching]\nwaves = 2\npoints_per_wave = 8\ncutoff = 2.5\n"))
    assert s.history_matching is not None
    assert (s.history_matching.waves, s.history_matching.points_per_wave, s.history_matching.cutoff) == (2, 8, 2.5)
    assert s.history_matching.rank == 1 and load_study(study(tmp_path, "")).history_matching is None
    assert s.history_matching.folds == 0  # the committed fit's way: no cross-validation
    assert load_study(study(tmp_path, "[history_matching]\nfolds = 5\n")).history_matching.folds == 5


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ("[history_matching]\npoint_per_wave = 8\n", ["history_matching.point_per_wave", "points_per_wave"]),
        ("[history_matching]\nrank = 2\n", ["history_matching.rank", "at most 1"]),
        ("[history_matching]\nstop_share = 1.5\n", ["history_matching.stop_share"]),
        ("[history_matching]\nfolds = 1\n", ["history_matching.folds", "at least 2"]),
        ("[history_matching]\nfold = 5\n", ["history_matching.fold", "folds"]),
        ('[history_matching]\ndistance = "sd_and_nois"\n', ["history_matching.distance", "'sd_and_noise'?"]),
        ("[abc]\nmin_fal = 0.1\n", ["abc.min_fal", "abc.min_fall"]),
        ('[abc]\ntarget_noise = "yes"\n', ["abc.target_noise", "true or false", "'yes'"]),
        ("[history_matching]\ntarget_noise = 1\n", ["history_matching.target_noise", "true or false"]),
        ("[abc]\ntarget_nois = true\n", ["abc.target_nois", "abc.target_noise"]),
    ],
)
def test_bad_history_matching_tables_name_the_key_and_the_file(tmp_path, table, words):
    path = study(tmp_path, table)
    with pytest.raises(StudyError) as e:
        load_study(path)
    message = str(e.value)
    assert "\n" not in message and path.name in message
    assert all(w in message for w in words), message


def small_study(
    tmp_path: Path, crises: float, ae: float, folds: int = 0, distance: str = "sd", target_noise: bool = True
) -> Path:
    """Two targets of the model at a tiny place, two parameters, a short emulator route."""
    baseline = (ROOT / "scenarios" / "baseline.toml").as_posix()
    targets = "".join(
        f"""
[[target]]
name = "{name}"
kind = "level"
scenario = "{baseline}"
metric = "{metric}"
per_1000_person_years = true
value = {value!r}
sd = 40.0
source = "a test"
sd_source = "{sd_source}"
"""
        for name, metric, value, sd_source in (
            ("crises", "crises", crises, "assumed: a test"),
            ("ae", "ae_attendances", ae, "a test's published interval"),
        )
    )
    path = tmp_path / "small.toml"
    path.write_text(
        f"""name = "small"
reference = "{baseline}"
replications = 2
population = 2000
horizon_days = 120
warmup_days = 30
budget_runs = 200
[history_matching]
waves = 2
points_per_wave = 6
check_draws = 3
particles = 100
folds = {folds}
distance = "{distance}"
target_noise = {str(target_noise).lower()}
{targets}
[[prior]]
parameter = "crisis.lives_alone_hr"
low = 0.5
high = 3.0
reason = "a test"

[[prior]]
parameter = "routing.gp_refers_to_ae"
low = 0.0
high = 1.0
reason = "a test"
"""
    )
    return path


@pytest.mark.timeout(600)
def test_calibrate_by_the_emulator_route_writes_its_files(tmp_path, capsys):
    import pandas as pd

    from sim.cli.main import main

    out = tmp_path / "fit"
    study_file = small_study(tmp_path, 820.0, 650.0, folds=3, distance="sd_and_noise", target_noise=False)
    args = ["calibrate", str(study_file), "--route", "emulator", "--workers", "1"]
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    waves = pd.read_csv(out / "waves.csv")
    assert list(waves.columns[:3]) == ["wave", "target", "target_name"]
    assert {"non_implausible_fraction", "loo_mean_square", "emulator_variance_ratio"} <= set(waves.columns)
    assert waves["cv_mean_square"].notna().all() and (waves["variance_scale"] >= 1).all()  # folds = 3
    fitted = json.loads((out / "fitted.json").read_text())["history_matching"]
    assert (fitted["folds"], fitted["distance"], fitted["target_noise"]) == (3, "sd_and_noise", False)
    sets = int(waves["points_total"].iloc[-1]) + 1 + 3  # the waves, the point estimate and 3 draws
    assert f"{sets} parameter sets run in the model" in printed and f"{2 * sets} runs now" in printed
    check = pd.read_csv(out / "posterior_check.csv")
    assert len(check) == 4 and {"crises", "ae", "implausibility", "non_implausible"} <= set(check.columns)
    retained = pd.read_csv(out / "non_implausible.csv")
    assert np.all(retained["implausibility"] <= CUTOFF)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "History matching" in report and "checked by 3-fold cross-validation" in report
    assert "own sd, as ABC-SMC alone compares by default" in report
    assert "over its sd and replication noise" in report
    # the same fit with the assumed sd (crises') halved and doubled, on its own runs
    assert main(["calibrate", args[1], "--sd-sensitivity", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "no model run" in printed and "sd-sensitive:" in printed
    varied = pd.read_csv(out / "sd_sensitivity.csv")
    assert sorted(set(varied["scale"])) == [0.5, 1.0, 2.0] and set(varied["parameter"]) == {
        "crisis.lives_alone_hr",
        "routing.gp_refers_to_ae",
    }
    own = varied[varied["scale"] == 1.0]
    assert (own["point_set"] == check.loc[check["chosen"], "set"].iloc[0]).all()
    assert own["non_implausible_fraction"].iloc[0] == waves["non_implausible_fraction"].iloc[-1]
    assert (own["mean_shift"] == 0).all()
    sds = pd.read_csv(out / "sd_sensitivity_targets.csv").set_index(["scale", "target"])["sd"]
    assert sds[(0.5, "crises")] == 20.0 and sds[(2.0, "crises")] == 80.0  # assumed: varied
    assert sds[(0.5, "ae")] == sds[(2.0, "ae")] == 40.0  # published: kept
    assert (out / "report.html").read_text(encoding="utf-8").count("<h2>Standard errors assumed") == 1
    # targets the model cannot reach: every set is ruled out, a one-line error, exit 1
    unreachable = small_study(tmp_path, 5000.0, 5000.0)
    assert (
        main(["calibrate", str(unreachable), "--route", "emulator", "--workers", "1", "--out", str(tmp_path / "no")])
        == 1
    )
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("caresim: error: ") and "rules out every parameter set" in error


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--sd-sensitivity", "--sd-scales", "0,2"], "every factor on the sds must be positive"),
        (["--sd-sensitivity", "--sd-scales", "half"], "give positive factors separated by commas"),
        (["--sd-scales", "0.5,2"], "--sd-scales goes with --sd-sensitivity"),
        (["--sd-sensitivity", "--check"], "--check and --sd-sensitivity are two jobs"),
        (["--sd-sensitivity", "--population", "20000"], "--population: --sd-sensitivity makes no run"),
        (["--sd-sensitivity"], "run caresim calibrate FILE --route emulator first"),
    ],
)
def test_bad_sd_sensitivity_requests_are_one_line_errors(tmp_path, capsys, flags, words):
    from sim.cli.main import main

    study = small_study(tmp_path, 820.0, 650.0)
    assert main(["calibrate", str(study), *flags, "--out", str(tmp_path / "fit")]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "error:" in error and words in error


def test_sd_sensitivity_needs_a_fit_by_the_emulator_route(tmp_path, capsys):
    from sim.cli.main import main

    folder = tmp_path / "fit"
    folder.mkdir()
    (folder / "fitted.json").write_text('{"route": "abc"}', encoding="utf-8")
    study = small_study(tmp_path, 820.0, 650.0)
    assert main(["calibrate", str(study), "--sd-sensitivity", "--out", str(folder)]) == 2
    assert "not a fit by the emulator route" in capsys.readouterr().err


def test_a_section_put_into_the_fit_report_replaces_its_own_and_leaves_the_others(tmp_path):
    from markupsafe import Markup

    from sim.calibration.fit_check import add_to_report

    report = tmp_path / "report.html"
    report.write_text("<body><h2>Targets</h2>t<h2>Charts</h2>c</body>", encoding="utf-8")
    add_to_report(report, Markup("<h2>Check: one</h2>1"))
    add_to_report(report, Markup("<h2>Standard errors assumed: a</h2>a"), heading="<h2>Standard errors assumed")
    add_to_report(report, Markup("<h2>Check: two</h2>2"))
    add_to_report(report, Markup("<h2>Standard errors assumed: b</h2>b"), heading="<h2>Standard errors assumed")
    html = report.read_text(encoding="utf-8")
    assert html == (
        "<body><h2>Targets</h2>t<h2>Check: two</h2>2<h2>Standard errors assumed: b</h2>b<h2>Charts</h2>c</body>"
    )
