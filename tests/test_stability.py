"""Overload said in words: the trend test on weekly queues (:mod:`sim.analysis.stability`) and where it shows.

The test is checked against M/M/c queues: one built from the model's own ``CapacityPool`` in SimPy, fed faster
than it serves, must be flagged; exact birth-death M/M/c queues started in their stationary state, at 80-90% load,
must rarely be (while a plain Mann-Kendall test on the same autocorrelated samples flags many).  Then a small place
with its acute beds cut to a third gridlocks against the baseline: ``comparison.csv`` and ``summary.csv`` mark it
``unstable``, and the terminal, the report and the what-if page name the service, its growth per week and that
figures depend on the run's length, and call no change clear.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import simpy
from scipy import special
from scipy import stats as sps

from sim.analysis import stability
from sim.app import runs
from sim.cli.main import main
from sim.core.services import CapacityPool
from sim.outcomes import registry

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
WEEK = 7.0
WINDOW = 730.0  # days: the default statistics window
SEEDS = 60  # stationary queues per configuration
# A small place that runs in seconds; a warm-up of a year lets the elective waiting list settle.
PLACE = ["--population", "10000", "--horizon-days", "182", "--warmup-days", "365", "--reps", "2", "--seed", "1"]
BEDS_CUT = """
name = "beds_cut"
description = "The acute beds cut to a third: planned admissions wait for beds that never come free."
extends = "baseline"

