"""The what-if page (Streamlit): controls, a run button, the answer.

Started by ``caresim app``; run by hand with ``streamlit run sim/app/page.py``.  This file only lays
out the page: the levers and the scenario file come from :mod:`sim.app.levers`, the checks from
:mod:`sim.app.logic`, the run and the tables from :mod:`sim.app.runs` and :mod:`sim.app.jobs`.  Widget
values live in ``st.session_state`` under ``lv_<lever>`` and
``set_<setting>``, so the problems of the current values are known before the controls are drawn
and each is shown next to its control.  Run settings can be given in the address, e.g.
``?population=20000&reps=2``.
"""

from __future__ import annotations

import typing
from dataclasses import fields
from pathlib import Path

import streamlit as st

from sim import __version__
from sim.app import levers, logic, runs
from sim.app.jobs import CANCELLED, DONE, FAILED, RUNNING, Job
from sim.reports.text import validate_text
from sim.scenarios.scenario import BASELINE, Scenario, ScenarioError, load

OWN, READY = "Move the levers myself", "Pick a ready-made scenario"
TYPES = typing.get_type_hints(levers.Levers) | typing.get_type_hints(levers.Settings)


def _cast(name: str, value):
    kind = TYPES[name]
    return kind(value) if kind in (int, float, bool, str) else value


def init() -> None:
    """Defaults into the session once; run settings may come from the address."""
    ss = st.session_state
    for name, value in levers.LEVER_DEFAULTS.items():
        ss.setdefault(f"lv_{name}", _cast(name, value))
    query = st.query_params
    for name, value in levers.SETTING_DEFAULTS.items():
        if f"set_{name}" in ss:
            continue
        if name in query:
            try:
                value = float(query[name])
            except ValueError:
                pass
        ss[f"set_{name}"] = _cast(name, value)
    ss.setdefault("mode", OWN)
    ss.setdefault("reference", BASELINE)


def current_levers() -> levers.Levers:
    return levers.Levers(**{f.name: st.session_state[f"lv_{f.name}"] for f in fields(levers.Levers)})


def current_settings() -> levers.Settings:
    return levers.Settings(**{f.name: st.session_state[f"set_{f.name}"] for f in fields(levers.Settings)})


def problem(errors: dict[str, str], key: str) -> None:
    if key in errors:
        st.error(errors[key], icon="⚠️")


def number(
    label: str, name: str, errors: dict[str, str], *, prefix: str = "lv_", show_error: bool = True, **kw
) -> None:
    st.number_input(label, key=f"{prefix}{name}", **kw)
    if show_error:
        problem(errors, name)


def library_entries() -> list[logic.Entry]:
    if "library" not in st.session_state:
        st.session_state.library = logic.library()
    return st.session_state.library


# --- the controls ------------------------------------------------------------------------------


def sidebar(settings_errors: dict[str, str], entries: list[logic.Entry]) -> None:
    with st.sidebar:
        st.header("Run settings")
        refs = [BASELINE] + [str(e.path) for e in entries]
        names = {str(e.path): e.name for e in entries}
        st.selectbox(
            "Compare against",
            refs,
            key="reference",
            format_func=lambda r: "Built-in baseline (today)" if r == BASELINE else names[r],
            help="The reference: every change is measured against it.",
        )
        number(
            "Registered people in the place",
            "population",
            settings_errors,
            prefix="set_",
            min_value=1,
            step=10_000,
            help="Smaller places run faster; MDT scenarios need 50,000 or more, or the team rounds to no one. "
            "Amounts of money are written for a place of 250,000 and scaled with this size.",
        )
        number(
            "Replications",
            "reps",
            settings_errors,
            prefix="set_",
            min_value=1,
            step=1,
            help="Independent replications of each scenario (both with the same random numbers, so each "
            "replication makes two runs); more replications, narrower intervals. One gives no interval.",
        )
        number("Random seed", "seed", settings_errors, prefix="set_", min_value=0, step=1)
        with st.expander("Length of the run", expanded=bool({"horizon_days", "warmup_days"} & set(settings_errors))):
            number("Days counted (the statistics window)", "horizon_days", settings_errors, prefix="set_", step=30.0)
            number("Warm-up days (not counted)", "warmup_days", settings_errors, prefix="set_", step=30.0)
        s = current_settings()
        runs_made = levers.runs_in_words(s.reps) if "reps" not in settings_errors else "? runs"
        st.caption(f"Pressing Run makes {runs_made}. caresim {__version__}.")


