"""The parameter tree of caresim: every number the model uses, with unit and source.

Per-band tuples follow ``AGE_BANDS`` (younger adults with complex needs, 65-74,
75-84, 85+); per-frailty tuples follow ``FRAILTY`` (fit, mild, moderate,
severe); per-need tuples follow ``NEEDS``.  Capacities are per 100,000
registered people so they scale with the place.  Sources cite rows of the
evidence sheet (EVIDENCE.md, section and figure), a seed file, or state
"assumption: why".  Values marked "calibrated" were fitted to the baseline
ranges listed in ``calibration/baseline.md`` (what, to which figure, how).
"""

from __future__ import annotations

from sim.parameters.tree import (
    HOURS_PER_WEEK,
    MAX_CAPACITY_PER_100K,
    MAX_DAYS,
    MAX_GBP,
    MAX_MULTIPLIER,
    MAX_PER_100K_PER_YEAR,
    MAX_PER_EPISODE,
    MAX_PER_PERSON_YEAR,
    Group,
    ParameterError,
    closest,
    frozen,
    group,
    param,
)
from sim.vocabulary import Need

AGE_BANDS = ("under65_complex", "65_74", "75_84", "85plus")
FRAILTY = ("fit", "mild", "moderate", "severe")
NEEDS = tuple(need.name.lower() for need in Need)  # the main needs' names in Need's order: physical_frailty, ...
MONTH_DAYS = (31.0, 28.25, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0)  # January to December: a year of 365.25 days

EFI_HR_MORTALITY = "EVIDENCE 2: Clegg et al., Age and Ageing 2016 (eFI mortality hazard ratios 1.92/3.10/4.52)"
EFI_HR_ADMISSION = "EVIDENCE 2: Clegg et al., Age and Ageing 2016 (eFI hospitalisation hazard ratios 1.93/3.04/4.73)"


def _shares(name: str, values: tuple[float, ...]) -> None:
    if abs(sum(values) - 1.0) > 1e-6:
        raise ParameterError(f"{name}: shares must sum to 1, they sum to {sum(values):.6g}")


@frozen
class Place(Group):
    registered_population: int = param(250_000, "people", "DESIGN 2: default place of 250,000 registered people", lo=1_000, hi=5_000_000)
    share_65_74: float = param(0.089, "share of registered", "EVIDENCE 2: HSCIC 2014, 1 in 6 aged 65+ (England 2012); split by band from ONS mid-2012 estimates (approximate)", lo=0, hi=1)
    share_75_84: float = param(0.055, "share of registered", "EVIDENCE 2: as share_65_74", lo=0, hi=1)
    share_85plus: float = param(0.023, "share of registered", "EVIDENCE 2: HSCIC 2014, 1 in 44 aged 85+", lo=0, hi=1)
    capacity_population: int = param(0, "people; 0 = the registered population", "DESIGN 5: a scenario may pin capacities in absolute numbers, so a growing population meets the same beds: capacities per 100,000 are then applied to this population", lo=0, hi=5_000_000)
    entrants_per_100k_per_year: float = param(900.0, "people joining the cohort a year per 100,000 registered", "read only with hold_age_structure = false (the model of version 0.5 and before): calibrated then to keep the baseline cohort's size stable (deaths replaced by people turning 65 and new complex needs), though not each band's count", lo=0, hi=MAX_PER_100K_PER_YEAR)
    entrant_share_under65_complex: float = param(0.1, "share of entrants", "read only with hold_age_structure = false: assumption, most entrants are turning 65", lo=0, hi=1)
    hold_age_structure: bool = param(True, "on/off: each age band's count follows its path (held at time 0's, or the projection's)", "DESIGN 2: the baseline population is stable; demographic scenarios change it. On: people turning 65, new complex needs under 65, and people joining or leaving at a band's edge, as the demographic plan sets them (sim/core/projection.py), with ages within each band falling off at the band's expected death rate (expected_deaths_*); off: the constant stream of entrants of version 0.5 and before (entrants_per_100k_per_year), with uniform ages within bands, under which the 75-84 and 85+ counts drift up (by a fifth in ten years)")
    expected_deaths_under65_complex: tuple[float, ...] = param((0.0061, 0.0185, 0.0451, 0.1126), "deaths per person-year by frailty (fit, mild, moderate, severe), at baseline", "calibrated: deaths per person-year of the band's people at each frailty level (fit, mild, moderate, severe; at home, in a care home, in intermediate care and in hospital together) in the baseline held stationary, 250,000 people, 2 replications of ten years from time 0, in three rounds each run with the last one's rates, the last two within 3% of each other (python -m sim.calibration.demography_fit); refitted for 0.7.0 (people waiting can die, care homes 65+ only) in two rounds from 0.6.0's rates, the second within 3% of the first (--rounds 3 --tolerance 0.03), and for 0.8.0 (frailty's mix held, care home flows refitted) in three rounds; what the demographic plan (sim/core/projection.py) expects, so that the bands hold with place.hold_age_structure: a scenario that changes mortality changes the population through it, as the plan does not follow a run", lo=0, hi=2, length=4)
    expected_deaths_65_74: tuple[float, ...] = param((0.0078, 0.0206, 0.0469, 0.1107), "deaths per person-year by frailty, at baseline", "as expected_deaths_under65_complex", lo=0, hi=2, length=4)
    expected_deaths_75_84: tuple[float, ...] = param((0.0179, 0.0442, 0.099, 0.2161), "deaths per person-year by frailty, at baseline", "as expected_deaths_under65_complex", lo=0, hi=2, length=4)
    expected_deaths_85plus: tuple[float, ...] = param((0.0484, 0.1169, 0.2497, 0.5272), "deaths per person-year by frailty, at baseline", "as expected_deaths_under65_complex", lo=0, hi=2, length=4)
    share_under65_complex: float = param(0.033, "share of registered", "assumption: younger adults with complex long-term needs make the cohort about 50,000 at 250,000 registered (DESIGN 2)", lo=0, hi=1)

    def check(self) -> None:
        total = self.share_65_74 + self.share_75_84 + self.share_85plus + self.share_under65_complex
        if total > 1:
            raise ParameterError(f"share_65_74 + share_75_84 + share_85plus + share_under65_complex: the cohort shares sum to {total:.3f}, more than the whole place")


@frozen
class Time(Group):
    horizon_days: float = param(730.0, "days", "seed 000_15772bc302cd49ff.txt: the pilots were evaluated over two years", lo=1, hi=36_500)
    warmup_days: float = param(365.0, "days", "MSER-5 on the baseline's daily series: acute occupancy settles by about 180 days, social care use by about a year (docs/warmup.md)", lo=0, hi=36_500)
    timeseries_step_days: float = param(7.0, "days", "DESIGN 8: weekly time series", lo=1, hi=365)
    start_month: int = param(4, "calendar month (1-12) whose first day is day 0 of a run", "assumption: 1 April, the start of the NHS financial year, so that a run's years are financial years; with the default warm-up of a year the statistics window starts there too; sets the calendar of demand.monthly_pattern", lo=1, hi=12)


PROJECTIONS = ("none", "ons_principal", "own")  # projection.name: the tables themselves are in sim/core/projection.py
FACTORS = "count at the end of each year of the statistics window over the count at its start, year 1 first (after the last, held)"


@frozen
class Projection(Group):
    """Where the place's age bands go from the start of the statistics window, and how mortality and frailty
    change on the way (sim/core/projection.py makes the plan; sim/pathways/demography.py follows it).

    With ``name = "none"`` each band's count is held at time 0's and nothing here acts.
    """

    name: str = param("none", "none, ons_principal or own", "DESIGN 2: the baseline population is stable (none); ons_principal: the ONS principal projection for England, as yearly growth per band derived from published figures (sim/core/projection.py quotes them); own: the factors_* below")
    factors_under65_complex: tuple[float, ...] = param((1.0,), FACTORS, "a scenario's own projection (name = own); the default, 1, holds the band", lo=0.01, hi=100)
    factors_65_74: tuple[float, ...] = param((1.0,), FACTORS, "as factors_under65_complex", lo=0.01, hi=100)
    factors_75_84: tuple[float, ...] = param((1.0,), FACTORS, "as factors_under65_complex", lo=0.01, hi=100)
    factors_85plus: tuple[float, ...] = param((1.0,), FACTORS, "as factors_under65_complex", lo=0.01, hi=100)
    mortality_improvement_per_year: float = param(0.012, "relative fall in death rates a year, compounded from the start of the statistics window (while a projection runs)", "ONS, National population projections, mortality assumptions: 2018-based (2019): the long-term rate of mortality improvement, 1.2% a year for ages 0 to 90 from 2043 (lower above 90); assumption: that rate from the start; it multiplies every death hazard (at home, in a care home, in intermediate care) and the chance of dying in an acute stay", lo=-0.2, hi=0.2)
    healthy_ageing: bool = param(False, "on/off: a share of the life-years gained is spent fit (healthy_ageing_share)", "off: frailty's steps stay as today, so the years gained from mortality improvement are lived with today's frailty by age")
    healthy_ageing_share: float = param(0.5, "share of the life-years gained at 65 from mortality improvement that are spent fit", "assumption: about half, between the men and the women of the PACSim model for England 2015-2035 (Kingston, Comas-Herrera and Jagger, Lancet Public Health 2018: at 65, men gain 3.5 years of life and 4.2 years of independence, women 3.0 years of life of which 2.1 with care needs); independence without care needs stands for fit; frailty's onset (fit to mild) slows to give this share (sim/core/projection.py)", lo=0, hi=1)

    def check(self) -> None:
        if self.name not in PROJECTIONS:
            guess = closest(self.name, list(PROJECTIONS))
            hint = f"did you mean '{guess}'?" if guess else f"choose from {', '.join(PROJECTIONS)}"
            raise ParameterError(f"name: unknown projection '{self.name}'; {hint}")
        own = (self.factors_under65_complex, self.factors_65_74, self.factors_75_84, self.factors_85plus)
        if self.name != "own" and any(f != (1.0,) for f in own):
            raise ParameterError(f"factors_*: given, but the projection is '{self.name}'; set name = \"own\" to follow them")


RECOVERY_SOURCE = (
    "calibrated (0.8.0, python -m sim.calibration.frailty_fit, calibration/baseline.md): the three rates of each band "
    "solved so that the band's frailty shares (people.frailty_*, weighted to the eFI prevalence of Clegg et al. 2016) "
    "are the long-run shares of the demographic plan's cohort (sim/core/projection.py: frailty's steps up at "
    "frailty_step_per_year, deaths at place.expected_deaths_*, ageing, people joining at the bands' shares), so "
    "the mix at time 0 is the mix the baseline keeps; frailty is dynamic, transitions to less frail states are "
    "common (Gill et al., Arch Intern Med 2006). Before 0.8.0 one rate per band (0.30, 0.36, 0.22, 0.20), which "
    "let the mix drift: in ten years the 85+ severely frail share went from 9% to 15%, mild from 45% to 31%"
)