[acute]
beds_per_100k = 60.0
"""
# the queue that grows without end when beds are cut (since 0.7.0 the A&E queue cannot: a wait there ends
# with the admission's course, tests/test_waiting_deaths.py)
GROWING = "elective_waiting_list"
A_AND_E = registry.QUEUE_SERIES[GROWING]
CLEARLY = re.compile(r"(fell|rose) clearly|clear change|Clear changes")


# --- queues with known behaviour ------------------------------------------------------------------


def pool_queue(c: int, service_days: float, load: float, seed: int, warmup: float = 365.0) -> pd.DataFrame:
    """An M/M/c queue of the model's ``CapacityPool`` in SimPy, sampled weekly over the window as a run's series.

    Customers arrive at rate ``load * c / service_days`` and wait with ``yield from pool.take()`` as the
    pathways do; the queue and the units in use are recorded as ``social_workers_queue`` and
    ``social_workers_in_use`` (one of the model's queues, so that the service's size is read as in a run).
    """
    env = simpy.Environment()
    pool = CapacityPool(env, "social_workers", c)
    rng = np.random.default_rng([seed, c])
    rate = load * c / service_days
    rows: list[tuple[float, str, int]] = []

    def customer():
        yield from pool.take()
        yield env.timeout(rng.exponential(service_days))
        pool.give_back()

    def arrivals():
        while True:
            yield env.timeout(rng.exponential(1 / rate))
            env.process(customer())

    def monitor():
        yield env.timeout(warmup)
        while env.now < warmup + WINDOW:
            rows.append((env.now - warmup, "social_workers_queue", pool.waiting))
            rows.append((env.now - warmup, "social_workers_in_use", pool.in_use))
            yield env.timeout(WEEK)

    env.process(arrivals())
    env.process(monitor())
    env.run(until=warmup + WINDOW)
    return pd.DataFrame(rows, columns=["day", "series", "value"])


def birth_death_queue(c: int, service_days: float, load: float, rng: np.random.Generator) -> np.ndarray:
    """The number waiting in an M/M/c queue (a birth-death process, simulated exactly), weekly over the window.

    Below full load it starts from the stationary distribution of the number in the system, so it is
    stationary from day 0; at or above full load, from all ``c`` units busy and nobody waiting.
    """
    n = c
    if load < 1:
        a = load * c
        k = np.arange(4000)
        log_p = np.where(k <= c, k * math.log(a) - special.gammaln(k + 1), 0.0)
        log_p[c + 1 :] = c * math.log(a) - special.gammaln(c + 1) + (k[c + 1 :] - c) * math.log(load)
        p = np.exp(log_p - log_p.max())
        n = int(rng.choice(len(k), p=p / p.sum()))
    mu, lam = 1.0 / service_days, load * c / service_days
    times = np.arange(0.0, WINDOW + 1e-9, WEEK)
    out = np.empty(len(times))
    t, i = 0.0, 0
    while i < len(times):
        total = lam + min(n, c) * mu
        t_next = t + rng.exponential(1 / total)
        while i < len(times) and times[i] < t_next:
            out[i] = max(n - c, 0)
            i += 1
        t = t_next
        n += 1 if rng.random() * total < lam else -1
    return out


def erlang_c_queue(c: int, load: float) -> float:
    """Mean number waiting in an M/M/c queue (Erlang C)."""
    a = load * c
    b = 1.0
    for j in range(1, c + 1):
        b = a * b / (j + a * b)
    return c * b / (c - a * (1 - b)) * load / (1 - load)


# --- the trend test -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_a_capacity_pool_fed_faster_than_it_serves_is_flagged(seed):
    series = pool_queue(c=3, service_days=1.5, load=1.2, seed=seed)
    t = stability.queue_trends(series)
    assert list(t["series"]) == ["social_workers_queue"]  # the only queue of QUEUE_SERIES in this run
    r = t.iloc[0]
    assert r["size"] == 3  # the service's size, read from its units in use
    assert r["growing"], r.to_dict()
    # arrivals exceed services by 0.2 x 3 / 1.5 = 0.4 people a day, 2.8 a week; the random walk about that drift
    # moves the slope fitted over two years by about 0.6 a week (one sd)
    assert abs(r["slope_per_week"] - 2.8) < 1.5


def test_a_capacity_pool_with_room_to_spare_is_not_flagged():
    flagged = [stability.queue_trends(pool_queue(3, 1.5, 0.7, seed)).iloc[0]["growing"] for seed in range(6)]
    assert not any(flagged)


def test_stationary_queues_raise_few_false_alarms_where_mann_kendall_raises_many():
    """M/M/c at 80% and 90% load, relaxation times from about a month to most of the window.

    Measured over 600 seeds each, the test flags 0-1.5% of these runs, and 4% of the slowest (one server at
    90% load, whose relaxation time, about 570 days, nears the window); a one-sided Mann-Kendall test at 5%
    flags 10-30%.  Over 60 seeds each: at most 3% pooled and 10% in any one, Mann-Kendall at least 3 times as many.
    """
    days = np.arange(0.0, WINDOW + 1e-9, WEEK)
    ours, mann_kendall = [], []
    for c, service_days in ((1, 1.5), (3, 1.5), (10, 3.0)):
        for load in (0.8, 0.9):
            rng = np.random.default_rng([2024, c, int(100 * load)])
            queues = [birth_death_queue(c, service_days, load, rng) for _ in range(SEEDS)]
            flagged = [stability.trend(days, q, size=c)["growing"] for q in queues]
            assert np.mean(flagged) <= 0.10, (c, load, np.mean(flagged))
            ours += flagged
            tau = [sps.kendalltau(days, q) for q in queues]
            mann_kendall += [k.pvalue < 0.05 and k.statistic > 0 for k in tau]
            # the queues are the M/M/c of theory: the 99% interval of the runs' mean queue covers Erlang C's
            means = [q.mean() for q in queues]
            n, mean, sd = len(means), float(np.mean(means)), float(np.std(means, ddof=1))
            half = sps.t.ppf(0.995, n - 1) * sd / math.sqrt(n)
            assert abs(mean - erlang_c_queue(c, load)) <= half, (c, load, mean, erlang_c_queue(c, load))
    assert np.mean(ours) <= 0.03
    assert np.mean(mann_kendall) >= max(0.1, 3 * np.mean(ours))


@pytest.mark.parametrize("c, service_days", [(3, 1.5), (10, 3.0)])
def test_birth_death_queues_above_full_load_are_flagged(c, service_days):
    """The same queues at 120% load: flagged in nearly every run."""
    days = np.arange(0.0, WINDOW + 1e-9, WEEK)
    rng = np.random.default_rng([7, c])
    flagged = [stability.trend(days, birth_death_queue(c, service_days, 1.2, rng), c)["growing"] for _ in range(20)]
    assert np.mean(flagged) >= 0.95


def test_a_random_walk_with_drift_is_flagged_and_one_without_is_rarely():
    days = np.arange(0.0, WINDOW + 1e-9, WEEK)
    rng = np.random.default_rng(11)
    drift = [stability.trend(days, 50 + np.cumsum(rng.normal(1.0, 2.0, len(days))))["growing"] for _ in range(20)]
    assert all(drift)
    # a level that wanders about a mean (an AR(1) with weekly correlation 0.9, strongly autocorrelated)
    flat = []
    for _ in range(100):
        y = np.empty(len(days))
        y[0] = 50 + rng.normal(0, 5 / math.sqrt(1 - 0.81))
        for i in range(1, len(y)):
            y[i] = 50 + 0.9 * (y[i - 1] - 50) + rng.normal(0, 5)
        flat.append(stability.trend(days, y)["growing"])
    assert np.mean(flat) <= 0.05


def test_short_flat_and_missing_series():
    days = np.arange(0.0, 5 * WEEK, WEEK)
    short = stability.trend(days, [0, 10, 20, 30, 40])
    assert not short["growing"] and math.isnan(short["slope_per_week"])  # fewer than MIN_WEEKS: not tested
    long_days = np.arange(0.0, WINDOW + 1e-9, WEEK)
    assert not stability.trend(long_days, np.zeros(len(long_days)))["growing"]
    # a run without the elective waiting list (or any other queue) is checked on the queues it has
    frame = pd.DataFrame(
        [(d, s, v) for d in long_days for s, v in (("trolley_queue", d), ("acute_beds_occupied", 10.0))],
        columns=["day", "series", "value"],
    )
    t = stability.queue_trends(frame)
    assert list(t["series"]) == ["trolley_queue"] and t["growing"].all()
    assert "elective_waiting_list" in registry.QUEUE_SERIES and set(stability.SIZE_SERIES) <= set(registry.QUEUE_SERIES)


def test_a_scenario_is_unstable_when_most_of_its_replications_grow():
    def trends(growing: list[bool]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "scenario": "s",
                "replication": range(len(growing)),
                "series": "home_care_queue",
                "waiting": registry.QUEUE_SERIES["home_care_queue"],
                "slope_per_week": [3.0 if g else 0.1 for g in growing],
                "growing": growing,
            }
        )

    one_of_three = stability.overloads(trends([True, False, False])).iloc[0]
    assert not one_of_three["unstable"] and one_of_three["growing_runs"] == 1
    two_of_three = stability.overloads(trends([True, True, False])).iloc[0]
    assert two_of_three["unstable"] and two_of_three["growth_per_week"] == 3.0  # over the runs that grew
    assert not stability.overloads(trends([True, False])).iloc[0]["unstable"]  # half is not a majority
    assert stability.overloads(trends([True])).iloc[0]["unstable"]
    words = stability.overload_sentence(stability.overloads(trends([True, True, False])), "s")
    assert "'s' is overloaded" in words and "home care package" in words and "about 3.0 a week" in words
    assert "run's length" in words
    assert stability.overload_sentence(stability.overloads(trends([False, False])), "s") == ""


# --- a gridlock at a small place: the files and the words -------------------------------------------


def cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    assert code == 0, err.getvalue()
    return code, out.getvalue()


@pytest.fixture(scope="module")
def beds_cut(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenarios") / "beds_cut.toml"
    path.write_text(BEDS_CUT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def compared(tmp_path_factory, beds_cut) -> tuple[Path, str]:
    """baseline, rapid_response (no gridlock) and beds_cut (gridlock), compared at a small place."""
    out = tmp_path_factory.mktemp("compare") / "out"
    files = [str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "rapid_response.toml"), str(beds_cut)]
    _, text = cli("compare", *files, *PLACE, "--out", str(out))
    return out, text


def text_of(html: str) -> str:
    html = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_comparison_csv_marks_the_gridlocked_comparison_unstable(compared):
    out, _ = compared
    comparison = pd.read_csv(out / "comparison.csv")
    assert list(comparison.columns)[-1] == "unstable"
    assert comparison["unstable"].dtype == bool
    flags = comparison.groupby("scenario")["unstable"].agg(["all", "any"])
    assert flags.loc["beds_cut", "all"] and not flags.loc["rapid_response", "any"]
    # the elective list grew in every replication; the other runs' queues did not
    table = stability.check(pd.read_csv(out / "timeseries.csv"))
    unstable = table[table["unstable"]]
    assert set(unstable["scenario"]) == {"beds_cut"} and GROWING in set(unstable["series"])
    assert (unstable["growth_per_week"] > 0).all()
    assert (unstable.loc[unstable["series"] == GROWING, "growing_runs"] == 2).all()


def test_compare_names_the_overload_and_calls_no_change_clear(compared):
    _, text = compared
    money = text.index("\nTotal cost ", text.index("'beds_cut'"))  # who pays and who saves, every scenario, at the end
    gridlocked = text[text.index("'beds_cut'") : money]
    words = " ".join(gridlocked.split())
    assert "'beds_cut' is overloaded" in words and A_AND_E in words
    assert re.search(r"by about \d[\d.,]* a week \(in 2 of 2 replications\)", words)
    assert "depend on the run's length" in words
    assert "reflect the gridlock, not an effect" in words and "not a saving" in words
    assert not CLEARLY.search(gridlocked.replace("No change is called clear", ""))
    cost = text[text.rindex("\nTotal cost ") :]  # the last scenario's money: beds_cut's
    assert "No change is called clear" in cost and not CLEARLY.search(cost.replace("No change is called clear", ""))
    stable = text[text.index("'rapid_response'") : text.index("'beds_cut'")]
    assert "overloaded" not in stable  # a stable comparison keeps its usual words
    # its usual verdict: a list of clear changes, or none (after any changes the same in every replication)
    assert "Clear changes" in stable or re.search(r"No (other )?main measure changed clearly", stable)


def test_the_report_names_the_overload_and_calls_no_change_clear(compared, tmp_path):
    out, _ = compared
    page = text_of((out / "report.html").read_text(encoding="utf-8"))
    found = page[page.index("What changed") : page.index("Headline figures")]
    gridlock = found[found.index("'beds_cut' against 'baseline'") :]
    assert A_AND_E in gridlock and "a week" in gridlock and "run's length" in gridlock
    assert "not a saving" in gridlock and not re.search(r"(fell|rose) clearly", gridlock)
    tables = page[page.index("Headline figures") :]
    beds = tables[tables.index("'beds_cut' against 'baseline'") : tables.index("Charts")]
    assert "overloaded: reflects the gridlock" in beds and "clearly" not in beds
    check = page[page.index("Overload check") : page.index("Metadata")]
    assert "beds_cut" in check and A_AND_E in check and "2 of 2" in check
    # an older folder, written before the column existed, is checked from its time series
    old = tmp_path / "old"
    old.mkdir()
    for name in ("kpis.csv", "timeseries.csv", "metadata.json"):
        (old / name).write_bytes((out / name).read_bytes())
    pd.read_csv(out / "comparison.csv").drop(columns="unstable").to_csv(old / "comparison.csv", index=False)
    cli("report", str(old))
    again = text_of((old / "report.html").read_text(encoding="utf-8"))
    assert "'beds_cut' is overloaded" in again and "overloaded: reflects the gridlock" in again


def test_run_names_the_overloaded_service(beds_cut):
    _, text = cli("run", str(beds_cut), *PLACE)
    head = " ".join(text[: text.index("Main results")].split())
    assert "'beds_cut' is overloaded" in head and A_AND_E in head and "run's length" in head
    _, calm = cli("run", str(SCENARIOS / "baseline.toml"), *PLACE)
    assert "overloaded" not in calm


def test_experiment_summary_marks_and_names_the_overload(tmp_path, beds_cut):
    exp = tmp_path / "gridlock.toml"
    files = [SCENARIOS / "baseline.toml", beds_cut]
    exp.write_text(
        f"""
