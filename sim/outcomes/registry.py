"""The metric registry: every metric caresim writes, what it means, how to show it, and the groups outputs use.

Metric names are a contract (``kpis.csv``, ``comparison.csv``, ``summary.csv``; design brief section 8).
This module is the one place that says what each name means: its plain label, its unit, whether it is a
total over the statistics window or a level, which cohorts have it, and a one-line definition true to
:mod:`sim.outcomes.metrics` and :mod:`sim.outcomes.costs`, which compute the values.  The run table,
comparisons, plain-words text, charts, the report and the page take their labels, units and groups from
here, and ``docs/metrics.md`` is written from it::

    python -m sim.outcomes.registry > docs/metrics.md

Plain data and small look-ups only: nothing here imports the model.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = {
    "count": "a number of events or people",
    "days": "days spent at home, in a bed or waiting",
    "hours": "hours spent waiting",
    "person_years": "years lived in the cohort, from which rates are derived",
    "share": "a share between 0 and 1, shown in per cent",
    "gbp": "pounds sterling in the price year of the cost parameters",
    "beds": "a number of beds, held or in use",
    "workforce": "staff in whole-time equivalents, or hours of care a week",
}
AGGREGATES = {
    "total": "summed over the statistics window",
    "level": "a mean or a share over the statistics window, or a count at its end",
}
SCOPES = {"cohort": "every cohort", "place": "the whole place, under cohort `all` only"}
SECTORS = {
    "primary_care": "Primary care",
    "community": "Community",
    "hospital": "Hospital",
    "social_care": "Social care",
}

PEOPLE, ACTIVITY, BEDS, DELAYS, OUTCOMES, COSTS = (
    "People and time",
    "Contacts and admissions",
    "Acute beds",
    "Delayed discharges",
    "Outcomes for people",
    "Costs",
)
WORKFORCE = "Workforce"
TOPICS = (PEOPLE, ACTIVITY, BEDS, DELAYS, OUTCOMES, WORKFORCE, COSTS)


@dataclass(frozen=True)
class Metric:
    """One metric: its name in the output files and how to read it."""

    name: str
    label: str  # plain English, for tables and charts
    unit: str  # what one of it is: "admissions", "days", "GBP", ...
    kind: str  # a key of KINDS: what sort of quantity, which sets how it is shown
    aggregate: str  # a key of AGGREGATES: a total over the window, or a level
    topic: str  # one of TOPICS: its section of docs/metrics.md
    definition: str  # one line: what is counted, for whom, over what time
    scope: str = "cohort"  # a key of SCOPES
    sector: str = ""  # a key of SECTORS: the sector whose service it measures, if any


def _count(name: str, label: str, unit: str, definition: str, topic: str = ACTIVITY, sector: str = "") -> Metric:
    return Metric(name, label, unit, "count", "total", topic, definition, sector=sector)


def _delay(name: str, label: str, waiting_for: str) -> Metric:
    return Metric(
        name, label, "days", "days", "total", DELAYS, f"Delayed discharge days spent waiting for {waiting_for}."
    )


def _cost(name: str, label: str, definition: str, sector: str = "") -> Metric:
    return Metric(name, label, "GBP", "gbp", "total", COSTS, definition, sector=sector)


_SHARE = " (a cohort other than `all` pays its share of their use)"

# The metrics of every cohort, then the place-wide ones (sim.outcomes.metrics.kpi_table writes their values in
# this order); experiment files list them in this order too.
REGISTRY: tuple[Metric, ...] = (
    Metric(
        "person_years",
        "Person-years in the cohort",
        "person-years",
        "person_years",
        "total",
        PEOPLE,
        "Years lived in the window by the cohort's people, each from when they count (the window's start, entry "
        "to the cohort, reaching the age threshold or enrolment) to their death or the window's end.",
    ),
    *(
        Metric(
            f"people_{band}",
            f"People aged {label} at the end",
            "people",
            "count",
            "level",
            PEOPLE,
            f"The cohort's people aged {label} living in the place at the window's end (with yearly results, at "
            "each year's end): the age band's count, which a projection moves and a stationary baseline holds.",
        )
        for band, label in (
            ("under65_complex", "under 65 (complex needs)"),
            ("65_74", "65-74"),
            ("75_84", "75-84"),
            ("85plus", "85+"),
        )
    ),
    _count(
        "entrants",
        "People joining the cohort",
        "people",
        "People who joined the simulated cohort in the window and count in this cohort from then: turning 65, or "
        "adults under 65 with new complex needs.",
        topic=PEOPLE,
    ),
    _count(
        "moved_in",
        "People moving in at older ages",
        "people",
        "People who joined in the window at an age within 75-84 or 85+, as the demographic plan balances a band "
        "short of its path (sim/core/projection.py): calibration, not a migration estimate.",
        topic=PEOPLE,
    ),
    _count(
        "moved_away",
        "People leaving alive at a band's edge",
        "people",
        "People of the cohort who left the place alive in the window on turning 65, 75 or 85, as the demographic "
        "plan balances a band above its path (sim/core/projection.py): calibration, not a migration estimate.",
        topic=PEOPLE,
    ),
    _count(
        "gp_contacts",
        "GP contacts",
        "contacts",
        "Routine GP contacts (counted in bulk per person and period) and same-day GP contacts in a crisis.",
        sector="primary_care",
    ),
    _count(
        "ae_attendances",
        "A&E attendances",
        "attendances",
        "Attendances at A&E after a crisis, whether the person was then admitted or sent home.",
        sector="hospital",
    ),
    _count(
        "emergency_admissions",
        "Emergency admissions",
        "admissions",
        "Emergency admissions from A&E, counted when the person takes an acute bed (after any trolley wait).",
        sector="hospital",
    ),
    _count(
        "elective_admissions",
        "Elective admissions",
        "admissions",
        "Planned admissions on the elective route, day cases included, counted when the person takes the bed.",
        sector="hospital",
    ),
    _count(
        "elective_cancellations",
        "Elective admissions cancelled",
        "cancellations",
        "Booked planned admission dates cancelled on the day because no bed was free for them; a booking is "
        "cancelled at most once, then the person keeps their place on the waiting list until a bed is free.",
        sector="hospital",
    ),
    _count(
        "outpatient_attendances",
        "Outpatient attendances",
        "attendances",
        "First and follow-up outpatient attendances on the elective route.",
        sector="hospital",
    ),
    _count(
        "readmissions_30d",
        "Readmissions within 30 days",
        "admissions",
        "Emergency admissions within 30 days "
        "of the person's last discharge from an emergency stay (also counted in emergency admissions).",
        sector="hospital",
    ),
    _count(
        "crises",
        "Crises",
        "crises",
        "Health crises at home or in a care home, whatever route each then took (rapid response, GP or A&E).",
    ),
    _count(
        "rapid_responses",
        "Rapid responses",
        "responses",
        "Crises met at home by the community rapid response team.",
        sector="community",
    ),
    Metric(
        "rapid_response_kept_home_share",
        "Rapid responses that kept the person at home",
        "share",
        "share",
        "level",
        ACTIVITY,
        "Share of the rapid responses in the window after which the crisis was resolved at home (the rest went on "
        "to A&E).",
        sector="community",
    ),
    _count(
        "mdt_reviews",
        "MDT reviews",
        "reviews",
        "Scheduled reviews by an MDT co-ordinator of the people on their caseload.",
        sector="community",
    ),
    Metric(
        "bed_days",
        "Acute bed days",
        "days",
        "days",
        "total",
        BEDS,
        "Days the cohort's people spent in acute beds, emergency and elective stays, inside the window.",
        sector="hospital",
    ),
    Metric(
        "mean_occupied_beds",
        "Acute beds occupied by the cohort (mean)",
        "beds",
        "beds",
        "level",
        BEDS,
        "The cohort's acute bed days divided by the window's length: its mean number of occupied acute beds.",
        sector="hospital",
    ),
    Metric(
        "mean_los_days",
        "Mean emergency stay (days)",
        "days",
        "days",
        "level",
        BEDS,
        "Mean days from taking "
        "the bed to leaving it by discharge or death, delays included, over emergency stays ending in the window.",
    ),
    Metric(
        "delayed_discharge_days",
        "Delayed discharge days",
        "days",
        "days",
        "total",
        DELAYS,
        "Days in an acute "
        "bed after being medically fit, waiting for an assessment and then a place, inside the window.",
    ),
    # kept from before the national categories: the assessment or service unit awaited, each part of a category
    _delay(
        "delayed_days_awaiting_assessment",
        "Delayed days awaiting assessment",
        "a social worker's assessment (waiting for a social worker to be free included): the social worker's "
        "part of `delayed_days_assessment`",
    ),
    _delay(
        "delayed_days_awaiting_home_care",
        "Delayed days awaiting home care",
        "a home care package to be free: part of `delayed_days_home_care`",
    ),
    _delay(
        "delayed_days_awaiting_reablement",
        "Delayed days awaiting reablement",
        "a reablement place to be free: part of `delayed_days_home_care`",
    ),
    _delay(
        "delayed_days_awaiting_intermediate_care",
        "Delayed days awaiting intermediate care",
        "an intermediate care bed to be free: the days of `delayed_days_non_acute_nhs`",
    ),
    _delay(
        "delayed_days_awaiting_care_home",
        "Delayed days awaiting a care home",
        "a care home place to be free: the days of `delayed_days_care_home`",
    ),
    # who the returns attributed a delayed day to, by category and funding (sim/pathways/discharge.py)
    *(
        Metric(
            f"delayed_days_{who}",
            f"Delayed days, {label} responsible",
            "days",
            "days",
            "total",
            DELAYS,
            f"Delayed discharge days attributed to {label}, as England's delayed transfers of care returns "
            "attributed them: by category, and by who funds the care the person waits for.",
        )
        for who, label in (("nhs", "the NHS"), ("social_care", "social care"), ("both", "NHS and social care"))
    ),
    # the national returns' categories (EVIDENCE 4); every delayed day has exactly one
    _delay(
        "delayed_days_assessment",
        "Delayed days: completion of assessment",
        "an assessment to be completed (the hospital team's or a social worker's)",
    ),
    _delay(
        "delayed_days_public_funding",
        "Delayed days: public funding",
        "a funding decision (the council's, or NHS Continuing Healthcare)",
    ),
    _delay(
        "delayed_days_non_acute_nhs",
        "Delayed days: further non-acute NHS care",
        "a bed in intermediate care or a community hospital",
    ),
    _delay("delayed_days_care_home", "Delayed days: care home placement", "a care home place"),
    _delay(
        "delayed_days_home_care",
        "Delayed days: care package in own home",
        "home care or reablement: a package to be free, then the provider to start it",
    ),
    _delay("delayed_days_equipment", "Delayed days: equipment and adaptations", "community equipment or adaptations"),
    _delay("delayed_days_patient_choice", "Delayed days: patient or family choice", "the choice of a care home"),
    _delay("delayed_days_disputes", "Delayed days: disputes", "a dispute between organisations to be settled"),
    _delay("delayed_days_housing", "Delayed days: housing", "housing"),
    Metric(
        "trolley_wait_hours",
        "Trolley wait hours",
        "hours",
        "hours",
        "total",
        BEDS,
        "Hours emergency patients waited in A&E for an acute bed, from the decision to admit to taking the bed, "
        "summed over the admissions in the window, and to leaving A&E for a wait that ended without a bed (a "
        "death there, or medically fit) in the window.",
        sector="hospital",
    ),
    _count(
        "ae_sent_home_under_pressure",
        "Sent home from A&E as beds were short",
        "attendances",
        "A&E attendances that ended with the person sent home who would have been admitted had the hospital not "
        "been under pressure (the admission threshold rises with occupancy).",
        topic=BEDS,
        sector="hospital",
    ),
    _count(
        "deaths_waiting_for_a_bed",
        "Deaths in A&E waiting for a bed",
        "deaths",
        "People who died in A&E after the decision to admit, before a bed was free: the course of their admission "
        "ran on a trolley (no excess risk is added for the wait itself). Counted in deaths, not in deaths in "
        "hospital (an acute bed). Above 0 only where the queue for beds outlasts a course of care.",
        topic=BEDS,
        sector="hospital",
    ),
    _count(
        "fit_without_a_bed",
        "Medically fit in A&E without a bed",
        "people",
        "People who reached medically fit in A&E after the decision to admit, before a bed was free (corridor "
        "care), and went back where they live without an admission or a discharge pathway. Above 0 only where "
        "the queue for beds outlasts a course of care.",
        topic=BEDS,
        sector="hospital",
    ),
    Metric(
        "stay_days_shortened_under_pressure",
        "Stay days cut short as beds were short",
        "days",
        "days",
        "total",
        BEDS,
        "Days taken off emergency stays to medically fit because the hospital was under pressure (clinicians "
        "discharge sooner when beds are short), over the admissions in the window.",
        sector="hospital",
    ),
    _count(
        "ae_waits_over_4h",
        "A&E waits over 4 hours",
        "attendances",
        "A&E attendances in the window whose time from arrival to leaving A&E (admitted to a bed or sent home) was "
        "over 4 hours; one still in A&E at the window's end counts if it has already passed 4 hours.",
        topic=BEDS,
        sector="hospital",
    ),
    _count(
        "ae_waits_over_12h",
        "A&E waits over 12 hours",
        "attendances",
        "A&E attendances in the window whose time from arrival to leaving A&E (admitted to a bed or sent home) was "
        "over 12 hours; one still in A&E at the window's end counts if it has already passed 12 hours.",
        topic=BEDS,
        sector="hospital",
    ),
    Metric(
        "elective_waiting_list_mean",
        "Elective waiting list (mean)",
        "people",
        "count",
        "level",
        BEDS,
        "Mean number of the cohort's people on the elective waiting list over the window: from the GP referral "
        "(the 18-week clock's start) to the planned admission, the end of the outpatient episode without one, or "
        "death.",
        sector="hospital",
    ),
    Metric(
        "elective_waiting_over_18w_share",
        "Elective waiting list over 18 weeks",
        "share",
        "share",
        "level",
        BEDS,
        "Share of the elective waiting list (its person-days in the window) waiting more than 18 weeks since the "
        "GP referral: the referral-to-treatment measure of the waits not yet ended.",
        sector="hospital",
    ),
    Metric(
        "at_home_91d_after_reablement",
        "At home 91 days after reablement",
        "share",
        "share",
        "level",
        OUTCOMES,
        "Share of the people discharged into reablement who were at home 91 days later (deaths count as not at "
        "home); discharges too late in the window to observe are left out.",
    ),
    _count(
        "care_home_admissions",
        "Care home admissions (council-funded)",
        "admissions",
        "Permanent moves into a care home funded by the council; self-funders are left out.",
        topic=OUTCOMES,
        sector="social_care",
    ),
    _count(
        "social_care_requests_refused",
        "Social care requests refused",
        "requests",
        "Requests from the community for home care or a care home turned away because the council's waiting "
        "list was full.",
        topic=OUTCOMES,
        sector="social_care",
    ),
    Metric(
        "unmet_need_person_days",
        "Days with unmet need for care",
        "days",
        "days",
        "total",
        OUTCOMES,
        "Days people lived with a request for home care or a care home waiting on the council's list, or after "
        "one was refused (for social_care.unmet_need_refused_days), until care came or they died, inside the window.",
        sector="social_care",
    ),
    _count("deaths", "Deaths", "deaths", "Deaths, wherever they happened.", topic=OUTCOMES),
    _count("deaths_in_hospital", "Deaths in hospital", "deaths", "Deaths in an acute bed.", topic=OUTCOMES),
    # outcomes besides activity (sim.outcomes.days_at_home, sim.outcomes.continuity)
    Metric(
        "days_at_home",
        "Days at home",
        "days",
        "days",
        "total",
        OUTCOMES,
        "Days alive in the window spent out of hospital (not in A&E, an acute bed or an intermediate care bed), "
        "each person from when they count; a care home is home for people who lived there when they began to "
        "count, while days in a placement that began later are `days_in_new_care_home`. With the days in "
        "hospital, the two add up to the cohort's `person_years` x 365.25 days.",
    ),
    Metric(
        "days_in_new_care_home",
        "Days in a new care home placement",
        "days",
        "days",
        "total",
        OUTCOMES,
        "Days alive in the window spent in a care home placement, council-funded or self-funded, that began after "
        "the person began to count in the cohort; days in hospital from it are left out (counted as neither).",
        sector="social_care",
    ),
    Metric(
        "mdt_continuity_share",
        "MDT patients who kept one co-ordinator",
        "share",
        "share",
        "level",
        OUTCOMES,
        "Share of the people on an MDT caseload while they counted in the window who had one unbroken enrolment, "
        "so one named co-ordinator throughout; blank when nobody was enrolled. The model never changes the "
        "co-ordinator within an enrolment (it has no staff turnover, sickness or handover), so the only change "
        "it shows is leaving the caseload and being enrolled again: an upper bound on real continuity.",
        sector="community",
    ),
    Metric(
        "knows_whom_to_contact",
        "Know whom to contact after discharge",
        "share",
        "share",
        "level",
        OUTCOMES,
        "Share of discharges from an emergency stay after which the person knew whom to contact.",
    ),
    _cost(
        "cost_primary_care_gbp",
        "Primary care cost",
        "GP practices' cost (provider view): GP contacts at their unit cost and GPs' time in MDT meetings.",
        "primary_care",
    ),
    _cost(
        "cost_community_gbp",
        "Community cost",
        "Community services' cost (provider view): intermediate care beds, MDT co-ordinators, the rapid response "
        f"team, care navigators and the single point of access as capacity held{_SHARE}, plus community nursing "
        "visits at their unit cost.",
        "community",
    ),
    _cost(
        "cost_hospital_gbp",
        "Hospital cost",
        "The acute trust's cost (provider view): core acute beds held at the ward cost of a bed day"
        f"{_SHARE}, closed beds not yet cashed (`all` only), escalation bed days, and per use the non-ward part "
        "of emergency and ordinary elective admissions, day cases less their ward time, A&E and outpatient "
        "attendances, dates cancelled on the day and consultants' time in MDT meetings; under `all` also the "
        "background patients' admissions and cancellations.",
        "hospital",
    ),
    _cost(
        "cost_social_care_gbp",
        "Social care cost",
        "Council social work and care providers together (provider view): social workers and reablement places "
        f"held{_SHARE}, social workers' time in MDT meetings, home care hours and care home weeks (council-funded "
        "and self-funded) at their unit costs.",
        "social_care",
    ),
    _cost("cost_health_gbp", "Health cost", "Primary care, community and hospital cost together."),
    _cost(
        "cost_total_gbp",
        "Total cost",
        "Provider view: what every provider spends, each pound once; the sum of the `cost_provider_<organisation>_gbp` "
        "and of the four sectors; capacity held, closed beds not cashed and activity together.",
    ),
    _cost(
        "cost_capacity_gbp",
        "Cost of capacity held",
        "What the capacity held costs, used or not: core acute beds, intermediate care and reablement places, "
        "social workers, MDT co-ordinators, the rapid response team, care navigators and the single point of "
        f"access{_SHARE}.",
    ),
    _cost(
        "cost_stranded_gbp",
        "Cost of closed beds not cashed",
        "Under `all` only (0 for other cohorts): what the acute beds a shift closed still cost: all of it until "
        "costs.cashable_lag_months after the window's start, then all but costs.cashable_share of the whole wards "
        "closed (docs/costs.md).",
    ),
    _cost(
        "cost_activity_gbp",
        "Cost of activity",
        "Provider cost per use: the total less capacity held and closed beds not cashed (GP contacts, A&E, "
        "admissions' non-ward parts, cancellations, escalation bed days, outpatients, MDT meeting time, home care, "
        "care homes and community nursing).",
    ),
    _cost(
        "cost_provider_acute_trust_gbp",
        "Acute trust (provider cost)",
        "Provider view: the acute trust's cost, as `cost_hospital_gbp`.",
        "hospital",
    ),
    _cost(
        "cost_provider_community_services_gbp",
        "Community services (provider cost)",
        "Provider view: community services' cost, as `cost_community_gbp`.",
        "community",
    ),
    _cost(
        "cost_provider_gp_practices_gbp",
        "GP practices (provider cost)",
        "Provider view: GP practices' cost, as `cost_primary_care_gbp`.",
        "primary_care",
    ),
    _cost(
        "cost_provider_council_social_work_gbp",
        "Council social work (provider cost)",
        f"Provider view: the council's social workers held{_SHARE} and their time in MDT meetings.",
        "social_care",
    ),
    _cost(
        "cost_provider_care_providers_gbp",
        "Care providers (provider cost)",
        f"Provider view: reablement places held{_SHARE}, home care hours and care home weeks, council-funded and "
        "self-funded.",
        "social_care",
    ),
    _cost(
        "cost_paid_icb_gbp",
        "ICB (payment)",
        "Commissioner view: what the ICB pays: the acute trust national prices per A&E attendance, admission "
        "(its stay to costs.emergency_trim_days), excess bed day, elective episode, day case and outpatient "
        "attendance; community services on a block contract and GP practices by capitation, at their cost.",
    ),
    _cost(
        "cost_paid_council_gbp",
        "Council adult social care (payment)",
        "Commissioner view: what the council pays: its social workers, reablement places, home care hours and "
        "the care home weeks it funds.",
    ),
    _cost(
        "cost_paid_self_funders_gbp",
        "Self-funders (payment)",
        "Commissioner view: what people pay for their own care home weeks (NHS-funded places, not told apart in "
        "the records, are counted here too).",
    ),
    _cost(
        "cost_payment_total_gbp",
        "Total paid (commissioner view)",
        "Commissioner view: the sum of the `cost_paid_<payer>_gbp`, each pound once.",
    ),
    _cost(
        "cost_provider_minus_payment_gbp",
        "Provider cost less payments",
        "`cost_total_gbp` less `cost_payment_total_gbp`: the acute trust's cost beyond its activity income "
        "(beds held, closed beds not cashed, escalation, cancellations and MDT time less prices paid); negative "
        "when the prices pay more than the trust's cost.",
    ),
    Metric(
        "acute_occupancy",
        "Acute bed occupancy (all patients)",
        "share",
        "share",
        "level",
        BEDS,
        "Mean core acute beds in use by all patients, background load included, as a share of the core beds "
        "(ring-fenced elective beds included, escalation beds not); at most 1.",
        scope="place",
        sector="hospital",
    ),
    Metric(
        "acute_beds",
        "Acute beds (core)",
        "beds",
        "beds",
        "level",
        BEDS,
        "The place's core acute beds, ring-fenced elective beds included (escalation beds not counted).",
        scope="place",
        sector="hospital",
    ),
    Metric(
        "escalation_bed_days",
        "Escalation bed days",
        "days",
        "days",
        "total",
        BEDS,
        "Days escalation beds were in use in the window, by any patient: they open only when every general core "
        "bed is full, up to their cap, and close as core beds free.",
        scope="place",
        sector="hospital",
    ),
    Metric(
        "background_elective_cancellations",
        "Background elective dates cancelled",
        "cancellations",
        "count",
        "total",
        BEDS,
        "Booked planned admissions of patients outside the simulated cohort (the background load) cancelled on "
        "the day because no ring-fenced or core bed was free; each booking at most once.",
        scope="place",
        sector="hospital",
    ),
    # the workforce the capacity stands for (sim.outcomes.workforce): outputs only, the model runs on capacity
    Metric(
        "wte_coordinators",
        "MDT co-ordinators (WTE)",
        "WTE",
        "workforce",
        "level",
        WORKFORCE,
        "MDT co-ordinator posts of all disciplines (mdt.coordinators_per_100k) in the window, each post one "
        "whole-time equivalent, as costs.coordinator_year prices a full-time post.",
        scope="place",
        sector="community",
    ),
    Metric(
        "wte_social_workers",
        "Hospital social workers (WTE)",
        "WTE",
        "workforce",
        "level",
        WORKFORCE,
        "The hospital social work team's capacity (social_care.social_workers_per_100k, in assessments in "
        "progress at once) in whole-time equivalents: social_care.social_worker_wte_per_assessment per "
        "assessment, 1 by assumption.",
        scope="place",
        sector="social_care",
    ),
    Metric(
        "wte_community_nurses",
        "Community nurses (WTE)",
        "WTE",
        "workforce",
        "level",
        WORKFORCE,
        "Rapid response capacity (visits in progress at once) times community.rapid_response_wte_per_visit (2 by "
        "assumption), plus the district nursing visits made to the simulated cohort in the window, a year, times "
        "community.nursing_visit_hours over community.nurse_hours_per_year; nursing for people outside the "
        "cohort is not counted.",
        scope="place",
        sector="community",
    ),
    Metric(
        "home_care_hours_per_week",
        "Home care hours a week",
        "hours a week",
        "workforce",
        "level",
        WORKFORCE,
        "Mean home care packages in use over the window (held by people of the cohort, kept while they are in "
        "hospital) times costs.home_care_hours_per_week: the hours of care a week the home care market delivers.",
        scope="place",
        sector="social_care",
    ),
)
BY_NAME = {m.name: m for m in REGISTRY}
NAMES = tuple(BY_NAME)  # every metric, in the registry's order

COHORT_METRICS = tuple(m.name for m in REGISTRY if m.scope == "cohort")  # measured for every cohort
PLACE_METRICS = tuple(m.name for m in REGISTRY if m.scope == "place")  # under cohort ``all`` only
SHARES = tuple(m.name for m in REGISTRY if m.kind == "share")
WORKFORCE_METRICS = tuple(m.name for m in REGISTRY if m.topic == WORKFORCE)  # place-wide staff and care hours
COST_SECTORS = ("cost_primary_care_gbp", "cost_community_gbp", "cost_hospital_gbp", "cost_social_care_gbp")
# the organisations of each cost view (sim.outcomes.costs.VIEWS): each view's metrics sum to its total
COST_PROVIDERS = tuple(
    m.name for m in REGISTRY if m.name.startswith("cost_provider_") and m.name != "cost_provider_minus_payment_gbp"
)
COST_PAYERS = tuple(m.name for m in REGISTRY if m.name.startswith("cost_paid_"))
# each organisation of the ledger (ledger.csv's ``organisation``) in words: its metric's label without "(...)"
ORGANISATION_NAMES = {
    m.removeprefix("cost_provider_").removeprefix("cost_paid_").removesuffix("_gbp"): BY_NAME[m].label.split(" (")[0]
    for m in (*COST_PROVIDERS, *COST_PAYERS)
}
# the first table ``caresim run`` prints
RUN_MAIN = (
    "person_years",
    "emergency_admissions",
    "ae_attendances",
    "readmissions_30d",
    "bed_days",
    "mean_los_days",
    "delayed_discharge_days",
    "trolley_wait_hours",
    "ae_waits_over_4h",
    "elective_waiting_list_mean",
    "care_home_admissions",
    "deaths",
    "cost_total_gbp",
    "acute_occupancy",
    "escalation_bed_days",
)
# the activity a change moves first, at the head of a comparison's tables and of its forest plot
ACTIVITY_MAIN = (
    "crises",
    "ae_attendances",
    "emergency_admissions",
    "readmissions_30d",
    "elective_admissions",
    "outpatient_attendances",
    "bed_days",
    "delayed_discharge_days",
)
# the changes a commissioner looks at first: ``caresim compare``'s tables and its charts
COMPARISON_MAIN = (
    *ACTIVITY_MAIN,
    "trolley_wait_hours",
    "ae_sent_home_under_pressure",
    "deaths_waiting_for_a_bed",
    "fit_without_a_bed",
    "stay_days_shortened_under_pressure",
    "ae_waits_over_4h",
    "ae_waits_over_12h",
    "elective_cancellations",
    "elective_waiting_list_mean",
    "elective_waiting_over_18w_share",
    "care_home_admissions",
    "at_home_91d_after_reablement",
    "days_at_home",
    "days_in_new_care_home",
    "knows_whom_to_contact",
    "mdt_continuity_share",
    "deaths",
    "cost_capacity_gbp",
    "cost_stranded_gbp",
    "cost_activity_gbp",
    "cost_total_gbp",
    "cost_payment_total_gbp",
    "acute_occupancy",
    "escalation_bed_days",
)
# the forest plot's rows: the activity, then where people end up and the whole cost
FOREST_MAIN = (*ACTIVITY_MAIN, "care_home_admissions", "deaths", "cost_total_gbp")
# the report's headline changes and the what-if page's table
HEADLINE = (
    "emergency_admissions",
    "bed_days",
    "delayed_discharge_days",
    "at_home_91d_after_reablement",
    *COST_SECTORS,
    "cost_total_gbp",
)
GROUPS = {
    "Main results of `caresim run`": RUN_MAIN,
    "Main changes of `caresim compare`": COMPARISON_MAIN,
    "Headline changes of the report and the what-if page": HEADLINE,
    "Costs by sector": COST_SECTORS,
    "Provider view, by organisation": COST_PROVIDERS,
    "Commissioner view, by payer": COST_PAYERS,
    "Shares (shown in per cent, changes in percentage points)": SHARES,
    "Workforce (place-wide)": WORKFORCE_METRICS,
}


def entry(name: str) -> Metric:
    """The registry's entry for ``name``; a KeyError names the metric when there is none."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a metric of sim.outcomes.registry") from None