@frozen
class People(Group):
    frailty_under65_complex: tuple[float, ...] = param((0.50, 0.30, 0.15, 0.05), "shares fit/mild/moderate/severe", "assumption: younger adults with complex needs are mostly not frail", hi=1, length=4)
    frailty_65_74: tuple[float, ...] = param((0.62, 0.28, 0.08, 0.02), "shares", "assumption by band, weighted to the eFI prevalence of Clegg et al. 2016 (65+: fit 50%, mild 35%, moderate 12%, severe 3%)", hi=1, length=4)
    frailty_75_84: tuple[float, ...] = param((0.42, 0.40, 0.14, 0.04), "shares", "as frailty_65_74", hi=1, length=4)
    frailty_85plus: tuple[float, ...] = param((0.22, 0.45, 0.24, 0.09), "shares", "as frailty_65_74", hi=1, length=4)
    frailty_step_per_year: tuple[float, ...] = param((0.10, 0.130, 0.214, 0.380), "per person-year, by band", "EVIDENCE 2: fit -> frail per 1,000 person-years 130/214/380 (Age and Ageing 2023), applied to each step up; under-65: assumption", hi=MAX_PER_PERSON_YEAR, length=4)
    frailty_recovery_under65_complex: tuple[float, ...] = param((0.1420, 0.1456, 0.2092), "steps down per person-year from mild, moderate and severe (to fit, mild and moderate)", RECOVERY_SOURCE, lo=0, hi=MAX_PER_PERSON_YEAR, length=3)
    frailty_recovery_65_74: tuple[float, ...] = param((0.2774, 0.4263, 0.4571), "steps down per person-year from mild, moderate and severe", "as frailty_recovery_under65_complex", lo=0, hi=MAX_PER_PERSON_YEAR, length=3)
    frailty_recovery_75_84: tuple[float, ...] = param((0.1076, 0.4037, 0.4804), "steps down per person-year from mild, moderate and severe", "as frailty_recovery_under65_complex", lo=0, hi=MAX_PER_PERSON_YEAR, length=3)
    frailty_recovery_85plus: tuple[float, ...] = param((0.0912, 0.4400, 0.6075), "steps down per person-year from mild, moderate and severe", "as frailty_recovery_under65_complex", lo=0, hi=MAX_PER_PERSON_YEAR, length=3)
    need_65plus: tuple[float, ...] = param((0.62, 0.14, 0.08, 0.04, 0.01, 0.11), "shares by main need", "assumption: physical frailty most common; dementia about 7% of 65+ and more of the frail (seed 000 lists the need groups)", hi=1, length=6)
    need_under65_complex: tuple[float, ...] = param((0.05, 0.02, 0.45, 0.03, 0.15, 0.30), "shares by main need", "assumption: complex needs under 65 are mostly mental health, disability, substance misuse", hi=1, length=6)
    lives_alone: tuple[float, ...] = param((0.30, 0.25, 0.38, 0.55), "share, by band", "assumption: about a third of 65+ live alone, more with age (ONS families and households, approximate)", lo=0, hi=1, length=4)
    persistent_risk_sd: float = param(0.10, "sd of a mean-1 log-normal multiplier", "calibrated with crisis.transient_boost (python -m sim.calibration.baseline_fit risk; calibration/baseline.md): how much risk is a person's own and lasting, beyond frailty, age and need, fitted with the frequent admitters' share of the next year's emergency admissions, under 10% (EVIDENCE 3, Roland et al., BMJ 2005); 10% use 55% of inpatient days (EVIDENCE 3) is validation, not fitted", lo=0, hi=5)
    risk_score_noise_sd: float = param(0.5, "sd of log-normal noise", "assumption: placeholder for case finding (next issue)", lo=0, hi=5)

    def recovery(self, band: int) -> tuple[float, ...]:
        """The band's steps down per person-year from mild, moderate and severe (bands as AGE_BANDS)."""
        rates = (self.frailty_recovery_under65_complex, self.frailty_recovery_65_74, self.frailty_recovery_75_84)
        return (*rates, self.frailty_recovery_85plus)[band]

    def check(self) -> None:
        for name in ("frailty_under65_complex", "frailty_65_74", "frailty_75_84", "frailty_85plus", "need_65plus", "need_under65_complex"):
            _shares(name, getattr(self, name))


@frozen
class Mortality(Group):
    at_home_fit_per_year: tuple[float, ...] = param((0.004, 0.006, 0.015, 0.040), "deaths per person-year outside hospital, fit, by band", "calibrated: with in-hospital deaths, gives about 1.5%/4.5%/14% a year at 65-74/75-84/85+ (ONS age-specific mortality, approximate)", lo=0, hi=1, length=4)
    frailty_hr: tuple[float, ...] = param((1.0, 1.92, 3.10, 4.52), "hazard ratio", EFI_HR_MORTALITY, lo=0, hi=MAX_MULTIPLIER, length=4)
    care_home_hr: float = param(3.52, "hazard ratio at 85+ (below 85 times care_home_hr_age_step a band)", "calibrated (0.8.0, after a four-year warm-up, with the age steps of entries and of this ratio) with discharge.care_home_by_frailty (python -m sim.calibration.baseline_fit flows --warmup-days 1461, calibration/baseline.md): care home turnover (places free up as residents die) so that residents stay about 490 per 100,000 (EVIDENCE 4, IAU 2019) and council-supported admissions fit ASCOF 2A(2), 578-659 per 100,000 65+ a year (EVIDENCE 4); residents are frailer than their eFI level shows; care home stays (EVIDENCE 4, validation) are compared, not fitted", lo=0, hi=20)
    care_home_hr_age_step: float = param(1.40, "factor on care_home_hr per age band below 85+: 75-84 this, 65-74 its square", "calibrated (0.8.0, python -m sim.calibration.baseline_fit flows, calibration/baseline.md) within a range from ONS, Life expectancy in care homes, England and Wales: 2021 to 2022: residents' life expectancy against other people's is 6.3 against 20.2 years (men) and 7.0 against 23.3 (women) at 65-69, 2.2 against 5.5 and 2.9 against 6.9 at 90+, a ratio of about 3.3 at 65-69 and 2.45 at 90+; a ratio of life expectancies understates the ratio of hazards at 65-69 (it averages the years after), so at least 1.35 over two bands, 1.15 a band; range 1-2. Residents' excess mortality falls with age", lo=0, hi=MAX_MULTIPLIER)
    in_hospital_by_frailty: tuple[float, ...] = param((0.03, 0.05, 0.08, 0.12), "probability per emergency admission", "assumption: in-hospital mortality rises with frailty (about 6% of older emergency admissions die in hospital)", lo=0, hi=1, length=4)
    need_carries_care_home_hr: bool = param(True, "on/off: a person waiting for a care home place (at home, or medically fit in a hospital bed) dies at the care home rate (care_home_hr)", "assumption: care_home_hr is calibrated as the frailty of residents beyond what their eFI level shows (the need for a care home, not the place, carries the risk), so a person assessed as needing a place carries it while they wait; without it a place short of care home places kept its frailest people alive at home (a ten-year projection with pinned capacity ran above the ONS projection of the 85+). Off: waiting people die at their own rate, as in version 0.6")


@frozen
class Crisis(Group):
    fit_per_year: tuple[float, ...] = param((0.205, 0.184, 0.274, 0.437), "crises per person-year, fit, by band", "calibrated with transient_boost, transient_half_life_days and people.persistent_risk_sd (python -m sim.calibration.baseline_fit risk; calibration/baseline.md): emergency admissions of 65+ about 245 per 1,000 a year (EVIDENCE 3); one factor on the shape by band of version 0.2 (1.282 x (0.16, 0.143, 0.214, 0.34))", lo=0, hi=50, length=4)
    frailty_hr: tuple[float, ...] = param((1.0, 1.93, 3.04, 4.73), "hazard ratio", EFI_HR_ADMISSION, lo=0, hi=MAX_MULTIPLIER, length=4)
    need_hr: tuple[float, ...] = param((1.0, 1.2, 1.2, 1.5, 1.5, 1.0), "hazard ratio by main need", "assumption: dementia, mental health, end of life and substance misuse raise crisis risk", lo=0, hi=MAX_MULTIPLIER, length=6)
    lives_alone_hr: float = param(1.15, "hazard ratio", "assumption: living alone without a carer raises crisis risk", lo=0, hi=10)
    care_home_hr: float = param(0.8, "hazard ratio", "assumption: care homes prevent some crises of their frail residents", lo=0, hi=10)
    transient_boost: float = param(14.0, "extra hazard, multiple of persistent, just after a crisis or a discharge", "calibrated (python -m sim.calibration.baseline_fit risk; calibration/baseline.md): 30-day readmissions 13.7% of emergency admissions, about 1 in 6 for 75+ (EVIDENCE 3), and frequent admitters' 38% of a year's emergency admissions of 65+ falling under 10% the next year (EVIDENCE 3, Roland et al., BMJ 2005); of the two best points of the search at 100,000 people, the one nearer the targets at 250,000 people", lo=0, hi=100)
    transient_half_life_days: float = param(4.5, "days", "calibrated with transient_boost (as transient_boost): the risk after a crisis or discharge is highest in the first days and has faded within weeks, so that it makes readmissions but does not carry into the next year", lo=1, hi=3650)