def money_section(errors: dict[str, str], built: logic.Built) -> None:
    st.subheader("1. Move money out of acute beds")
    number(
        "Money moved a year from acute beds (GBP, for a place of 250,000 people)",
        "shift_gbp",
        errors,
        min_value=0.0,
        step=250_000.0,
        format="%.0f",
        help=f"For example 2000000 for {levers.money(2_000_000)}. Whole beds are taken out at "
        f"{levers.money(logic.acute_bed_year())} a bed-year and the money buys whole posts, places and beds at "
        "their unit costs; what cannot buy a whole unit is left unspent. Budget-neutral.",
    )
    if "shift_gbp" not in errors:
        st.caption(logic.amount_in_words(st.session_state.lv_shift_gbp, built.scenario))
    st.markdown("Where the money goes (per cent of the money released; the shares add up to 100%):")
    cols = st.columns(4)
    labels = {
        "share_mdt": "MDT co-ordinators",
        "share_reablement": "Reablement places",
        "share_intermediate_care": "Intermediate care beds",
        "share_home_care": "Home care packages",
    }
    for col, (name, label) in zip(cols, labels.items()):
        with col:
            number(label + " (%)", name, errors, min_value=0.0, max_value=100.0, step=5.0, format="%g")
    problem(errors, "shares")
    if built.scenario is not None and built.scenario.shifts:
        n = built.scenario.params.place.registered_population
        st.markdown(f"**What the money buys** in this run's place of {n:,} people:")
        st.table(logic.capacity_rows(built.scenario), hide_index=True)
        if built.at_place is not None and n != levers.PLACE:
            with st.expander(f"What it buys at a place of {levers.PLACE:,} people"):
                st.table(logic.capacity_rows(built.at_place), hide_index=True)
    for w in built.warnings:
        st.warning(w)


def mdt_section(errors: dict[str, str], built: logic.Built) -> None:
    st.subheader("2. The multidisciplinary team (MDT)")
    st.caption(
        "The team gets the co-ordinators the money buys (above) and any paid with new money. "
        "Each person enrolled has a named co-ordinator."
    )
    if built.no_mdt:
        st.warning(built.no_mdt, icon="⚠️")
    c1, c2, c3 = st.columns(3)
    with c1:
        number(
            "Extra co-ordinators per 100,000 people (new money)",
            "mdt_extra_per_100k",
            errors,
            min_value=0.0,
            step=1.0,
            format="%g",
        )
    with c2:
        number("Caseload (people per co-ordinator)", "caseload", errors, min_value=1, max_value=500, step=5)
    with c3:
        number(
            "People enrolled (% of the cohort, highest risk first)",
            "enrol_top_percent",
            errors,
            min_value=0.0,
            max_value=100.0,
            step=1.0,
            format="%g",
        )
    st.markdown("Co-ordinators by discipline (per cent; adds up to 100%):")
    cols = st.columns(4)
    for col, (d, label) in zip(cols, levers.MIX_LABELS.items()):
        with col:
            number(label + " (%)", f"mix_{d}", errors, min_value=0.0, max_value=100.0, step=10.0, format="%g")
    problem(errors, "mix")
    st.checkbox("Social care is part of the team", key="lv_social_care_in_team")
    st.checkbox(
        "Each person's co-ordinator has the discipline that fits their main need",
        key="lv_match_discipline_to_need",
        help="A mental health professional for dementia or a mental health problem, an occupational therapist "
        "for a physical disability, a social worker for substance misuse, a nurse otherwise.",
    )