def label(name: str) -> str:
    """The plain label of a metric; a name outside the registry (a derived rate, say) is shown as it is."""
    m = BY_NAME.get(name)
    return m.label if m else name


def long_label(name: str) -> str:
    """The label with "(GBP)" after a cost: for tables where costs sit among counts."""
    return f"{label(name)} (GBP)" if is_cost(name) else label(name)


def unit(name: str) -> str:
    """What one of a metric is: "admissions", "days", "GBP", ..."""
    return entry(name).unit


def is_share(name: str) -> bool:
    """Whether a metric is a share in 0-1 (shown in per cent); False for a name outside the registry."""
    m = BY_NAME.get(name)
    return m is not None and m.kind == "share"


def is_cost(name: str) -> bool:
    """Whether a metric is a cost in GBP; False for a name outside the registry."""
    m = BY_NAME.get(name)
    return m is not None and m.kind == "gbp"


def per_year(name: str) -> bool:
    """Whether a metric is a total over the window that reads as a rate a year (counts, days, hours, costs).

    Tables show these beside annual statistics divided by the window's length in years; levels (means and
    shares) and person-years are not; False for a name outside the registry.
    """
    m = BY_NAME.get(name)
    return m is not None and m.aggregate == "total" and m.kind != "person_years"


def sector_title(name: str) -> str:
    """The plain title of the sector whose service a metric measures ("" when none)."""
    return SECTORS.get(entry(name).sector, "")


