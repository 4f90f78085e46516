"""The STRESS-DES checklist, filled in for one run of caresim.

STRESS-DES is the reporting checklist for discrete-event simulation studies of
Monks et al. (2019), "Strengthening the reporting of empirical simulation
studies: Introducing the STRESS guidelines", Journal of Simulation 13(1):55-67.
:func:`checklist` answers its six sections item by item: from the run's
metadata wherever the metadata records the answer (scenarios, run length,
replications, seed, software, platform, commit), and otherwise with a short
fixed account of the model.  Nothing here writes files or formats HTML.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

CITATION = ("Monks T, Currie CSM, Onggo BS, Robinson S, Kunc M, Taylor SJE (2019). Strengthening the reporting "
            "of empirical simulation studies: Introducing the STRESS guidelines. Journal of Simulation 13(1):55-67.")
NOT_RECORDED = "not recorded"

# what the first word of a parameter's source says about where the value comes from
SOURCE_KINDS = {
    "evidence": "published figures (the evidence file)",
    "calibrated": "calibrated to published baseline levels",
    "seed": "source documents on integrated care",
    "design": "design decisions",
    "prior": "priors not yet informed by calibration",
    "assumption": "stated assumptions, each with its reason",
}


def _value(meta: dict, key: str, unit: str = "", thousands: bool = True) -> str:
    v = meta.get(key)
    if v is None or v == "":
        return NOT_RECORDED
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    number = isinstance(v, (int, float)) and not isinstance(v, bool)
    text = f"{v:,}" if number and thousands else str(v)
    return text + unit


def source_counts(parameters: list[dict]) -> Counter:
    """How many parameters come from each kind of source (keys of SOURCE_KINDS, or 'other')."""
    out: Counter = Counter()
    for p in parameters:
        word = str(p.get("source") or "").replace(":", " ").split(" ")[0].lower()
        out[word if word in SOURCE_KINDS else "other"] += 1
    return out


def _sources(meta: dict) -> str:
    base = meta.get("baseline_parameters") or []
    if not base:
        return "The parameter list was not recorded with this run."
    counts = source_counts(base)
    parts = [f"{counts[k]} from {label}" for k, label in SOURCE_KINDS.items() if counts[k]]
    if counts["other"]:
        parts.append(f"{counts['other']} from other sources")
    return (f"Every parameter names its source. Of the {len(base)} parameters of the reference scenario: "
            + "; ".join(parts) + ". The full list with sources is in the metadata section of this report.")


def _baseline_value(meta: dict, name: str) -> Any:
    for p in meta.get("baseline_parameters") or []:
        if p.get("parameter") == name:
            return p.get("value")
    return None


def _scenarios(meta: dict) -> list[dict]:
    return [s for s in meta.get("scenarios") or [] if isinstance(s, dict)]


def _aims(meta: dict) -> str:
    scenarios = _scenarios(meta)
    ref = meta.get("reference") or (scenarios[0].get("name") if scenarios else None)
    if not scenarios:
        return "The scenarios were not recorded; the tables of this report show which scenarios were compared."
    others = [s for s in scenarios if s.get("name") != ref]
    lines = [f"To compare {len(others)} scenario{'s' if len(others) != 1 else ''} with the reference '{ref}':"]
    for s in others:
        desc = " ".join(str(s.get("description") or "").split())
        lines.append(f"'{s.get('name')}'" + (f": {desc}" if desc else "."))
    grid = meta.get("grid")
    if isinstance(grid, dict) and grid.get("parameter"):
        values = ", ".join(str(v) for v in grid.get("values") or [])
        which = ", ".join(f"'{n}'" for n in grid.get("scenarios") or []) or "the scenarios"
        lines.append(f"Over a grid, {which} also ran at each value of {grid.get('label') or grid['parameter']} "
                     f"({grid['parameter']}): {values}.")
    return " ".join(lines)


def _scenario_logic(meta: dict) -> str:
    scenarios = _scenarios(meta)
    params = meta.get("parameters") or {}
    lines = []
    for s in scenarios:
        bits = []
        if s.get("interventions"):
            bits.append("interventions " + ", ".join(str(i) for i in s["interventions"]))
        if s.get("shifts"):
            bits.append("shifts: " + " ".join(str(x).rstrip(".") for x in s["shifts"]))
        n = len(params.get(s.get("name"), []) or [])
        bits.append(f"{n} parameter{'s' if n != 1 else ''} differ{'s' if n == 1 else ''} from the built-in baseline")
        lines.append(f"'{s.get('name')}': " + "; ".join(bits) + ".")
    head = ("A scenario is a TOML file of overrides to the parameter tree, named interventions and shifts of money "
            "between services (converted into whole beds, places or posts through unit costs). Interventions and "
            "shifts switch on at the start of the statistics window, as a pilot would launch; before it every "
            "scenario runs as its reference does.")
    return " ".join([head] + lines)


def _warmup(meta: dict) -> str:
    checks = meta.get("warmup_check") or []
    if not checks:
        return "No warm-up check was recorded with this run."
    verdicts = Counter(str(c.get("verdict") or NOT_RECORDED).split(":")[0] for c in checks if isinstance(c, dict))
    said = ", ".join(f"{v} {n}" for v, n in verdicts.items())
    return (f"The warm-up check (MSER-5) covered {len(checks)} output series of the statistics window, with "
            f"verdicts {said}; see the warm-up check above.")


def _estimation(meta: dict) -> str:
    reps = meta.get("replications")
    text = (f"{_value(meta, 'replications')} independent replications per scenario"
            + (" and grid value" if meta.get("grid") else "") + ". ")
    if reps == 1:
        text += "With one replication confidence intervals are not defined and are not shown. "
    else:
        text += ("Each measure is the mean over replications with a 95% t confidence interval. ")
    text += ("Every scenario uses the same seed and replication numbers, so replication r of each scenario draws the "
             "same random numbers person by person (common random numbers); changes against the reference are "
             "paired differences with a t interval over replications, except where two scenarios simulate "
             "different populations, where the interval is Welch's (unpaired).")
    unpaired = [s.get("name") for s in _scenarios(meta) if s.get("paired") is False]
    if unpaired:
        text += " Unpaired here: " + ", ".join(f"'{n}'" for n in unpaired) + "."
    prec = meta.get("precision")
    if isinstance(prec, dict):
        text += (f" The number of replications was checked against a target half-width of "
                 f"{prec.get('half_width_pct', NOT_RECORDED)}% of the mean (see the precision result above).")
    return text


def checklist(meta: dict | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The six STRESS-DES sections, each a list of (item, answer)."""
    meta = meta or {}
    horizon, warmup = _value(meta, "horizon_days", " days"), _value(meta, "warmup_days", " days")
    price_year = _baseline_value(meta, "costs.price_year")
    discount = _baseline_value(meta, "costs.discount_rate")
    commit = meta.get("git_commit") or "not recorded (not run from a git checkout)"
    files = [f"{s.get('file')} (SHA-256 {s.get('file_sha256')})" for s in _scenarios(meta) if s.get("file")]
    if meta.get("experiment_file"):
        files.insert(0, f"experiment file {meta['experiment_file']} (SHA-256 {meta.get('experiment_sha256') or NOT_RECORDED})")
    return [
        ("1. Objectives", [
            ("1.1 Purpose of the model",
             "To estimate what changes to health and social care services for one place (moving money between "
             "services, community multidisciplinary teams with named co-ordinators, rapid response, information "
             "sharing, community support, demographic change) do to emergency hospital use, delayed discharges, "
             "outcomes after reablement and costs to the NHS and councils, and how sure we can be."),
            ("1.2 Model outputs",
             "For each replication and cohort (everyone simulated, 65 and over, 85 and over, people enrolled in an "
             "MDT): counts (crises, A&E attendances, admissions, readmissions, care home admissions, deaths), days "
             "(acute bed days, delayed discharge days by what was awaited), shares (at home 91 days after "
             "reablement) and costs by sector in GBP; weekly series of beds occupied, delayed patients and each "
             "service's use and queue. Measures recorded in this run: "
             + (", ".join(str(m) for m in meta.get("metrics") or []) or NOT_RECORDED) + "."),
            ("1.3 Experimentation aims", _aims(meta)),
        ]),
        ("2. Logic", [
            ("2.1 Base model overview",
             "People registered with a set of GP practices: those aged 65 and over and younger adults with complex "
             "needs are simulated one by one; everyone else reaches the hospital only as background admissions "
             "that occupy beds. People live at home, have crises, are seen by rapid response, a GP or A&E, are "
             "admitted, wait to be discharged, receive home care, reablement, intermediate care or a care home "
             "place, and die. No diagram is included; the pathways are written as plain code in sim/pathways/."),
            ("2.2 Base model logic",
             "Crises arrive at a rate set by a persistent risk (age, frailty, conditions) and a transient risk that "
             "rises after a crisis or admission and fades. A crisis is met at home, by a GP or in A&E; A&E leads "
             "to admission with a probability set by frailty. A patient holds an acute bed until medically fit, "
             "then waits for assessment and a destination; each day of that wait is a delayed discharge day, "
             "attributed to what is awaited. Elective care runs from GP referral through outpatients to planned "
             "admission. MDTs find cases by a risk score, enrol the highest ranked while caseload allows and act "
             "through named co-ordinators."),
            ("2.3 Scenario logic", _scenario_logic(meta)),
            ("2.4 Algorithms",
             "Each person's next change of state is drawn from competing hazards; events far in the future wait "
             "in day lists rather than on the event heap; GP and outpatient contacts that cannot queue are "
             "counted in bulk. Every draw is an inverse transform of one uniform (exponential, lognormal, uniform, "
             "deterministic, Poisson counts, categorical). Case finding ranks people by a noisy risk score of "
             "realistic accuracy (an AUC of about 0.7). Shifts convert pounds into whole units of capacity."),
            ("2.5.1 Entities", "People in the simulated cohort, each with age band, frailty, main need, living "
             "situation, social care status and risk; background admissions as anonymous bed occupancy."),
            ("2.5.2 Activities", "Acute stays, A&E attendances, assessments, home care, reablement, intermediate "
             "care, care home stays, rapid response visits, MDT reviews, GP and outpatient contacts."),
            ("2.5.3 Resources", "Acute and escalation beds, social workers, home care packages, reablement places, "
             "intermediate care beds, care home places, the rapid response team, MDT co-ordinators by discipline, "
             "and daily GP and outpatient slots; capacities are set per 100,000 registered people."),
            ("2.5.4 Queues", "Capacitated services queue first come, first served within priority; an emergency "
             "with no free bed waits in A&E (a trolley wait) or takes an escalation bed; patients fit to leave "
             "wait in their bed for what they need next."),
            ("2.5.5 Entry and exit", "A run starts from a population drawn to match baseline prevalence; people "
             "join by turning 65 or developing complex needs and leave by death."),
        ]),
        ("3. Data", [
            ("3.1 Data sources", _sources(meta)),
            ("3.2 Pre-processing",
             "Published figures were converted to rates per person-year and capacities per 100,000 registered "
             "people, scaled to the place; costs are at one price year"
             + (f" ({price_year}/{(int(price_year) + 1) % 100:02d} prices)" if isinstance(price_year, int) else "")
             + ". Calibrated values were fitted to published baseline levels, recorded in calibration/baseline.md."),
            ("3.3 Input parameters",
             f"{len(meta.get('baseline_parameters') or []) or NOT_RECORDED} parameters, each with its unit and "
             "source; the differences of each scenario from the built-in baseline are listed in the metadata section."),
            ("3.4 Assumptions",
             "Costs are those of the public payer (NHS and councils)"
             + (f", discounted at {discount:g} a year" if isinstance(discount, (int, float)) else "")
             + ". Capacity is paid for whether used or not; services bought per use cost what is used. People "
             "under 65 without complex needs are background load only. Where no published figure exists the "
             "parameter's source states the assumption and its reason."),
        ]),
        ("4. Experimentation", [
            ("4.1 Initialisation",
             f"The initial state is drawn to match baseline prevalence (in care homes, on home care, in hospital); "
             f"a warm-up of {warmup} follows and its records are discarded. " + _warmup(meta)),
            ("4.2 Run length", f"A statistics window of {horizon} after the warm-up of {warmup}, for a place of "
             f"{_value(meta, 'population')} registered people."),
            ("4.3 Estimation approach", _estimation(meta)),
        ]),
        ("5. Implementation", [
            ("5.1 Software", f"caresim {_value(meta, 'caresim_version')} in Python {_value(meta, 'python')}, on "
             "the SimPy 4 discrete-event library, with numpy, scipy, pandas and matplotlib."),
            ("5.2 Random sampling",
             f"Master seed {_value(meta, 'seed', thousands=False)}. Uniforms come from numpy generators seeded with SeedSequence "
             "from (seed, replication, stream name, block of people), so each person draws from each named stream "
             "independently of everyone else; this gives common random numbers across scenarios."),
            ("5.3 Model execution",
             "Discrete-event simulation with SimPy, without a long-lived process per person. Replications are "
             "independent and give identical numbers whether run one after another or in parallel"
             + (f"; this run used {meta['executor']}" if meta.get("executor") else "")
             + f". Wall-clock time of this run: {_value(meta, 'wall_seconds', ' seconds')}."),
            ("5.4 System specification", f"Platform: {_value(meta, 'platform')}; Python {_value(meta, 'python')}."),
        ]),
        ("6. Code access", [
            ("6.1 Code sharing",
             f"The model is the caresim package, version {_value(meta, 'caresim_version')}, git commit {commit}. "
             + ("Inputs: " + "; ".join(files) + "." if files else "No input files were recorded (built-in baseline only).")),
        ]),
    ]