@frozen
class Demand(Group):
    """Crisis demand over the calendar: winter seasonality and growth beyond demography (sim/core/seasons.py)."""

    monthly_pattern: tuple[float, ...] = param((1.007, 0.999, 1.001, 0.987, 1.014, 1.004, 0.997, 0.965, 0.992, 0.999, 1.019, 1.016), "emergency admissions per day by calendar month, January to December, relative (scaled by the model to a mean of 1 over the year, weighted by days)", "NHS England, A&E attendances and emergency admissions, monthly statistics, England, April 2016 to March 2019 (emergency admissions via A&E at 274 providers, as tidied in the NHSRdatasets R package, ae_attendances, 2019): admissions per day of each month, fitted on the log scale with a trend (5.7% a year) and a factor per month, the trend removed; all ages: the highest month November (1.9% above the mean), the lowest August (3.5% below), December to February 1.9% above June to August", lo=0.01, hi=MAX_MULTIPLIER, length=12)
    seasonal_amplitude: float = param(1.0, "multiple of the monthly pattern's departures from its mean (0: no seasonality, 1: the pattern as published)", "assumption: the all-ages pattern as published (1); older people's winter excess is larger (Nuffield Trust, Snowed under? Understanding the effects of winter on the NHS, 2018: fewer A&E attendances in winter but a larger share admitted, with longer stays), but no monthly figure by age was found, so sensitivity should cover 1 to 3; 0 draws crises exactly as without a calendar", lo=0, hi=MAX_MULTIPLIER)
    growth_per_year: float = param(0.0, "relative rise in crisis risk a year beyond demography, compounded from the start of the statistics window", "DESIGN 2: the baseline is stationary (0); a scenario sets it ([intervention.demand_growth]). For a scenario: emergency admissions grew 3.2% a year from 2006/07 to 2017/18 (EVIDENCE 3: Health Foundation, Emergency hospital admissions in England, 2018), and demography explains only 40-50% of such growth (Health Foundation blog, Emergency admissions: why are they growing so fast?, about 2017; Nuffield Trust, Trends in emergency admissions in England 2004-2009, 2010: ageing at most 4.7% of an 11.8% rise, leaving 1.65% a year), so about 0.016 to 0.019 a year beyond demography; part of that growth is short stays newly counted as admissions (Health Foundation 2018) and a study of people over 65 found rising admission rates at each age offset by healthier cohorts (Health Policy 2017, 923-928), so sensitivity should cover 0 to 0.02 around 0.017", lo=-0.5, hi=1)

    def check(self) -> None:
        mean = sum(f * d for f, d in zip(self.monthly_pattern, MONTH_DAYS, strict=True)) / sum(MONTH_DAYS)
        lowest = min(self.monthly_pattern) / mean
        if 1.0 + self.seasonal_amplitude * (lowest - 1.0) < 0:
            raise ParameterError(f"seasonal_amplitude: {self.seasonal_amplitude:g} makes the crisis risk of the lowest month of monthly_pattern negative; at most {1.0 / (1.0 - lowest):.4g} with this pattern")


@frozen
class Deprivation(Group):
    """Each person's fifth of the English Index of Multiple Deprivation (IMD quintile, 1 the most deprived), and
    its gradients in frailty, crisis risk and mortality (sim/core/deprivation.py applies them).

    Ratios are to the least deprived fifth (the last is 1).  Each is normalised over the place's profile
    (``shares``): divided by its mean weighted by the shares, so the mean multiplier over the profile is 1
    and the calibrated baseline keeps its totals in expectation; the frailty shift keeps each band's
    frailty shares over the profile the same way.  A flat gradient (every ratio the same) changes nothing:
    the model's numbers are then those of ``enabled = false``, as the fifth is drawn from a stream of its
    own (``imd``).
    """

    enabled: bool = param(True, "on/off: each person has an IMD fifth and the gradients act", "DESIGN 8: cohorts imd1 to imd5, and the gap between the most and least deprived fifths (cohort imd_gap); off, nobody has a fifth (imd 0), no gradient acts and the imd cohorts are empty")
    shares: tuple[float, ...] = param((0.2, 0.2, 0.2, 0.2, 0.2), "share of people in each IMD fifth, most deprived first", "assumption: England's profile by construction (IMD quintiles are fifths of England's small areas, LSOAs of about equal population); older people live less often in the most deprived areas (Kontopantelis et al., J Epidemiol Community Health 2018: the median deprivation of people aged 60+ lower than that of younger ages and falling, 2004-2015), but no published share of people 65+ in each fifth was found, so 20% each; a place sets its own profile from its registered population's postcodes", lo=0, hi=1, length=5)
    frailty_or: tuple[float, ...] = param((1.8, 1.55, 1.34, 1.16, 1.0), "odds ratio of a frailer level (proportional odds over fit/mild/moderate/severe) at entry, to the least deprived fifth", "Maharani et al., Age and Ageing 2023 (ELSA, 17,438 adults aged 50+, ordered logistic regression on a frailty index): 2.2 (95% CI 2.1-2.4) times the odds of frailty in the lowest wealth fifth living in the most deprived IMD fifth against the wealthiest in the least deprived; assumption: 1.8 for the neighbourhood's fifth alone, log-linear across the fifths (1.8^(k/4))", lo=0.01, hi=MAX_MULTIPLIER, length=5)
    crisis_hr: tuple[float, ...] = param((1.25, 1.18, 1.12, 1.06, 1.0), "crisis hazard ratio to the least deprived fifth, beyond frailty", "ONS, Inequalities in A&E department attendance, England: March 2021 to March 2022 (2023): the odds of attending A&E 1.7 times greater in the most than in the least deprived tenth of areas after adjusting for age, sex and ethnicity, 1.4 times after adjusting for underlying health too, and the pattern less pronounced at 65 to 95; assumption: 1.25 between the most and least deprived fifths beyond frailty (frailty_or carries the rest of the gradient), log-linear across the fifths; folded into the person's persistent risk, which clinicians referring to an MDT partly see, and whose log-variance stays that of people.persistent_risk_sd (the person's own part narrows, sim/core/deprivation.py)", lo=0, hi=MAX_MULTIPLIER, length=5)
    death_hr: tuple[float, ...] = param((1.2, 1.15, 1.1, 1.05, 1.0), "hazard ratio of death outside hospital to the least deprived fifth, beyond frailty", "Charlton et al., J Health Serv Res Policy 2013 (CPRD, IMD 2010 fifths, adjusted for age and sex): at the same level of morbidity, mortality most against least deprived fifth 1.51 without the conditions studied, 1.18 (3.95/3.34) with one and 1.16 (6.93/5.98) with two; assumption: 1.2 beyond frailty for older people, log-linear across the fifths; deaths in hospital follow from more admissions (mortality.in_hospital_by_frailty is the same for every fifth)", lo=0, hi=MAX_MULTIPLIER, length=5)

    def check(self) -> None:
        _shares("shares", self.shares)
        for name in ("crisis_hr", "death_hr"):
            if sum(w * r for w, r in zip(self.shares, getattr(self, name))) <= 0:
                raise ParameterError(f"{name}: every fifth with people has a ratio of 0; the mean over the profile must be above 0")


@frozen
class Routing(Group):
    gp_first: float = param(0.40, "share of crises that see a GP first when a same-day slot is free", "assumption: many crises go straight to A&E by ambulance", lo=0, hi=1)
    gp_refers_to_ae: float = param(0.35, "share of GP-seen crises sent on to A&E", "assumption: a GP manages most same-day crises at home", lo=0, hi=1)
    admit_from_ae_by_frailty: tuple[float, ...] = param((0.40, 0.52, 0.62, 0.70), "probability", "EVIDENCE 3: almost 1 in 2 A&E attendances of 65+ lead to admission (HSCIC 2013); rising with frailty (assumption)", lo=0, hi=1, length=4)
    gp_urgent_slots_per_100k_per_day: float = param(40.0, "slots per day per 100,000 registered", "assumption: same-day urgent slots left for crises after routine booking", lo=0, hi=MAX_CAPACITY_PER_100K)
    ae_decision_hours: float = param(2.0, "mean hours in A&E from arrival to the decision to admit or send home", "assumption: about two hours, so that about 8% of attendances pass four hours before any wait for a bed (type 1 A&E four-hour performance in England was about 85% in 2017/18, NHS England A&E attendances and emergency admissions statistics, approximate; the other breaches are waits for a bed)", lo=0.01, hi=48)
    ae_decision_cv: float = param(0.7, "coefficient of variation of the log-normal time to the decision", "assumption: right-skewed (tests, specialist review)", lo=0.01, hi=10)
    admit_pressure_threshold: float = param(0.92, "share of core beds occupied above which A&E admits fewer people", "assumption: bed crises become regular once mean occupancy passes 85% (Bagust, Place & Posnett, BMJ 1999), when the occupancy of the moment passes about 92% (Kuntz, Mennicken & Scholtes, Management Science 2015: a tipping point near 92.5%)", lo=0, hi=1)
    admit_pressure_reduction: float = param(0.10, "relative fall in the chance of admission from A&E when every core bed is taken (in a straight line from the threshold)", "assumption: the chance of admission from the emergency department falls as hospital occupancy rises (Blom et al., Int J Emerg Med 2014, a Swedish registry study); the size is a guess, small at baseline occupancy; those no longer admitted are the marginal cases A&E could send home", lo=0, hi=1)


@frozen
class Acute(Group):
    beds_per_100k: float = param(180.0, "beds per 100,000 registered", "EVIDENCE 3: about 100,000 general and acute beds, 180 per 100,000 (KH03 2019/20, derived)", lo=0, hi=MAX_CAPACITY_PER_100K)
    escalation_beds_per_100k: float = param(6.0, "beds per 100,000 registered, on top of beds_per_100k, at most", "assumption: escalation beds of about 3% of the bed base, opened only when every core bed is full and closed as core beds free (priced per day used, costs.escalation_bed_day)", lo=0, hi=MAX_CAPACITY_PER_100K)
    ring_fenced_beds_per_100k: float = param(4.0, "beds per 100,000 registered, part of beds_per_100k (all of them at most), for planned admissions only", "assumption: a few elective beds kept free of emergencies (ring-fenced elective orthopaedic beds, Briggs, Getting It Right First Time, 2015; elective treatment centres), about a fifth of the elective bed days of the cohort and the background", lo=0, hi=MAX_CAPACITY_PER_100K)
    los_to_fit_mean_days: tuple[float, ...] = param((5.5, 6.5, 8.0, 10.0), "days, by band", "calibrated: mean emergency stay 7.9 days all ages, 10.8 aged 85+ incl. delays (EVIDENCE 3, Health Foundation 2023)", lo=0.05, hi=MAX_DAYS, length=4)
    los_cv: float = param(1.0, "coefficient of variation of the log-normal stay", "assumption: stays are right-skewed", lo=0.01, hi=10)
    background_admissions_per_100k_per_year: float = param(4600.0, "admissions per 100,000 registered a year", "calibrated (python -m sim.calibration.baseline_fit flows, calibration/baseline.md): with the cohort, mean occupancy of the core acute beds about 88% (0.8.0: 4,600, from 3,983; NHS England KH03, general and acute occupancy about 90% in 2019/20, approximate)", lo=0, hi=MAX_PER_100K_PER_YEAR)
    background_los_mean_days: float = param(4.0, "days", "assumption: under-65 stays are short (mean all ages 7.9, EVIDENCE 3)", lo=0.05, hi=MAX_DAYS)
    background_elective_share: float = param(0.2, "share of background admissions (and so of their bed days) that are planned", "assumption: about a fifth of the bed days of people under 65 are planned (HES Admitted Patient Care: elective ordinary admissions about an eighth of all bed days, more among younger adults, approximate); planned and emergency stays share the same length, so the split leaves the background's bed days as they were", lo=0, hi=1)
    los_pressure_threshold: float = param(0.92, "share of core beds occupied above which stays to medically fit shorten", "assumption: as routing.admit_pressure_threshold (Bagust et al., BMJ 1999; Kuntz et al., Management Science 2015)", lo=0, hi=1)
    los_pressure_reduction: float = param(0.10, "relative shortening of the stay to medically fit of people admitted when every core bed is taken (in a straight line from the threshold)", "assumption: clinicians discharge sooner when beds are short (KC & Terwiesch, Management Science 2009: stays shorten as occupancy rises); the size is a guess, small at baseline occupancy", lo=0, hi=1)


