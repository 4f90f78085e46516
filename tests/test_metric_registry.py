"""The metric registry: it names every metric a real run writes, its entries are well formed, it is the
source of ``docs/metrics.md`` and of the labels ``caresim run`` prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main
from sim.outcomes import metrics, registry

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "metrics.md"
REMAKE = "python -m sim.outcomes.registry > docs/metrics.md"
# a small run of the pilot scenario, so that the mdt cohort is measured too
RUN = [
    "run",
    str(ROOT / "scenarios" / "integrated_care_pilot.toml"),
    "--population",
    "20000",
    "--reps",
    "1",
    "--horizon-days",
    "60",
    "--warmup-days",
    "0",
]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> tuple[pd.DataFrame, str]:
    """The kpis.csv and the printed summary of a real small run."""
    out = tmp_path_factory.mktemp("registry") / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main([*RUN, "--out", str(out)])
    assert code == 0
    return pd.read_csv(out / "kpis.csv"), printed.getvalue()


def test_docs_metrics_md_is_up_to_date():
    text = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
    assert text == registry.markdown(), f"docs/metrics.md is stale: remake it with `{REMAKE}`"


def test_a_real_run_writes_exactly_the_registry_s_metrics(small_run):
    kpis, _ = small_run
    written = set(kpis["metric"])
    assert not written - set(registry.NAMES), (
        f"kpis.csv holds metrics the registry lacks: "
        f"{sorted(written - set(registry.NAMES))}; add them to "
        f"sim/outcomes/registry.py and run `{REMAKE}`"
    )
    assert not set(registry.NAMES) - written, f"registry metrics no run writes: {sorted(set(registry.NAMES) - written)}"
    assert set(kpis["cohort"]) == set(registry.COHORT_NAMES)
    for cohort, names in kpis.groupby("cohort")["metric"]:
        expected = registry.COHORT_METRICS + (registry.PLACE_METRICS if cohort == "all" else ())
        if cohort == registry.IMD_GAP:  # a gap in person-years means nothing: the gap has no such row
            expected = tuple(m for m in expected if m != "person_years")
        assert sorted(names) == sorted(expected), cohort  # place-wide metrics under cohort all only
    place = kpis[kpis["metric"].isin(registry.PLACE_METRICS)].set_index("metric")["value"]
    assert 0 < place["acute_occupancy"] < 2 and place["acute_beds"] >= 10 and place["acute_beds"] % 1 == 0


def test_the_kpi_columns_are_the_registry_s():
    assert metrics.METRICS == registry.COHORT_METRICS
    assert metrics.PLACE_METRICS == registry.PLACE_METRICS
    assert registry.NAMES == registry.COHORT_METRICS + registry.PLACE_METRICS


def test_every_entry_is_well_formed():
    assert [p for m in registry.REGISTRY for p in registry.problems(m)] == []
    assert len(set(registry.NAMES)) == len(registry.REGISTRY), "a metric name appears twice"
    labels = [m.label for m in registry.REGISTRY]
    assert len(set(labels)) == len(labels), "two metrics share a label"
    for title, names in registry.GROUPS.items():
        assert set(names) <= set(registry.NAMES), title
    assert all(registry.entry(m).kind == "gbp" and registry.entry(m).sector for m in registry.COST_SECTORS)
    assert [registry.cohort(c).name for c in registry.COMPARED_COHORTS] == list(registry.COMPARED_COHORTS)


@pytest.mark.parametrize(
    "change",
    [
        {"label": ""},
        {"label": "  "},
        {"definition": ""},
        {"kind": "rate"},
        {"aggregate": "sum"},
        {"scope": "everyone"},
        {"sector": "pharmacy"},
        {"definition": "two\nlines"},
    ],
)
def test_a_malformed_entry_is_caught(change):
    bad = dataclasses.replace(registry.entry("bed_days"), **change)
    assert registry.problems(bad)


def test_the_look_ups():
    assert registry.label("bed_days") == "Acute bed days"
    assert registry.label("emergency_admissions_per_1000_py") == "emergency_admissions_per_1000_py"
    assert registry.long_label("cost_total_gbp") == "Total cost (GBP)"
    assert registry.is_share("acute_occupancy") and not registry.is_share("bed_days") and not registry.is_share("x")
    assert registry.is_cost("cost_hospital_gbp") and not registry.is_cost("bed_days")
    assert registry.sector_title("cost_hospital_gbp") == "Hospital"
    with pytest.raises(KeyError, match="bed_dais"):
        registry.entry("bed_dais")
    with pytest.raises(KeyError):
        registry.cohort("everyone")


def test_the_printed_table_uses_the_registry_s_labels(small_run):
    kpis, printed = small_run
    lines = printed.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Admissions per 1,000"))
    for metric in set(kpis["metric"]):
        label = registry.long_label(metric)
        rows = [line for line in lines[:at] if line.startswith(label + "  ")]
        assert len(rows) == 1, (metric, label, rows)
        assert "_" not in metric or metric not in printed, metric  # the label, not the code's name
    assert [line for line in lines[at:] if line.startswith("Emergency admissions  ")]