def other_sections(errors: dict[str, str]) -> None:
    keys = {"rapid_response_per_100k", "assessment_time_change_percent", "community_support_percent"}
    with st.expander("3. Rapid response, information sharing, community support", expanded=bool(keys & set(errors))):
        c1, c2 = st.columns(2)
        with c1:
            number(
                "Rapid response: visits at once per 100,000 people (today: 1)",
                "rapid_response_per_100k",
                errors,
                min_value=0.0,
                step=0.5,
                format="%g",
                help="New money: extra teams add to the cost.",
            )
            st.checkbox("A single point of access for crises", key="lv_single_point_of_access")
            st.checkbox("Care navigators", key="lv_care_navigators")
        with c2:
            number(
                "Information sharing: change in the time a discharge assessment takes (%)",
                "assessment_time_change_percent",
                errors,
                step=5.0,
                format="%g",
                help="-33 means shared records cut the time by a third (an assumption).",
            )
            number(
                "Community support funding (% of today's)",
                "community_support_percent",
                errors,
                min_value=0.0,
                max_value=500.0,
                step=10.0,
                format="%g",
                help="Befriending, lunch clubs, peer support; 60 is a 40% cut, which raises the risk of a crisis.",
            )
    growth = ["growth_registered_percent", "growth_65_74_percent", "growth_75_84_percent", "growth_85plus_percent"]
    with st.expander("4. Demographic growth", expanded=bool(set(growth) & set(errors))):
        st.caption("Per cent more people than today. A different population is compared unpaired (wider intervals).")
        cols = st.columns(4)
        for col, name, label in zip(cols, growth, ["Registered people", "Aged 65-74", "Aged 75-84", "Aged 85+"]):
            with col:
                number(label + " (%)", name, errors, step=10.0, format="%g")
        st.checkbox("Services stay at today's size", key="lv_pin_capacities")


def name_section(errors: dict[str, str]) -> None:
    with st.expander("5. Name and description", expanded="name" in errors):
        st.text_input("Name of the what-if", key="lv_name")
        problem(errors, "name")
        st.text_area("Description (optional; written for you when left empty)", key="lv_description")


# --- running ---------------------------------------------------------------------------------


def start(request: runs.Request, name: str, reference: str, toml: str, no_mdt: str) -> None:
    folder = runs.new_run_folder(name)
    st.session_state.job = Job(request, folder)
    st.session_state.job_info = {
        "name": name,
        "reference": reference,
        "toml": toml,
        "file_name": request.file_name,
        "reps": int(request.settings.reps),
        "folder": str(folder),
        "no_mdt": no_mdt,
    }


@st.fragment(run_every=1.0)
def progress_panel() -> None:
    job: Job | None = st.session_state.get("job")
    if job is None:
        return
    state = job.poll()
    if state == RUNNING:
        text = f"Running: {job.done} of {job.total} runs done, {job.seconds:.0f} s so far" + (
            f" (the last took {job.last_seconds:.0f} s)." if job.done else "."
        )
        st.progress(job.fraction, text=text)
        if st.button("Cancel the run", key="cancel"):
            job.cancel()
            st.session_state.message = ("warning", "The run was cancelled.")
            st.session_state.job = None
            st.rerun()
        return
    info = st.session_state.job_info
    if state == DONE:
        st.session_state.result = {**info, "seconds": job.seconds}
        st.session_state.message = None
    elif state == FAILED:
        st.session_state.message = ("error", f"The run failed: {job.error}")
    elif state == CANCELLED:
        st.session_state.message = ("warning", "The run was cancelled.")
    st.session_state.job = None
    st.rerun()