@frozen
class Discharge(Group):
    home_care_by_frailty: tuple[float, ...] = param((0.02, 0.05, 0.09, 0.13), "probability of a new home care package, people not already on care", "calibrated in version 0.2 to delayed days 2-7% of bed days, kept since (the delays are now fitted through the steps' lengths, calibration/baseline.md); about 20% of new social care requests come from hospital discharge (EVIDENCE 4)", lo=0, hi=1, length=4)
    reablement_by_frailty: tuple[float, ...] = param((0.02, 0.03, 0.04, 0.04), "probability", "EVIDENCE 4: about 3% of older people discharged are offered reablement (ASCOF 2B(2), low confidence)", lo=0, hi=1, length=4)
    intermediate_care_by_frailty: tuple[float, ...] = param((0.01, 0.02, 0.035, 0.045), "probability", "assumption: bed-based intermediate care for a few per cent of discharges", lo=0, hi=1, length=4)
    care_home_by_frailty: tuple[float, ...] = param((0.00738, 0.0293, 0.09162, 0.21943), "probability", "calibrated with mortality.care_home_hr (python -m sim.calibration.baseline_fit flows, calibration/baseline.md): one factor on the shape by frailty (2.57 in 0.8.0, as entries below 85 became rarer), to care home residents about 490 per 100,000 and permanent care home admissions 578-659 per 100,000 65+ a year (EVIDENCE 4, IAU 2019 and ASCOF 2A(2))", lo=0, hi=1, length=4)
    dementia_care_home_hr: float = param(2.0, "multiplier on care home probability", "assumption: dementia makes a care home more likely", lo=0, hi=20)
    lives_alone_support_hr: float = param(1.3, "multiplier on supported destinations", "assumption: no carer at home makes support more likely", lo=0, hi=20)
    knows_whom_to_contact: float = param(0.71, "share of people discharged who know whom to contact", "EVIDENCE 1: seed 000_15772bc302cd49ff.txt, 71% of pilot patients before the pilots (a survey without controls), read as the parameter directly: no mechanism in the model produces it, so calibration/pilots.toml reports it as a check, not a fitted target", lo=0, hi=1)
    assessment_days: float = param(0.04, "mean days of a social worker's assessment left after medically fit, elapsed", "calibrated: one factor on the assumed length of social care's steps left after a person is medically fit (this one, council_funding_days, package_start_days and care_home_search_days), fitted with the NHS's and the shared factors to the level of delayed days and their split by responsibility in the 2016-18 returns (EVIDENCE 4; python -m sim.calibration.baseline_fit delays, calibration/baseline.md): 0.0734 in version 0.3, times 0.362 in version 0.4 once people waited for places; before the fits: 1.5 days, a discharge assessment takes one to two working days (most of it happens before medically fit)", lo=0.01, hi=MAX_DAYS)
    # --- how discharge is run, and why it is delayed (EVIDENCE 4: delayed transfers of care, England 2016-18) ---
    assess_after_discharge: bool = param(False, "on/off: discharge to assess", "EVIDENCE 4: the 2016-18 returns come from hospitals that assessed before discharge (the baseline); discharge to assess (Hospital Discharge Service: Policy and Operating Model, 2020) is a what-if: people leave when a place on their pathway is free and are assessed there")
    step_down_when_full: bool = param(False, "on/off: a full destination is swapped for the next on its ladder", "assumption: at baseline people wait for the destination they were assessed for; a scenario may step them to another service with room (sim/pathways/discharge.py STEPS)")
    therapy_assessment_days: float = param(0.8, "mean days of the hospital team's discharge assessment (therapy, nursing) after medically fit, people needing support", "calibrated: one factor on the assumed length of the NHS's steps after medically fit (this one and nhs_funding_days), fitted with the social care and shared factors to the level of delayed days and their split by responsibility in the 2016-18 returns (EVIDENCE 4; python -m sim.calibration.baseline_fit delays, calibration/baseline.md): 0.862 in version 0.3, times 0.925 in version 0.4; before the fits: assumption, about a working day", lo=0, hi=MAX_DAYS)
    nhs_funded_share: float = param(0.08, "share of discharges to home care or a care home funded by NHS Continuing Healthcare", "assumption: about 55,000-60,000 people eligible for NHS Continuing Healthcare in England at any time in 2017/18 (NHS England CHC statistics, approximate), a small share of those in care homes or with packages", lo=0, hi=1)
    nhs_funding_days: float = param(7.95, "mean days from the checklist to the NHS Continuing Healthcare decision, in hospital", "calibrated: one factor on the assumed length of the NHS's steps after medically fit (this one and nhs_funding_days), fitted with the social care and shared factors to the level of delayed days and their split by responsibility in the 2016-18 returns (EVIDENCE 4; python -m sim.calibration.baseline_fit delays, calibration/baseline.md): 0.862 in version 0.3, times 0.925 in version 0.4; before the fits: assumption, 10 days (the national framework allows 28 days from checklist to decision; hospital cases are quicker)", lo=0, hi=MAX_DAYS)
    council_funding_days: float = param(0.08, "mean days for the council's funding decision, council-supported places", "calibrated: one factor on the assumed length of social care's steps left after a person is medically fit (this one, council_funding_days, package_start_days and care_home_search_days), fitted with the NHS's and the shared factors to the level of delayed days and their split by responsibility in the 2016-18 returns (EVIDENCE 4; python -m sim.calibration.baseline_fit delays, calibration/baseline.md): 0.0734 in version 0.3, times 0.362 in version 0.4 once people waited for places; before the fits: assumption, 3 days (a funding panel meets a few times a week; public funding is a return category, EVIDENCE 4)", lo=0, hi=MAX_DAYS)
    choice_share: float = param(0.3, "share of care home discharges that wait on the person's or family's choice of home", "assumption: choosing a home takes visits and a vacancy in the home chosen (patient or family choice is a return category, EVIDENCE 4)", lo=0, hi=1)
    choice_days: float = param(7.0, "mean days of that wait", "assumption: about a week", lo=0, hi=MAX_DAYS)
    care_home_search_share: float = param(0.5, "share of care home discharges that wait for a home with a vacancy that meets their needs and accepts their funding", "assumption: care home placement is a category of the returns (EVIDENCE 4); about 8% of places are empty at any time (care_home_places_per_100k) but few of them suit a given person (nursing, dementia, the council's rate, near family) on the day they are fit", lo=0, hi=1)
    care_home_search_days: float = param(2.53, "mean days of that search", "calibrated: the social care factor of version 0.4 (0.362, as assessment_days) on an assumed week to find a suitable home with a place and for it to assess and accept the person", lo=0, hi=MAX_DAYS)
    package_start_days: float = param(0.105, "mean days for the council's brokerage to find a provider for a home care or reablement package", "calibrated: one factor on the assumed length of social care's steps left after a person is medically fit (this one, council_funding_days, package_start_days and care_home_search_days), fitted with the NHS's and the shared factors to the level of delayed days and their split by responsibility in the 2016-18 returns (EVIDENCE 4; python -m sim.calibration.baseline_fit delays, calibration/baseline.md): 0.0734 in version 0.3, times 0.362 in version 0.4 once people waited for places; before the fits: assumption, 4 days to source a package from a provider with a care worker free (a care package in own home is a return category, EVIDENCE 4)", lo=0, hi=MAX_DAYS)
    equipment_share: float = param(0.112, "share of discharges home with support that wait for equipment or adaptations", "calibrated: one factor (0.449) with dispute_share, fitted to the share of delayed days attributed to both NHS and social care, about 8% (EVIDENCE 4, 2016-18 returns; python -m sim.calibration.baseline_fit delays); community equipment services are jointly commissioned; before the fit: assumption, a quarter", lo=0, hi=1)
    equipment_days: float = param(3.0, "mean days of that wait", "assumption: a few days to deliver and fit equipment", lo=0, hi=MAX_DAYS)
    housing_share: float = param(0.02, "share of discharges home with support that wait for housing", "assumption: a few need rehousing or major adaptations (housing is a return category, EVIDENCE 4)", lo=0, hi=1)
    housing_days: float = param(14.0, "mean days of that wait", "assumption: about two weeks", lo=0, hi=MAX_DAYS)
    dispute_share: float = param(0.009, "share of discharges with support delayed by a dispute between organisations", "calibrated: as equipment_share (factor 0.449); before the fit: assumption, 2% (disputes are rare; a return category, EVIDENCE 4)", lo=0, hi=1)
    dispute_days: float = param(7.0, "mean days of that wait", "assumption: about a week", lo=0, hi=MAX_DAYS)

    def check(self) -> None:
        for f in range(4):
            total = (self.home_care_by_frailty[f] + self.reablement_by_frailty[f]
                     + self.intermediate_care_by_frailty[f] + self.care_home_by_frailty[f])
            if total > 1:
                raise ParameterError(f"home_care_by_frailty + reablement_by_frailty + intermediate_care_by_frailty + care_home_by_frailty: for frailty '{FRAILTY[f]}' they sum to {total:.3f}, more than 1")