# --- cohorts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortInfo:
    """One cohort of ``kpis.csv``: its name, its plain titles and who is in it."""

    name: str
    title: str  # in one run
    compared: str  # in a comparison against a reference
    definition: str


MDT_PREFIX = "mdt:"  # cohort mdt:X: the reference run measured over the people enrolled in scenario X
MATCHED_PREFIX = "matched:"  # cohort matched:X: the evaluation emulated (sim.outcomes.evaluation)
COHORTS: tuple[CohortInfo, ...] = (
    CohortInfo(
        "all",
        "Everyone in the simulated cohort",
        "Everyone in the simulated cohort",
        "Everyone aged 65 or over and the younger adults with complex long-term needs, simulated person by "
        "person (the background load is not in it), each counted from the window's start or their entry.",
    ),
    CohortInfo(
        "65plus",
        "People aged 65 or over",
        "People aged 65 or over",
        "The simulated people aged 65 or over, each counted from the latest of the window's start, their "
        "entry and their 65th birthday.",
    ),
    CohortInfo(
        "85plus",
        "People aged 85 or over",
        "People aged 85 or over",
        "The simulated people aged 85 or over, each counted from the latest of the window's start, their "
        "entry and their 85th birthday.",
    ),
    CohortInfo(
        "mdt",
        "People enrolled in an MDT",
        "People enrolled in the MDT, against the same people in the reference",
        "The people enrolled in an MDT in this run, each counted from their first enrolment; in "
        f"a comparison the same people are measured in the reference too (cohort `{MDT_PREFIX}X`).",
    ),
    *(
        CohortInfo(
            f"imd{q}",
            f"People in the {where} fifth of the Index of Multiple Deprivation",
            f"People in the {where} fifth of the Index of Multiple Deprivation",
            f"The simulated people whose IMD fifth (quintile, 1 the most deprived; drawn from the place's "
            f"profile, deprivation.shares) is {q}, each counted from the window's start or their entry.",
        )
        for q, where in enumerate(("most deprived", "second", "middle", "fourth", "least deprived"), 1)
    ),
    CohortInfo(
        "imd_gap",
        "The gap between the most and least deprived fifths",
        "The gap between the most and least deprived fifths",
        "Not people but a difference, imd1 minus imd5: for a total, per 1,000 person-years (a rate, not a "
        "count); for a level that grows with the cohort (occupied beds, the waiting list), per 1,000 people; "
        "for other levels (shares, mean stays), the difference itself; no `person_years`. A change in it "
        "between scenarios says whether a what-if narrows the gap (towards 0) or widens it.",
    ),
)
# cohorts only a comparison writes, for the people enrolled in scenario X (docs/evaluation.md)
COMPARISON_COHORTS: tuple[CohortInfo, ...] = (
    CohortInfo(
        f"{MDT_PREFIX}X",
        "The people enrolled in X, in the reference",
        "The same people without the MDT: the true effect",
        "Under the reference scenario: the people enrolled in scenario X, each counted from their enrolment "
        "date in X, measured in the reference run (their counterfactual).",
    ),
    CohortInfo(
        f"{MATCHED_PREFIX}X",
        "The people enrolled in X, as an evaluation measures them",
        "The evaluation's estimate from matched controls",
        "The evaluation's emulated design: under scenario X, the enrolled people's evaluated counts in the "
        "window after their enrolment; under the reference, the counts they would have had by the change "
        "in controls risk-set matched in the reference run (difference in differences).",
    ),
)
COHORT_NAMES = tuple(c.name for c in COHORTS)
IMD_COHORTS = ("imd1", "imd2", "imd3", "imd4", "imd5")  # the IMD fifths, most deprived first (empty when off)
IMD_GAP = "imd_gap"  # imd1 minus imd5, as rates (sim.outcomes.deprivation)
# measured in every run; mdt only where someone was enrolled
STANDARD_COHORTS = ("all", "65plus", "85plus", *IMD_COHORTS, IMD_GAP)
COMPARED_COHORTS = ("all", "mdt")  # the cohorts comparisons show
# a change against the reference, as columns of a comparison and of a summary: the difference, then in per cent
CHANGE_COLUMNS = ("diff_mean", "diff_ci_low", "diff_ci_high", "pct_change", "pct_ci_low", "pct_ci_high")
# true where either run compared (the scenario's or its reference's) has a queue growing through the window
# (sim.analysis.stability): its changes reflect a gridlock, not an effect; last column of comparison.csv and summary.csv
UNSTABLE = "unstable"
# the columns of an experiment's summary.csv (design brief section 8)
SUMMARY_COLUMNS = (
    "scenario",
    "grid",
    "cohort",
    "metric",
    "n",
    "mean",
    "ci_low",
    "ci_high",
    *CHANGE_COLUMNS,
    "paired",
    UNSTABLE,
)
# the weekly series (timeseries.csv) of the queues the overload check tests, each with who waits in it, in plain words
QUEUE_SERIES = {
    "trolley_queue": "patients waiting in A&E for an acute bed",
    "elective_waiting_list": "people on the elective waiting list",
    "social_workers_queue": "patients waiting for a discharge assessment by a social worker",
    "home_care_queue": "people waiting for a home care package",
    "reablement_queue": "people waiting for a reablement place",
    "intermediate_care_queue": "people waiting for an intermediate care bed",
    "care_homes_queue": "people waiting for a care home place",
    "delayed_patients": "patients in hospital waiting to leave (delayed discharges)",
}