def results(current_toml: str | None) -> None:
    res = st.session_state.get("result")
    if not res:
        return
    folder = Path(res["folder"])
    st.header("Results")
    if current_toml is not None and current_toml != res["toml"]:
        st.info("The controls have changed since this run: press Run to see the new what-if.")
    ref = "the built-in baseline" if res["reference"] == BASELINE else f"'{res['reference']}'"
    st.markdown(
        f"**'{res['name']}' against {ref}**: {levers.runs_in_words(res['reps'])}, with common random "
        f"numbers ({res['seconds']:.0f} s). Counts and costs are {runs.period(folder)} for "
        f"{runs.cohort_title('all').lower()}; costs in whole GBP. A change is *clear* when its 95% interval "
        "excludes no change."
    )
    lines = runs.moved(folder)
    if lines:
        st.markdown("**What the money moved in this run:**\n\n" + "\n".join(f"- {x}" for x in lines))
    comparison = runs.read_comparison(folder)
    overload = runs.overload_warning(folder, comparison, res["name"])
    if overload:
        st.warning(overload, icon="⚠️")
    st.table(runs.headline(comparison, res["name"], res["reps"]), hide_index=True)
    money = logic.who_pays(folder, comparison, res["name"])
    if money.rows:
        st.markdown("**Who pays and who saves**, against the reference, GBP a year:")
        if money.split:
            st.markdown(money.split[0] + "\n\n" + "\n".join(f"- {line.strip()}" for line in money.split[1:]))
        st.markdown(money.markdown())
        with st.expander("In words, as `caresim compare` prints it"):
            st.code("\n".join(money.words), language=None)
    mdt = runs.headline(comparison, res["name"], res["reps"], cohort="mdt")
    if res.get("no_mdt"):  # a team of no co-ordinator enrols nobody: its rows would read +0.0 [+0.0, +0.0]
        st.info(res["no_mdt"])
    elif len(mdt):
        st.markdown(f"**{runs.cohort_title('mdt')}**, from their enrolment date:")
        st.table(mdt, hide_index=True)
        if evaluated := logic.evaluation_markdown(comparison, res["name"]):
            st.markdown("**What an evaluation would have seen** of the same people, against matched controls:")
            st.markdown(evaluated)
            st.caption(
                "The true effect is what the team does to the same people; the estimate is what an evaluation "
                "against matched controls would report; the bias is the difference, in percentage points, from "
                "regression to the mean and what matching cannot see (docs/evaluation.md; the report gives the "
                "bias's interval)."
            )
    with st.expander("What each measure means"):
        st.markdown("\n".join(f"- {line}" for line in runs.meanings()))
    st.subheader("Charts")
    charts = [(folder / f, caption) for f, caption in runs.CHARTS.items() if (folder / f).is_file()]
    if charts:  # the forest plot across the page, the others two by two
        st.image(str(charts[0][0]), caption=charts[0][1])
    for i in range(1, len(charts), 2):
        cols = st.columns(2)
        for col, (path, caption) in zip(cols, charts[i : i + 2]):
            with col:
                st.image(str(path), caption=caption)
    st.subheader("Downloads")
    downloads = st.columns(3)
    files = [
        ("The scenario (TOML)", res["file_name"], "application/toml"),
        ("The report (HTML)", "report.html", "text/html"),
        ("All results (ZIP)", None, "application/zip"),
        ("Changes (comparison.csv)", "comparison.csv", "text/csv"),
        ("Every replication (kpis.csv)", "kpis.csv", "text/csv"),
        ("Weekly series (timeseries.csv)", "timeseries.csv", "text/csv"),
    ]
    for i, (label, name, mime) in enumerate(files):
        with downloads[i % 3]:
            if name is None:
                data, name = runs.zip_folder(folder), folder.name + ".zip"
            else:
                data = (folder / name).read_bytes() if (folder / name).is_file() else b""
            st.download_button(label, data, file_name=name, mime=mime, key=f"dl_{i}", on_click="ignore")
    st.caption(f"The files are also in {folder}; `caresim report` on that folder rebuilds the report.")
    with st.expander("The full comparison, as `caresim compare` prints it"):
        summary = folder / "summary.txt"
        st.code(summary.read_text(encoding="utf-8") if summary.is_file() else "", language=None)