@frozen
class SocialCare(Group):
    social_workers_per_100k: float = param(6.0, "assessments in progress at once per 100,000", "assumption: a hospital social work team (calibrated in version 0.2 to the delayed-days level, kept since; the delays are now fitted through the steps' lengths, calibration/baseline.md)", lo=0, hi=MAX_CAPACITY_PER_100K)
    social_worker_wte_per_assessment: float = param(1.0, "whole-time equivalent social workers per assessment in progress at once", "assumption: one social worker for each assessment the team can run at once, as costs.social_worker_year prices a unit as one social worker's year; read by the workforce outputs only (wte_social_workers); range 0.5 to 2", lo=0, hi=10)
    home_care_packages_per_100k: float = param(650.0, "packages per 100,000 registered", "EVIDENCE 4: about 640 older people on home care per 100,000 (Wittenberg & Hu 2015); the market runs full (assumption: council waiting lists are common)", lo=0, hi=MAX_CAPACITY_PER_100K)
    initial_home_care_per_100k: float = param(650.0, "people on home care at the start per 100,000 registered", "EVIDENCE 4: more than 350,000 older people on home care, about 640 per 100,000 (Wittenberg & Hu 2015); started full, as the market runs full", lo=0, hi=MAX_CAPACITY_PER_100K)
    home_care_end_per_year: float = param(0.65, "packages ending (recovery, family care) per client-year", "calibrated in version 0.2 to delayed days 2-7% of bed days through package turnover, kept since (home care runs near full; the delays are now fitted through the steps' lengths, calibration/baseline.md); many packages end within two years", lo=0, hi=MAX_PER_PERSON_YEAR)
    community_home_care_by_frailty: tuple[float, ...] = param((0.00372, 0.01488, 0.04651, 0.09302), "new home care requests from the community per person-year", "calibrated (python -m sim.calibration.baseline_fit flows, calibration/baseline.md): one factor on the shape by frailty (1.546 in 0.4.0, 1.15 in 0.7.0, 1.047 in 0.8.0), so that about 640 older people per 100,000 are on home care (EVIDENCE 4: Wittenberg & Hu 2015) with 650 packages per 100,000, a market that runs nearly full; before the fit (0.002, 0.008, 0.025, 0.05), an assumption: about 80% of new requests do not come from hospital (EVIDENCE 4)", lo=0, hi=MAX_PER_PERSON_YEAR, length=4)
    community_waiting_list_per_100k: float = param(20.0, "people waiting at home for home care or a care home, at most, per 100,000", "assumption: councils keep waiting lists short; others are told to wait or arrange care themselves (unmet need)", lo=0, hi=MAX_CAPACITY_PER_100K)
    unmet_need_crisis_hr: float = param(1.19, "hazard ratio on crises while a request for home care or a care home waits or after it was refused", "Hass et al., The Gerontologist 2017;57(2):206-210 (US National Long-Term Care Survey 2004 linked to Medicare, 2,194 people with ADL disabilities): emergency department admissions 19% higher with unmet need for help, adjusted rate ratio 1.19 (95% CI 1.00 to 1.40), adjusted for the level of ADL disability, so it sits on top of frailty; a rate ratio of a count model is the ratio of constant hazards. Range 1.0 to 1.45: Xu et al., J Am Geriatr Soc 2012 (any hospitalisation, HR 1.14, 1.01 to 1.28); Sands et al., J Am Geriatr Soc 2006 (admission while needs were unmet, OR 1.45, 1.00 to 2.09; none once they were met)", lo=1, hi=MAX_MULTIPLIER)
    unmet_need_refused_days: float = param(91.0, "days a request refused for a full waiting list leaves the need unmet (unless the person asks again, takes up care on leaving hospital, or dies)", "assumption: people told to wait or arrange care themselves find help from family or a private provider, or ask again, within about three months; Sands et al., J Am Geriatr Soc 2006 saw admissions raised while needs were unmet and not after they were met; range 30 to 365 days", lo=0, hi=MAX_DAYS)
    reablement_places_per_100k: float = param(24.0, "places per 100,000 registered", "assumption: enough for about 3% of discharges at six weeks each", lo=0, hi=MAX_CAPACITY_PER_100K)
    reablement_days: float = param(42.0, "days", "assumption: reablement is free for up to six weeks", lo=1, hi=MAX_DAYS)
    reablement_outcome: tuple[float, ...] = param((0.399, 0.4621, 0.1389), "shares independent / long-term home care / care home", "calibrated (python -m sim.calibration.baseline_fit flows, calibration/baseline.md): the share ending independent, the other two keeping their ratio, to at home 91 days after reablement about 82% (ASCOF 2B(1), EVIDENCE 4); refitted in 0.7.0 (people waiting for a care home now die at its rate) from 0.491 to 0.434 and in 0.8.0 (care homes in balance, fewer entries below 85) to 0.399, below the majority ending independent that Glendinning et al. 2010 report: a tension the fit leaves open", hi=1, length=3)
    reablement_request_hr: float = param(0.4, "hazard ratio on asking for home care after reablement that ends with the person independent", "EVIDENCE 4: Glendinning et al., SPRU/PSSRU 2010: later social care costs 60% lower over 12 months after reablement than after conventional home care; the model has no package sizes, so the whole fall is taken on the chance of a new package (1 - 0.6); range 0.4 to 1.0, since the comparison was not randomised and part of the fall may be who was offered reablement", lo=0, hi=1)
    reablement_effect_days: float = param(365.0, "days the lower hazard of asking for home care lasts after reablement", "EVIDENCE 4: Glendinning et al. 2010 followed people for 12 months; what happens after is not known, so the effect stops there; range 180 to 730 days", lo=0, hi=MAX_DAYS)
    intermediate_care_beds_per_100k: float = param(7.0, "beds per 100,000 registered", "assumption: the National Audit of Intermediate Care found provision about half of what was needed (NHS Benchmarking Network and British Geriatrics Society, 2013, as reported by HSJ 2013), so the beds are kept busy (about three quarters full at the default place) and discharges to them wait when demand bunches (NICE quality standard QS173, 2018, asks for a start within 2 days of referral); at 14 per 100,000 (version 0.3) they were never full", lo=0, hi=MAX_CAPACITY_PER_100K)
    intermediate_care_days: float = param(21.0, "mean days", "assumption: bed-based intermediate care lasts about three weeks", lo=1, hi=MAX_DAYS)
    intermediate_care_outcome: tuple[float, ...] = param((0.68, 0.24, 0.08), "shares home / home care / care home", "assumption: most people go home from intermediate care, some with support", hi=1, length=3)
    care_home_places_per_100k: float = param(530.0, "places per 100,000 registered", "EVIDENCE 4: about 490 residents 65+ per 100,000 (IAU 2019) and about 8% vacancies (assumption)", lo=0, hi=MAX_CAPACITY_PER_100K)
    initial_care_home_per_100k: float = param(490.0, "care home residents at the start per 100,000 registered", "EVIDENCE 4: about 274,000 people 65+ in care homes, about 490 per 100,000 (IAU, Health Foundation 2019)", lo=0, hi=MAX_CAPACITY_PER_100K)
    care_homes_65_plus: bool = param(True, "on/off: only people aged 65 or over enter a care home", "EVIDENCE 4: the care home figures the model is calibrated to count people 65+ (residents about 490 per 100,000, IAU 2019; council-supported admissions, ASCOF 2A(2)); younger adults's residential care (ASCOF 2A(1)) is a sector of its own, outside the model, and the initial state places no under-65 in a care home. Off (version 0.6): under-65s with complex needs entered the older people's homes and, dying at under-65 rates, came to fill a sixth of the places within ten years")
    care_home_age_step_hr: float = param(0.367, "hazard ratio of entering a care home (placed on discharge from hospital, or asking from the community) per age band below 85+, at the same frailty: 75-84 this, 65-74 its square; reablement's and intermediate care's outcomes keep their shares at every age", "calibrated (0.8.0, python -m sim.calibration.baseline_fit flows, calibration/baseline.md) to the share of care home residents 65+ aged 85+: 59.2% in 2011 (ONS, Changes in the older resident care home population between 2001 and 2011, 2014; 56.4% in 2021, a census taken during the pandemic: ONS, Older people living in care homes in 2021 and changes since 2011, 2023); frailty alone let the 65-74s take a quarter of the places in ten years, as younger residents live longer (ONS, Life expectancy in care homes, England and Wales: 2021 to 2022: 6.3-7.0 years at 65-69, 2.2-2.9 at 90+)", lo=0, hi=MAX_MULTIPLIER)
    community_care_home_by_frailty: tuple[float, ...] = param((0.0, 0.00065, 0.0039, 0.013), "care home entries from the community per person-year", "calibrated with Discharge.care_home_by_frailty to ASCOF 2A(2) (EVIDENCE 4)", lo=0, hi=MAX_PER_PERSON_YEAR, length=4)
    self_funder_share: float = param(0.41, "share of care home entrants paying for themselves", "assumption: CMA care homes market study 2017 (about 41% self-funded); like ASCOF 2A(2), care_home_admissions counts the council-supported only", lo=0, hi=1)

    def check(self) -> None:
        _shares("reablement_outcome", self.reablement_outcome)
        _shares("intermediate_care_outcome", self.intermediate_care_outcome)


@frozen
class Primary(Group):
    routine_gp_per_year: tuple[float, ...] = param((8.0, 6.5, 9.0, 11.0), "GP and nurse contacts per person-year at home, fit, by band", "EVIDENCE 3: 5.2 per person a year all ages, 13-14 at 85-89 (Hobbs et al. 2016; Hippisley-Cox 2009)", lo=0, hi=MAX_PER_PERSON_YEAR, length=4)
    frailty_gp_multiplier: tuple[float, ...] = param((1.0, 1.2, 1.4, 1.6), "multiplier", "assumption: frailer people see their GP more", lo=0, hi=MAX_MULTIPLIER, length=4)


@frozen
class Elective(Group):
    """GP referral -> first outpatient attendance -> follow-ups -> elective admission."""

    referral_per_year: tuple[float, ...] = param((2.25, 2.0, 2.75, 2.75), "outpatient referrals per person-year at home, fit, by band, while not in an outpatient episode", "calibrated: outpatient attendances 2-6 per person-year at 65+ (EVIDENCE 3: 96.4m attended in 2019/20, follow-ups about 2 per first attendance, HES Outpatient Activity); fitted by hand to about 3.4 at 65+ (50,000 people, seed 1); the hazard is high because a person has one outpatient episode at a time", lo=0, hi=MAX_PER_PERSON_YEAR, length=4)
    frailty_referral_multiplier: tuple[float, ...] = param((1.0, 1.2, 1.3, 1.2), "multiplier", "assumption: frailer people are referred more, the most frail slightly less", lo=0, hi=MAX_MULTIPLIER, length=4)
    first_wait_days: float = param(42.0, "days from referral to first attendance", "assumption: about six weeks", lo=0, hi=MAX_DAYS)
    follow_ups_mean: float = param(2.0, "follow-up attendances per first attendance", "EVIDENCE 3: follow-ups about 2 per first attendance (HES Outpatient Activity)", lo=0, hi=MAX_PER_EPISODE)
    follow_up_interval_days: float = param(56.0, "days between attendances", "assumption: about eight weeks", lo=1, hi=MAX_DAYS)
    admit_after_outpatients: float = param(0.18, "probability of an elective admission after an outpatient episode", "calibrated: elective admissions 100-500 per 1,000 person-years at 65+, ordinary and day case (HES Admitted Patient Care, approximate); fitted by hand to about 200 at 65+ (50,000 people, seed 1), in the lower half of the range because planned stays add to a hospital already calibrated to 85-90% occupancy", lo=0, hi=1)
    day_case_share: float = param(0.75, "share of elective admissions that are day cases", "assumption: most elective care of older people is day case (HES)", lo=0, hi=1)
    wait_to_admission_days: float = param(70.0, "days from decision to admit to the admission date", "assumption: about ten weeks", lo=0, hi=MAX_DAYS)
    ordinary_los_days: float = param(4.0, "mean days in a bed, ordinary elective admission", "assumption: short planned stays", lo=0.05, hi=MAX_DAYS)
    day_case_bed_days: float = param(0.3, "days a day case holds a bed", "assumption: a day case uses a bed for part of a day", lo=0.01, hi=1)
    rebook_days: float = param(14.0, "days to a new date after a cancellation, and between later tries for a bed (a booking is cancelled at most once)", "assumption: two weeks", lo=1, hi=MAX_DAYS)
    outpatient_slots_per_100k_per_day: float = param(260.0, "outpatient slots per day per 100,000 registered (cohort only)", "assumption: about 20% above the cohort's demand", lo=0, hi=MAX_CAPACITY_PER_100K)