name = "gridlock"
description = "A gridlock against the baseline."
scenarios = [{", ".join(f'"{p.as_posix()}"' for p in files)}]
replications = 2
population = 10000
horizon_days = 182
warmup_days = 365
seed = 1
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    _, text = cli("experiment", str(exp), "--workers", "1", "--quiet", "--out", str(out))
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == list(registry.SUMMARY_COLUMNS) and summary["unstable"].dtype == bool
    flags = summary.groupby("scenario")["unstable"].agg(["all", "any"])
    assert flags.loc["beds_cut", "all"] and not flags.loc["baseline", "any"]  # the reference's own rows: stable
    words = " ".join(text.split())
    assert "'beds_cut' is overloaded" in words and A_AND_E in words and "a week" in words
    assert words.count("is overloaded") == 1  # the baseline is not
    report = text_of((out / "report.html").read_text(encoding="utf-8"))
    assert "overloaded: reflects the gridlock" in report


def test_the_page_warns_of_the_overload_and_calls_no_change_clear(compared, tmp_path, monkeypatch):
    """The page's results, shown from a comparison's folder as the page writes it (``caresim compare --out``)."""
    from streamlit.testing.v1 import AppTest

    folder, _ = compared
    comparison = runs.read_comparison(folder)
    table = runs.headline(comparison, "beds_cut", 2)
    assert set(table["In plain words"]) == {runs.GRIDLOCK}
    assert not runs.headline(comparison, "rapid_response", 2)["In plain words"].eq(runs.GRIDLOCK).any()
    assert runs.overload_warning(folder, comparison, "rapid_response") == ""
    warning = runs.overload_warning(folder, comparison, "beds_cut")
    assert "'beds_cut' is overloaded" in warning and A_AND_E in warning and "run's length" in warning
    monkeypatch.setenv("CARESIM_APP_RESULTS", str(tmp_path / "results"))
    page = AppTest.from_file(str(ROOT / "sim" / "app" / "page.py"), default_timeout=60)
    page.session_state["result"] = {
        "name": "beds_cut",
        "reference": "baseline",
        "toml": BEDS_CUT,
        "file_name": "beds_cut.toml",
        "reps": 2,
        "folder": str(folder),
        "seconds": 1.0,
    }
    page.run()
    assert not page.exception
    shown = " ".join(w.value for w in page.warning)
    assert A_AND_E in shown and "a week" in shown and "run's length" in shown and "not a saving" in shown
    headline = next(t.value for t in page.table if "In plain words" in t.value)
    assert set(headline["In plain words"]) == {runs.GRIDLOCK}