# --- the page ----------------------------------------------------------------------------------


def main() -> None:
    st.set_page_config(page_title="caresim: what if?", layout="wide")
    init()
    entries = library_entries()
    settings = current_settings()
    settings_errors = levers.check_settings(settings)
    st.title("What if? Health and social care for a place")
    st.markdown(
        "Pick a ready-made scenario or move the levers, press **Run**, and read how emergency admissions, "
        "bed days, delayed discharges and costs change against today's services, with 95% intervals. "
        "Run settings are in the side bar."
    )
    sidebar(settings_errors, entries)
    st.radio("What do you want to try?", [OWN, READY], key="mode", horizontal=True)
    reference = st.session_state.reference
    request = toml = name = None
    to_run: Scenario | None = None  # the scenario as it will run, for the small-place warning
    problems: list[str] = [m for m in settings_errors.values()]
    if st.session_state.mode == OWN:
        chosen = current_levers()
        ref_name = BASELINE if reference == BASELINE else next(e.name for e in entries if str(e.path) == reference)
        built = logic.build(chosen, settings, ref_name)
        errors = dict(built.errors)
        money_section(errors, built)
        mdt_section(errors, built)
        other_sections(errors)
        name_section(errors)
        problem(errors, levers.GENERAL)
        with st.expander("The scenario file this builds"):
            st.code(built.toml, language="toml")
            if built.scenario is not None:
                st.code(validate_text(built.scenario), language=None)
        problems += list(errors.values())
        name, toml = chosen.name.strip(), built.toml
        to_run = built.scenario
        if built.ok and not settings_errors:
            request = runs.Request(settings, reference=reference, scenario_text=toml, file_name=runs.file_name(name))
    else:
        if not entries:
            st.error("No scenario library was found: set CARESIM_APP_SCENARIOS to a folder of scenario files.")
            problems.append("no scenario")
        else:
            by_path = {str(e.path): e for e in entries}
            st.selectbox("Scenario", list(by_path), key="ready", format_func=lambda p: by_path[p].name)
            entry = by_path[st.session_state.ready]
            st.markdown(entry.description)
            name, toml = entry.name, entry.path.read_text(encoding="utf-8")
            if str(entry.path) == reference:
                problems.append("same")
                st.error(
                    "This is also the scenario you compare against: pick another one, or compare against the "
                    "built-in baseline (in the side bar).",
                    icon="⚠️",
                )
            elif not settings_errors:
                try:
                    to_run = load(entry.path, settings.run_settings())
                    with st.expander("What it changes"):
                        st.code(validate_text(to_run), language=None)
                    request = runs.Request(
                        settings, reference=reference, scenario_path=str(entry.path), file_name=entry.path.name
                    )
                except ScenarioError as e:
                    problems.append(str(e))
                    st.error(str(e), icon="⚠️")
    no_mdt = logic.no_mdt(to_run)
    if no_mdt and st.session_state.mode == READY:  # the levers' section says it next to the MDT's controls
        st.warning(no_mdt, icon="⚠️")
    if small := logic.small_place_warning(to_run):
        st.warning(small)
    st.divider()
    job = st.session_state.get("job")
    running = job is not None and job.state == RUNNING
    if st.button("Run", type="primary", disabled=running or request is None) and request is not None:
        assert name is not None and toml is not None  # set with the request
        start(request, name, reference, toml, no_mdt)
        st.rerun()
    if problems and not running:
        st.caption("Fix the problems marked above to run.")
    message = st.session_state.get("message")
    if message:
        (st.warning if message[0] == "warning" else st.error)(message[1])
    if running:
        progress_panel()
    results(toml)


main()