def cohort(name: str) -> CohortInfo:
    for c in COHORTS:
        if c.name == name:
            return c
    raise KeyError(f"{name!r} is not a cohort of sim.outcomes.registry")


# --- checks and the document -----------------------------------------------------------------------


def problems(m: Metric) -> list[str]:
    """What is wrong with an entry (empty list when nothing): empty texts, unknown kinds, scopes or sectors."""
    out = [f"{m.name or '?'}: empty {f}" for f in ("name", "label", "unit", "definition") if not getattr(m, f).strip()]
    for field, known in (("kind", KINDS), ("aggregate", AGGREGATES), ("scope", SCOPES), ("topic", TOPICS)):
        if getattr(m, field) not in known:
            out.append(f"{m.name}: unknown {field} {getattr(m, field)!r}")
    if m.sector and m.sector not in SECTORS:
        out.append(f"{m.name}: unknown sector {m.sector!r}")
    if "\n" in m.definition or "|" in m.definition + m.label:
        out.append(f"{m.name}: the label and definition must be one line without '|'")
    return out


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in rows]


def markdown() -> str:
    """``docs/metrics.md``: the cohorts, a table of metrics per topic, the kinds and the groups outputs use."""
    out = [
        "# Metrics",
        "",
        "<!-- Generated from sim/outcomes/registry.py: python -m sim.outcomes.registry > docs/metrics.md -->",
        "",
        "Every metric caresim writes to `kpis.csv` (`scenario, replication, cohort, metric, value`), and so to "
        "`comparison.csv` and `summary.csv`. Values are counts, days, hours, shares in 0-1 or GBP, never rates: "
        "rates come from `person_years`. A **total** is summed over the statistics window; a **level** is "
        f"{AGGREGATES['level']}. Scope **{SCOPES['cohort']}** means the metric is measured for each cohort; "
        f"**place** means it covers {SCOPES['place']}, background load included.",
        "",
        "## Cohorts",
        "",
    ]
    out += _table(
        ["cohort", "title", "who"], [[f"`{c.name}`", c.title, c.definition] for c in COHORTS + COMPARISON_COHORTS]
    )
    for topic in TOPICS:
        rows = [
            [
                f"`{m.name}`",
                m.label,
                m.unit,
                m.aggregate,
                "place" if m.scope == "place" else "every cohort",
                m.definition,
            ]
            for m in REGISTRY
            if m.topic == topic
        ]
        head = ["name", "label", "unit", "total or level", "scope", "definition"]
        out += ["", f"## {topic}", ""] + _table(head, rows)
    out += ["", "## Kinds", ""] + _table(
        ["kind", "meaning", "metrics"],
        [
            [f"`{k}`", meaning, ", ".join(f"`{m.name}`" for m in REGISTRY if m.kind == k)]
            for k, meaning in KINDS.items()
        ],
    )
    out += ["", "## Groups the outputs show", ""]
    out += [f"- {title}: " + ", ".join(f"`{n}`" for n in names) for title, names in GROUPS.items()]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