@frozen
class Community(Group):
    """Rapid response, community nursing, low-level support, routing of crises."""

    rapid_response_per_100k: float = param(1.0, "visits in progress at once per 100,000", "assumption: a small rapid response service before integration (seed 001 lists rapid response teams among the pioneers' plans)", lo=0, hi=MAX_CAPACITY_PER_100K)
    rapid_response_share: float = param(0.10, "share of crises offered rapid response when it has room", "assumption: few crises reach rapid response without a single point of access", lo=0, hi=1)
    rapid_response_resolves_minor: float = param(0.90, "probability a rapid response keeps at home a person whose crisis A&E would not admit", "derived with rapid_response_resolves_severe from NHS England, December 2024 (2-hour urgent community response data: 67% of the people a team saw were treated at home without a hospital attendance); crises that need no bed are those the teams are for (falls without serious injury, catheter problems, confusion): the first evaluation of the 2-hour standard heard of 1,500 falls calls of which 5% led to admission (HFMA news, October 2023); range 0.75 to 0.97", lo=0, hi=1)
    rapid_response_resolves_severe: float = param(0.47, "probability a rapid response keeps at home a person whose crisis A&E would admit", "derived: with rapid_response_resolves_minor 0.9 and 53% of the crises a team sees being ones A&E would admit (routing.admit_from_ae_by_frailty over the people who have crises, measured at 50,000 people, seed 1), 0.47 gives the 67% treated at home of NHS England, December 2024; a consultant-led team sent 24% of its referrals to hospital, more of them the urgent ones (Age and Ageing 2023;52 suppl 1, afac322.030); geriatrician-led hospital at home treats people referred for admission as well as a hospital does (Shepperd et al., Ann Intern Med 2021), an upper end for a team that is not hospital at home; range 0.2 to 0.7", lo=0, hi=1)
    rapid_response_visit_days: float = param(0.25, "days a rapid response visit holds the team", "assumption: a few hours", lo=0.01, hi=MAX_DAYS)
    rapid_response_wte_per_visit: float = param(2.0, "whole-time equivalent community nurses per rapid response visit in progress at once", "assumption: two community nurses for each visit the team can run at once, as costs.rapid_response_team_year prices it; read by the workforce outputs only (wte_community_nurses); range 1 to 5 (a service open every hour of the week needs about 4.5 per place)", lo=0, hi=20)
    single_point_of_access: bool = param(False, "on/off", "seed 001_e52c56eb44723f98.txt: a single point of access for services")
    spa_rapid_response_share: float = param(0.30, "share of crises offered rapid response with a single point of access", "assumption: a single point of access routes more crises to community teams", lo=0, hi=1)
    care_navigators: bool = param(False, "on/off", "seed 001_e52c56eb44723f98.txt: care navigators give information and advice on accessing care")
    navigator_knows_contact: float = param(0.80, "share of people discharged who know whom to contact, with navigators", "assumption: navigators act as a named contact for those not on an MDT caseload", lo=0, hi=1)
    support_funding: float = param(1.0, "community support funding relative to baseline", "seed 001_e52c56eb44723f98.txt: befriending, lunch clubs and peer support cut", lo=0, hi=5)
    support_crisis_elasticity: float = param(0.10, "relative rise in crisis risk per unit of funding lost", "assumption: the integration paradox of seed 001; sensitivity analysis covers it", lo=0, hi=2)
    nursing_visits_per_year: tuple[float, ...] = param((0.0, 2.0, 6.0, 12.0), "community nursing visits per person-year at home, by frailty", "assumption: district nursing for the frail", lo=0, hi=MAX_PER_PERSON_YEAR, length=4)
    nursing_visit_hours: float = param(1.0, "paid hours of a community nurse per visit, travel and time away from patients included", "derived: a district nurse visit at about GBP 39 (PSSRU Unit Costs 2010) over about GBP 43 an hour of a community nurse (PSSRU Unit Costs 2014, 2013/14 prices), about 0.9 to 1 hour once the visit's price is uplifted to 2013/14 (EVIDENCE 5); read by the workforce outputs only (wte_community_nurses); range 0.5 to 1.5", lo=0.01, hi=24)
    nurse_hours_per_year: float = param(1650.0, "paid hours a whole-time equivalent community nurse works a year", "assumption: 37.5 hours a week for 44 weeks, the working year costs.coordinator_year and costs.rapid_response_team_year assume (PSSRU hourly costs, EVIDENCE 5); read by the workforce outputs only (wte_community_nurses); range 1,500 to 1,800", lo=1, hi=8784)


@frozen
class Mdt(Group):
    """Multidisciplinary teams with named case co-ordinators; off at baseline."""

    coordinators_per_100k: tuple[float, ...] = param((0.0, 0.0, 0.0, 0.0), "co-ordinators per 100,000: nurse, social worker, mental health, occupational therapist", "DESIGN 2: off at baseline", lo=0, hi=MAX_CAPACITY_PER_100K, length=4)
    caseload: int = param(50, "people per co-ordinator", "EVIDENCE 6: case manager caseload guidance 50-80, observed 10-55 (Sargent et al. 2008)", lo=1, hi=500)
    preferred_discipline: tuple[float, ...] = param((0, 0, 0, 0, 0, 0), "discipline index per main need that the team assigns first (0 nurse, 1 social worker, 2 mental health, 3 OT)", "seed 000_15772bc302cd49ff.txt: the pilots' case managers were mostly nurses", lo=0, hi=3, length=6)
    fitting_discipline: tuple[float, ...] = param((0, 2, 2, 0, 1, 3), "discipline index per main need that fits it (0 nurse, 1 social worker, 2 mental health, 3 OT)", "seed 002_07b6fbdf829a5eaa.txt: a mental health professional for dementia or mental health, an OT for physical disability; nurses for frailty and end of life, a social worker for substance misuse (assumption)", lo=0, hi=3, length=6)
    social_care_in_team: bool = param(False, "on/off", "seed 000_15772bc302cd49ff.txt: social care marginal in the pilots; seed 002 calls for it at the heart of MDTs")
    restratify_every_days: float = param(90.0, "days between case-finding rounds", "assumption: quarterly risk stratification", lo=1, hi=MAX_DAYS)
    enrol_top_share: float = param(0.05, "share of the cohort, highest risk first, eligible to enrol", "assumption: case management targets the top few per cent by risk (seed 000 pilots: high-risk older people)", lo=0, hi=1)
    enrol_broad_share: float = param(0.0, "share of each case-finding round's free places (after clinicians' referrals) filled from the whole eligible group in the team's own order, not highest risk first", "assumption: 0, the risk tools' case finding of case management (Roland et al. 2012: risk profiling picked the people at highest risk); scenarios/integrated_care_pilot.toml sets 10/16, the pilots that did not run case management of risk-profiled older people (EVIDENCE 6: 6 of 16 did, Lewis, Roland, Ling 2012), whose teams enrolled from registers and lists of their own (seed 000_15772bc302cd49ff.txt: the pilots targeted people with dementia, other mental health problems, end-of-life care needs, substance misuse and other long-term conditions)", lo=0, hi=1)
    review_every_days: float = param(30.0, "days between scheduled reviews", "assumption: monthly", lo=1, hi=MAX_DAYS)
    reference_caseload: int = param(50, "people per co-ordinator at which crisis_reduction is the effect", "EVIDENCE 6: case manager caseload guidance 50-80 (Sargent et al. 2008), its lower end, the pilots' caseload (scenarios/integrated_care_pilot.toml)", lo=1, hi=500)
    dose_cap: float = param(1.0, "largest multiple of crisis_reduction from more co-ordinator time per person than the reference caseload gives", "assumption: time beyond the guidance caseload's does not lower crisis risk further (1); prior 1 to 1.5; prior-driven: no target informs it", lo=1, hi=3)
    ramp_up_days: float = param(180.0, "days from the launch to the full crisis effect (a straight line, in monthly steps)", "prior: 0 to 365 days: seed 000_15772bc302cd49ff.txt, 'change takes time, it may still be too early to provide a complete picture'; that a new community service takes six months to a year to work at full strength is an assumption; prior-driven: no target informs it apart from crisis_reduction, which the pilots' two-year changes cannot separate it from (calibration/pilots.toml [[sensitivity.prior]])", lo=0, hi=730)
    clinician_referral_share: float = param(0.0, "share of each case-finding round's free places given to people clinicians refer", "calibrated: calibration/fitted/pilots/report.html (caresim calibrate calibration/pilots.toml --route emulator, caresim 0.11.0), point estimate (the emulators' best set, the checked set nearest the targets in the model); 90% posterior interval 0.00784 to 0.2087; prior 0 to 0.5; what the prior rests on: seed 002_07b6fbdf829a5eaa.txt, GPs would refer patients on to the teams; Roland et al. 2012 found imbalance between cases and controls that could have biased their +9%; 0 is the score-only case finding of the pilots' risk tools (EVIDENCE 6: Lewis, Roland, Ling 2012)", lo=0, hi=1)
    clinician_sees: float = param(0.5, "weight of the log of the hidden persistent risk in the clinicians' view (1: all of it)", "prior: 0 to 1: clinicians know their patients beyond the score's inputs (seed 002_07b6fbdf829a5eaa.txt), how much is an assumption; prior-driven: no target informs it", lo=0, hi=1)
    clinician_noise_sd: float = param(0.5, "standard deviation of the clinicians' view's error, on the risk score's log scale", "prior: 0 to 1: judgement is noisy (assumption); prior-driven: no target informs it", lo=0, hi=5)
    crisis_reduction: float = param(0.0606, "relative fall in crisis risk with a fitting co-ordinator", "calibrated: calibration/fitted/pilots/report.html (caresim calibrate calibration/pilots.toml --route emulator, caresim 0.11.0), point estimate (the emulators' best set, the checked set nearest the targets in the model); 90% posterior interval 0.008893 to 0.1724; prior 0 to 0.5; what the prior rests on: from no effect to halving crisis risk for a person at the reference caseload (seed 000_15772bc302cd49ff.txt: the pilots saw no fall in emergency admissions)", lo=0, hi=1)
    mismatch_effect_share: float = param(1.0, "share of a nurse co-ordinator's crisis effect for a main need another discipline fits", "assumption: a nurse's anticipatory care reaches every need (1); seed 002, the co-ordinator's discipline should fit the main need, so less is possible; the other disciplines act through what each can do (mental_health_crisis_reduction, falls_crisis_reduction, ot_equipment_wait_share, trusted_assessment_share, priority_package_access); prior-driven: no target informs it (calibration/pilots.toml [[sensitivity.prior]])", lo=0, hi=1)
    mental_health_crisis_reduction: float = param(0.0411, "relative fall in crisis risk with a mental health co-ordinator, for people whose main need is dementia or mental health", "prior: 0 to 0.4: seed 002_07b6fbdf829a5eaa.txt, a mental health professional co-ordinates people with dementia or a mental health problem; taken as large as a nurse's crisis_reduction for the needs a nurse fits as caresim 0.9.0 fitted it, the value the 0.10.0 and 0.11.0 refits held it at (both put a nurse's at 0.0606, within this prior; assumption); none for other needs; prior-driven: no target informs it (calibration/pilots.toml [[sensitivity.prior]])", lo=0, hi=1)
    falls_crisis_reduction: float = param(0.0411, "relative fall in crisis risk with an occupational therapist co-ordinator, for people whose main need is a physical disability", "prior: 0 to 0.4: seed 002_07b6fbdf829a5eaa.txt, an occupational therapist co-ordinates people with a physical disability (falls prevention, adaptations at home); taken as large as a nurse's crisis_reduction as caresim 0.9.0 fitted it, the value the 0.10.0 and 0.11.0 refits held it at (both put a nurse's at 0.0606, within this prior; assumption); none for other needs; prior-driven: no target informs it (calibration/pilots.toml [[sensitivity.prior]])", lo=0, hi=1)
    ot_equipment_wait_share: float = param(0.0, "share of the wait for equipment or adaptations at discharge left for a person an occupational therapist co-ordinates (0: none)", "prior: 0 to 1: the co-ordinating OT has assessed the home and ordered what is needed before discharge (seed 002_07b6fbdf829a5eaa.txt; equipment and adaptations is a delay category, EVIDENCE 4); assumption; prior-driven: no target informs it (calibration/pilots.toml [[sensitivity.prior]])", lo=0, hi=1)
    social_care_effect_multiplier: float = param(1.0, "multiplier on the crisis effect when social care is in the team, beyond what social care does through its mechanisms", "assumption: social care in the team acts through trusted assessment, priority for packages and the unmet need they shorten (1: no more); seed 002; the pilots kept social care outside the team; prior-driven: no target informs it (calibration/pilots.toml [[sensitivity.prior]])", lo=0, hi=5)
    follow_up_substitution: float = param(0.073, "share of outpatient follow-ups the co-ordinator replaces", "calibrated: calibration/fitted/pilots/report.html (caresim calibrate calibration/pilots.toml --route emulator, caresim 0.11.0), point estimate (the emulators' best set, the checked set nearest the targets in the model); 90% posterior interval 0.01113 to 0.2324; prior 0 to 0.8; what the prior rests on: the pilots' outpatient attendances fell 20% (seed 000)", lo=0, hi=1)
    unmet_need_referral_hr: float = param(0.4754, "multiplier on outpatient referrals once enrolled", "calibrated: calibration/fitted/pilots/report.html (caresim calibrate calibration/pilots.toml --route emulator, caresim 0.11.0), point estimate (the emulators' best set, the checked set nearest the targets in the model); 90% posterior interval 0.4064 to 0.6572; prior 0.4 to 2; what the prior rests on: co-ordinators find unmet need, yet outpatient attendances and electives fell in the pilots (seed 000)", lo=0, hi=10)
    unmet_need_found_share: float = param(0.0, "share of people whose first assessment on enrolment finds a need the GP refers to an outpatient clinic at once", "calibrated: calibration/fitted/pilots/report.html (caresim calibrate calibration/pilots.toml --route emulator, caresim 0.11.0), point estimate (the emulators' best set, the checked set nearest the targets in the model); 90% posterior interval 0.009189 to 0.2862; prior 0 to 0.4; what the prior rests on: co-ordinators find unmet need (seed 000_15772bc302cd49ff.txt)", lo=0, hi=1)
    ae_referral_share: float = param(0.8859, "share of the crises a GP would manage at home that the co-ordinator sends to A&E", "calibrated: calibration/fitted/pilots/report.html (caresim calibrate calibration/pilots.toml --route emulator, caresim 0.11.0), point estimate (the emulators' best set, the checked set nearest the targets in the model); 90% posterior interval 0.4247 to 0.977; prior 0 to 1; what the prior rests on: emergency admissions rose 2% (+9% in case management) despite the MDT (EVIDENCE 1: seed 000_15772bc302cd49ff.txt; Roland et al. 2012), as a co-ordinator who knows the person has a lower threshold for A&E", lo=0, hi=1)
    ae_referral_los_multiplier: float = param(0.5, "multiplier on the days to medically fit of an admission from a crisis the co-ordinator sent to A&E", "prior: 0.25 to 1: a crisis the GP would have managed at home is less severe, so its admission is short (assumption); prior-driven: no target informs it (calibration/pilots.toml [[sensitivity.prior]])", lo=0, hi=1)
    signposting_crisis_hr: float = param(0.95, "multiplier on crisis risk from sign-posting to community support", "assumption: seed 003, 55% saw better sign-posting to low-level help", lo=0, hi=2)
    inreach_assessment_share: float = param(0.65, "share of assessment time left when the co-ordinator reaches into hospital", "prior: 0.3 to 1, its middle: in-reach shortens discharge assessments (seed 003_267f426e5480fa10.txt: 57% saw fewer delayed discharges, no size); no evaluation target is touched by it, so prior-driven: no target informs it (calibration/pilots.toml [[sensitivity.prior]]; 0.3.0 listed it as calibrated at 0.66)", lo=0, hi=1)
    trusted_assessment_share: float = param(0.5, "share of the social worker's discharge assessment time left for an enrolled person when social care is in the team (0: skipped)", "prior: 0 to 1: the team's social worker is trusted to assess (seed 002_07b6fbdf829a5eaa.txt, social care at the heart of the team; seed 003_267f426e5480fa10.txt, 57% saw fewer delayed discharges); the pilots kept social care outside the team, so prior-driven: no target informs it (calibration/pilots.toml [[sensitivity.prior]])", lo=0, hi=1)
    priority_package_access: bool = param(True, "on/off", "assumption: with social care in the team, enrolled people's community requests for care join the queue at the discharges' priority (seed 002_07b6fbdf829a5eaa.txt: social care at the heart of the team)")
    knows_contact: float = param(0.80, "share of enrolled people discharged who know whom to contact", "EVIDENCE 1: seed 000_15772bc302cd49ff.txt, 80% of pilot patients during the pilots (71% before; a survey without controls), read as the parameter directly: no mechanism in the model produces it, so calibration/pilots.toml reports it as a check, not a fitted target", lo=0, hi=1)
    exit_stable_per_review: float = param(0.05, "probability of leaving the caseload at a review with no crisis since the last", "assumption: stable people are discharged from case management", lo=0, hi=1)


@frozen
class Costs(Group):
    """Unit costs and payment rules (docs/costs.md): every price with its source and year, brought to ``price_year``."""

    price_year: int = param(2018, "financial year starting (2018 = 2018/19)", "DESIGN 2: one price year for everything", lo=2010, hi=2018)
    cost_index: tuple[float, ...] = param((276.7, 282.5, 287.3, 290.5, 293.1, 297.0, 303.2, 307.0, 311.9), "index (1987/88 = 100), financial years 2010/11 to 2018/19", "2010/11 to 2015/16 (276.7, 282.5, 287.3, 290.5, 293.1, 297.0): the hospital and community health services (HCHS) pay and prices index (1987/88 = 100) of the 'Inflation indices' table of PSSRU Unit Costs of Health and Social Care; UNCONFIRMED, these six values only: recorded from memory, and none of the sources searched for this release holds those tables (the one HCHS value found, 2008/09 268.6 (estimate), is in PSSRU's corrections to Unit Costs 2009, Table 2, outside this range); 2016/17 to 2018/19 (303.2, 307.0, 311.9): 297.0 chained on with the yearly rises of PSSRU's NHS cost inflation index (NHSCII, pay and prices), 2.09% (2016/17), 1.24% (2017/18) and 1.60% (2018/19), as given by PSSRU, Unit Costs of Health and Social Care 2024 Manual (Jones et al. 2025, doi 10.22024/UniKent/01.02.109563) and unchanged in the 2025 Manual (Jones et al. 2026, doi 10.22024/UniKent/01.02.115569), read from their transcription in the public R package dmdprices (github.com/w-hardy/dmdprices, R/nhscii.R; the manuals' table number not seen); corrected from 302.3, 308.7, 315.8, which chained rises of +1.8%, +2.1% and +2.3% recorded from memory; only ratios to the price year enter the model (sim/outcomes/costs.py index_factor), so the factor from 2016/17 (1.0287) rests on the published rises alone and those from 2010/11 and 2013/14 on the unconfirmed values too; assumption: the same index serves social care costs (docs/costs.md)", lo=1, hi=10_000, length=9)
    uplift_per_year: float = param(0.02, "annual uplift to the price year (unused: costs are uplifted with cost_index)", "kept for old scenario files; docs/costs.md: costs are brought to the price year with cost_index", lo=0, hi=1)
    acute_bed_day: float = param(313.0, "GBP per core bed-day held, the ward cost (2016/17)", "EVIDENCE 5: excess bed day, NHS Reference Costs 2016/17: GBP 313 (2016/17), the reference costs' price of a day of ward time beyond an episode's trim point, used as the full ward cost (nursing, ward overheads) of a bed day held, whether occupied or not; the non-ward part of each episode is costed apart (emergency_non_ward_share); range 250 to 450", lo=0, hi=MAX_GBP)
    emergency_admission: float = param(1590.0, "GBP per emergency admission, the national price (2016/17)", "EVIDENCE 5: non-elective inpatient episode, NHS Reference Costs 2016/17: GBP 1,590 (2016/17); the price the commissioner pays per admission; it includes the bed days up to the trim point", lo=0, hi=MAX_GBP)
    emergency_non_ward_share: float = param(0.45, "share of an emergency admission's price that is not ward time", "assumption: diagnostics, theatres, drugs and the clinical time of an admission, apart from the ward's bed days (which the trust pays as beds held); range 0.25 to 0.65 (docs/costs.md)", lo=0, hi=1)
    emergency_trim_days: float = param(21.0, "days of an emergency stay the admission's price covers; longer stays are paid an excess bed day price", "assumption: national prices pay long stays per excess bed day beyond a trim point that differs by HRG; about three weeks for the HRGs of older people's emergency stays (approximate); range 10 to 45", lo=0, hi=MAX_DAYS)
    ae_attendance: float = param(148.0, "GBP (2016/17)", "EVIDENCE 5: A&E attendance, NHS Reference Costs 2016/17: GBP 148 (2016/17)", lo=0, hi=MAX_GBP)
    gp_contact: float = param(45.0, "GBP (2013/14)", "EVIDENCE 5: GP surgery consultation, PSSRU Unit Costs 2013: about GBP 45 (2013/14)", lo=0, hi=MAX_GBP)
    social_worker_year: float = param(40.0 * 37.5 * 42, "GBP per social worker a year (2013/14)", "EVIDENCE 5: social worker hour, PSSRU Unit Costs 2014: about GBP 40 (2013/14) x 37.5 hours x 42 weeks (assumption)", lo=0, hi=MAX_GBP)
    home_care_hour: float = param(18.93, "GBP (2018/19)", "EVIDENCE 5: UKHCA sustainable minimum price 2019: GBP 18.93 an hour (2018/19)", lo=0, hi=MAX_GBP)
    home_care_hours_per_week: float = param(10.0, "hours per package per week", "assumption: a typical older person's package, a little under the 12.4 contact hours a week per household that councils bought or provided in a survey week of September 2008 (NHS Information Centre, Community Care Statistics 2008: Home help and care services for adults, England); also sets home_care_hours_per_week, the workforce output", lo=0, hi=HOURS_PER_WEEK)
    reablement_place_year: float = param(2088.0 * 365 / 42, "GBP per place a year (2010/11)", "EVIDENCE 5: reablement episode, Glendinning et al. 2010: GBP 2,088 (2010), over a six-week place", lo=0, hi=MAX_GBP)
    intermediate_care_bed_day: float = param(180.0, "GBP per intermediate care bed-day held (2018/19)", "assumption: a community bed's nursing and therapy without an acute hospital's overheads, about 55% of the acute ward day (acute_bed_day); the National Audit of Intermediate Care reports bed-based costs of that order (approximate, not re-checked); range 120 to 313", lo=0, hi=MAX_GBP)
    outpatient_attendance: float = param(120.0, "GBP (2016/17)", "EVIDENCE 5: outpatient attendance, NHS Reference Costs 2016/17: GBP 120 (2016/17)", lo=0, hi=MAX_GBP)
    elective_admission: float = param(3684.0, "GBP per ordinary elective episode, the national price (2016/17)", "EVIDENCE 5: elective inpatient episode, NHS Reference Costs 2016/17: GBP 3,684 (2016/17)", lo=0, hi=MAX_GBP)
    elective_non_ward_share: float = param(0.6, "share of an ordinary elective episode's price that is not ward time", "assumption: theatres, implants and the surgical team are most of a planned episode, its short stay the rest; range 0.4 to 0.8 (docs/costs.md)", lo=0, hi=1)
    day_case: float = param(738.0, "GBP (2016/17)", "EVIDENCE 5: day case, NHS Reference Costs 2016/17: GBP 738 (2016/17)", lo=0, hi=MAX_GBP)
    elective_cancellation: float = param(400.0, "GBP per planned admission cancelled on the day (2018/19)", "assumption: the pre-operative assessment, the unused theatre slot and the rebooking of a date cancelled on the day are paid by the trust and by no one else; the admission is costed again when it happens; range 150 to 1,000", lo=0, hi=MAX_GBP)
    district_nurse_visit: float = param(39.0, "GBP (2010/11)", "EVIDENCE 5: district nurse visit, PSSRU Unit Costs 2010: about GBP 39 (2010/11)", lo=0, hi=MAX_GBP)
    rapid_response_team_year: float = param(43.0 * 37.5 * 44 * 2, "GBP per visit-in-progress of capacity a year (2013/14)", "assumption: two community nurses' time at about GBP 43 an hour (EVIDENCE 5: PSSRU Unit Costs 2014, 2013/14) for each visit the team can run at once", lo=0, hi=MAX_GBP)
    coordinator_year: float = param(43.0 * 37.5 * 44, "GBP per co-ordinator a year (2013/14)", "assumption: about GBP 43 an hour (EVIDENCE 5: PSSRU Unit Costs 2014, specialist nurse, 2013/14; social worker GBP 40) x 37.5 hours x 44 weeks; a co-ordinator's follow-ups in place of clinics are in this time", lo=0, hi=MAX_GBP)
    care_home_week: float = param(651.0, "GBP per resident week (2018/19)", "EVIDENCE 5: residential care week, LaingBuisson 2018/19: GBP 651 (2018/19)", lo=0, hi=MAX_GBP)
    escalation_bed_day: float = param(313.0, "GBP per escalation bed day used (2016/17)", "assumption: priced as an excess bed day (EVIDENCE 5: NHS Reference Costs 2016/17: GBP 313, 2016/17); escalation beds are often staffed by bank and agency staff at a premium this leaves out", lo=0, hi=MAX_GBP)
    navigator_posts_per_100k: float = param(2.0, "care navigator posts per 100,000 registered, paid while community.care_navigators is on", "assumption: a small team of navigators for the people discharged who have no co-ordinator; range 1 to 4", lo=0, hi=MAX_CAPACITY_PER_100K)
    navigator_year: float = param(30_000.0, "GBP per navigator post a year (2018/19)", "assumption: a support worker (Agenda for Change band 4) with on-costs and overheads, about GBP 30,000 a year; range 25,000 to 40,000", lo=0, hi=MAX_GBP)
    spa_posts_per_100k: float = param(3.0, "single point of access posts per 100,000 registered, paid while community.single_point_of_access is on", "assumption: a hub staffed by clinicians who triage referrals 12 hours a day, about three posts per 100,000; range 1.5 to 6", lo=0, hi=MAX_CAPACITY_PER_100K)
    mdt_meeting_minutes: float = param(10.0, "minutes of an MDT meeting per person reviewed, attended by a GP, a consultant and a social worker", "assumption: a person on the caseload is discussed for about ten minutes at each monthly review; range 5 to 20", lo=0, hi=600)
    gp_hour: float = param(228.0, "GBP per GP hour (2018/19)", "PSSRU Unit Costs 2019: GP per hour of patient contact, about GBP 228 (2018/19), with qualifications (approximate)", lo=0, hi=MAX_GBP)
    consultant_hour: float = param(108.0, "GBP per hospital consultant hour (2018/19)", "PSSRU Unit Costs 2019: hospital consultant (medical) per working hour, about GBP 108 (2018/19) (approximate)", lo=0, hi=MAX_GBP)
    social_worker_hour: float = param(45.0, "GBP per social worker hour in a meeting (2018/19)", "PSSRU Unit Costs 2019: social worker (adult services) per hour, about GBP 45 (2018/19) (approximate)", lo=0, hi=MAX_GBP)
    ward_beds: int = param(28, "beds per ward: acute beds close in whole wards", "assumption: a ward's staff and running costs can be taken out only when the whole ward closes; Health Building Note 04-01 (Department of Health 2009) plans adult wards of about 24 beds and many acute wards hold 28 to 32 (approximate); range 20 to 36", lo=1, hi=200)
    cashable_share: float = param(0.6, "share of a closed ward's cost that is cashable", "assumption: a closed ward's nursing and ward staff and consumables can be cashed; estates, capital charges and corporate overheads stay (fixed); range 0.4 to 0.8 (seed 003's 29% cashable is a share of respondents, not of cost)", lo=0, hi=1)
    cashable_lag_months: float = param(6.0, "months from the shift (the start of the statistics window) until a closed ward's cashable cost is saved", "assumption: staff are redeployed or posts left vacant over some months; range 3 to 12", lo=0, hi=120)
    shift_closed_acute_beds_per_100k: float = param(0.0, "acute beds per 100,000 closed by a [[shift]], whose cost stays until cashed", "set by sim/scenarios/shifts.py, not by hand: the beds a shift took from acute beds (the same basis as acute.beds_per_100k)", lo=0, hi=MAX_CAPACITY_PER_100K)


@frozen
class Discounting(Group):
    """Discount rates for money and health over time: npv.csv (sim/analysis/discounting.py, docs/costs.md); year 1 of the window is not discounted, year t is weighted 1/(1+r)^(t-1)."""

    costs_per_year: float = param(0.035, "per year", "HM Treasury, The Green Book: Central Government Guidance on Appraisal and Evaluation (2022), Annex A6: the social time preference rate, 3.5% a year for years 0 to 30 (DESIGN 2: discounting at the Green Book rate beyond the first year)", lo=0, hi=1)
    health_per_year: float = param(0.015, "per year", "HM Treasury, The Green Book (2022), Annex A6, and its supplementary guidance on discounting: health and life values at 1.5% a year for years 0 to 30 (the social time preference rate without its wealth effect); applied to days at home", lo=0, hi=1)


@frozen
class Params(Group):
    """Everything the model reads. Build with ``Params()`` or ``apply_overrides``."""

    place: Place = group(Place)
    time: Time = group(Time)
    projection: Projection = group(Projection)
    people: People = group(People)
    mortality: Mortality = group(Mortality)
    crisis: Crisis = group(Crisis)
    demand: Demand = group(Demand)
    deprivation: Deprivation = group(Deprivation)
    routing: Routing = group(Routing)
    acute: Acute = group(Acute)
    discharge: Discharge = group(Discharge)
    social_care: SocialCare = group(SocialCare)
    primary: Primary = group(Primary)
    elective: Elective = group(Elective)
    community: Community = group(Community)
    mdt: Mdt = group(Mdt)
    costs: Costs = group(Costs)
    discounting: Discounting = group(Discounting)

    def check(self) -> None:
        if self.projection.name != "none" and not self.place.hold_age_structure:
            raise ParameterError(f"projection.name: '{self.projection.name}' needs place.hold_age_structure = true (the bands follow a projection only while they are held on a path)")


def per_place(per_100k: float, registered: int) -> int:
    """Whole units of a capacity given per 100,000 registered people: the nearest whole number, at least one.

    A service with a positive rate keeps at least one unit however small the place, so that no service
    disappears by rounding (the baseline's 1 rapid response visit per 100,000 is 0.5 at 50,000 people:
    one visit, not none); a rate of 0 stays 0, so a service switched off stays off.  Halves go to the even
    number (Python's ``round``: 2.5 is 2).  ``sim.core.capacity_check`` names the services a place holds
    fewer than two units of, and those raised from zero to one.
    """
    units = int(round(per_100k * registered / 100_000))
    return max(units, 1) if per_100k > 0 else units


def capacity_basis(p: Params) -> int:
    """The population capacities are scaled to: the registered one, unless a scenario pins it."""
    return p.place.capacity_population or p.place.registered_population
