"""One place's system, wired: population, services, calendar, records, and the hazards they share.

The ``Model`` holds state and the small helpers that pathways call (draws,
rates, spells).  The care pathways themselves live in ``sim.pathways``, as
plain functions and SimPy generators that read like the pathway.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, TypeAlias

from librt.vecs import append, extend, vec
from mypy_extensions import i64

from sim.core.at_hand import Clinic, Crises, HomeSpells
from sim.core.calendar import Calendar, Dispatcher, Environment, Steps
from sim.core.distributions import Deterministic, Exponential, LogNormal
from sim.core.hospital import Beds
from sim.core.population import DAYS_PER_YEAR, Population
from sim.core.projection import improved
from sim.core.records import OpenSpell, Records
from sim.core.seasons import CrisisCalendar
from sim.core.services import CapacityPool, DailySlots
from sim.core.streams import MAX_WIDTH, PersonStream, Streams
from sim.parameters.params import Params, capacity_basis, per_place
from sim.vocabulary import Care, Delay, Kind, Place, Responsible, Spell

if TYPE_CHECKING:
    from sim.pathways.mdt import Teams

LN2: Final = math.log(2.0)
HOURS_PER_DAY: Final = 24.0
REFERRAL: Final = Kind.REFERRAL.value
Handler: TypeAlias = Callable[["Model", int], None]  # what a calendar entry of one kind runs: handler(model, pid)
Draw: TypeAlias = Callable[[int], float]  # a stream's draw function: draw(pid) is the person's next uniform
# the streams of the competing hazards of life at home, in the order home.schedule_next unpacks them
# (the referral, on a clock of its own, is drawn by home.schedule_referral)
HAZARD_STREAMS = (
    "crisis",
    "death",
    "frailty",
    "frailty_recovery",
    "referral",
    "home_care_request",
    "care_home_request",
    "home_care_end",
)
# streams drawn from together, kept side by side in memory, with how many of each person's first draws to
# keep at hand in the default run (the rest are made when needed; a longer run keeps more, stream_width);
# neither changes any number drawn, only memory and speed
STREAM_GROUPS = (
    (HAZARD_STREAMS, 16),
    (("gp_contacts", "nursing_visits"), 16),  # a home spell's bulk counts
    (("route", "gp_outcome", "admit", "rapid_response", "rapid_response_outcome"), 8),  # a crisis
    (("ae_decision",), 4),  # the time in A&E to the decision to admit or send home
    (("los", "hospital_death", "death_time"), 4),  # an emergency stay
    (("destination", "assessment", "knows_contact"), 4),  # leaving the acute bed
    (("funding", "therapy", "funding_wait", "choice", "dispute", "package_start", "equipment", "housing"), 4),
    (("care_home_search",), 0),  # people going to a care home
    (("follow_ups",), 8),  # a referral
    (("follow_up_substitution",), 16),  # each follow-up
    (("elective_decision", "day_case"), 8),  # the end of an outpatient episode
    (("elective_los",), 4),
    (("init",), 8),  # a person's attributes
    (("init_care_home",), 1),
    (("init_home_care",), 1),
    (("init_hospital",), 1),  # the initial state
    # few people draw from these
    (("self_funder",), 0),
    (("init_stay",), 0),
    (("ic_length", "ic_death", "ic_outcome"), 0),
    (("reablement_outcome",), 0),
    (("mdt_exit",), 0),
    (("mdt_unmet_need",), 0),  # an enrolment: does the first assessment find a need to refer?
    (("mdt_ae_referral",), 0),  # a crisis of an enrolled person the GP would keep at home
    (("mdt_clinician",), 0),  # clinicians' view of a person at a case-finding round
    (("mdt_enrol_order",), 0),  # a person's place in a team's own order of the eligible group (broad enrolment)
    (("crisis_season",), 8),  # thinning of crisis candidates when crisis risk follows the calendar (sim.core.seasons)
    (("moving",), 1),  # crossing a band's edge: does the person leave the place? (sim.pathways.demography)
)
# the run those widths are for (a year's warm-up and a two-year window, in days), and how many times as many
# first draws a longer run keeps at hand at most, its people living on to draw more (see stream_width)
WIDTHS_RUN_DAYS = 1095.0
LONG_RUN_WIDTHS = 2.0


# what Model._derive sets, the stays aside (STAYS: read at each use, never drawn ahead): a change to any of
# them at a launch means the people living at home need their next events redrawn (Model.launch)
DERIVED = (
    "support_factor",
    "crisis_fit_hr",
    "death_fit_hr",
    "frailty_up",
    "frailty_down",
    "referral",
    "home_care_request",
    "care_homes_65_plus",
    "care_home_age_hr",
    "care_home_request",
    "home_care_end",
    "crisis_tau",
    "crisis_boost",
    "crisis_need_hr",
    "crisis_alone_hr",
    "crisis_care_home_hr",
    "death_care_home_hr",
    "need_carries_care_home_hr",
    "mdt_referral_hr",
    "unmet_need_hr",
    "reablement_request_hr",
    "demand",
)
# the distributions of times Model._derive sets beside them: read at each use (an admission, an A&E visit, a
# planned stay), never drawn ahead, so a change needs no redraw
STAYS = ("_los", "ae_decision", "day_case_stay", "ordinary_stay")
# and the parameters it keeps at hand for the most frequent steps (sim.core.at_hand): read at each use too
AT_HAND = ("clinic", "crises", "home_spells")


def stream_width(width: int, run_days: float) -> int:
    """The first draws of a group of :data:`STREAM_GROUPS` to keep at hand per person in a run of ``run_days``
    (warm-up and window): ``width`` for a run up to :data:`WIDTHS_RUN_DAYS`, more in proportion for a longer
    one, up to :data:`LONG_RUN_WIDTHS` times as many.  Memory against speed only: no number drawn changes."""
    scale = min(LONG_RUN_WIDTHS, max(1.0, run_days / WIDTHS_RUN_DAYS))
    return min(MAX_WIDTH, round(width * scale))


def capacities(p: Params) -> dict[str, int]:
    """Whole units of every capacitated service at the place's size (or its pinned size)."""
    n = capacity_basis(p)
    pa, sc = p.acute, p.social_care
    core = per_place(pa.beds_per_100k, n)
    return {
        "core_beds": core,  # ring-fenced beds included
        "ring_fenced_beds": min(per_place(pa.ring_fenced_beds_per_100k, n), core),  # part of the core beds
        "escalation_beds": per_place(pa.escalation_beds_per_100k, n),
        "social_workers": per_place(sc.social_workers_per_100k, n),
        "home_care": per_place(sc.home_care_packages_per_100k, n),
        "reablement": per_place(sc.reablement_places_per_100k, n),
        "intermediate_care": per_place(sc.intermediate_care_beds_per_100k, n),
        "care_homes": per_place(sc.care_home_places_per_100k, n),
        "rapid_response": per_place(p.community.rapid_response_per_100k, n),
        "gp_slots": per_place(p.routing.gp_urgent_slots_per_100k_per_day, n),
        "outpatient_slots": per_place(p.elective.outpatient_slots_per_100k_per_day, n),
    }


def _differs(a: object, b: object) -> bool:
    """Whether two values a model derives differ (an array compared element by element counts as different)."""
    if a is b:
        return False
    try:
        return bool(a != b)
    except (TypeError, ValueError):
        return True


class Model(Dispatcher):
    """One replication's place: its people, services, calendar and records, and the rates its pathways read.

    It runs its calendar's entries (:meth:`fire`), each by the handler of its kind (:meth:`on`).
    """

    teams: Teams  # the MDTs; they read the model, so whoever builds it adds them (sim.replication.single.build)

    def __init__(self, params: Params, seed: int, replication: int) -> None:
        self.p = params
        self.seed = seed
        self.replication = replication
        self.env = Environment()
        self.clock = self.env.clock  # the time, read natively: ``now``
        self.streams = Streams(seed, replication)
        run_days = params.time.warmup_days + params.time.horizon_days
        for names, width in STREAM_GROUPS:
            self.streams.group(names, stream_width(width, run_days))
        self.pop = Population(params, self.streams)
        self.rec = Records()
        self.window_start = params.time.warmup_days
        self.window_end = params.time.warmup_days + params.time.horizon_days
        env = self.env
        cap = capacities(params)
        self.core_beds = cap["core_beds"]
        self.beds = Beds(env, self.rec, cap["core_beds"], cap["ring_fenced_beds"], cap["escalation_beds"])
        self.social_workers = CapacityPool(env, "social_workers", cap["social_workers"])
        self.home_care = CapacityPool(env, "home_care", cap["home_care"], priorities=2)
        self.reablement = CapacityPool(env, "reablement", cap["reablement"], priorities=2)
        self.intermediate_care = CapacityPool(env, "intermediate_care", cap["intermediate_care"])
        self.care_homes = CapacityPool(env, "care_homes", cap["care_homes"], priorities=2)
        self.rapid_response = CapacityPool(env, "rapid_response", cap["rapid_response"])
        self.gp_slots = DailySlots(cap["gp_slots"])
        self.outpatient_slots = DailySlots(cap["outpatient_slots"])
        self.pools = (  # the acute beds aside (sim.core.hospital)
            self.social_workers,
            self.home_care,
            self.reablement,
            self.intermediate_care,
            self.care_homes,
            self.rapid_response,
        )
        self.calendar = Calendar(env, self, self.pop.token)
        self.calendar.track(REFERRAL, self.pop.referral_token)  # referrals have a clock of their own
        self.delayed_now = 0
        # per-person bookkeeping beside the population (numbers in vecs, as the population's columns)
        self.home_since = vec[float]()  # start of the current GP-contact spell (nan: not at home)
        self.held: list[CapacityPool | None] = []  # community unit held (home care, reablement, care home)
        self.spell: list[OpenSpell | None] = []  # the spell of the care held
        self.unmet_spell: list[OpenSpell | None] = []  # the spell of unmet need (a request waiting or refused)
        self.reablement_end = vec[float]()
        self.last_discharge = vec[float]()
        self.op_active = vec[bool]()  # in an outpatient episode (referral to last attendance or admission)
        self.op_left = vec[i64]()  # follow-up attendances still to come in the episode
        self.mdt = vec[i64]()  # co-ordinator's discipline (index), -1 when not on a caseload
        # emergency admissions and A&E attendances, in the order they happen: who and when (case finding counts
        # each person's last year, sim.pathways.mdt.recent_counts)
        self.admission_pids, self.admission_times = vec[i64](), vec[float]()
        self.ae_pids, self.ae_times = vec[i64](), vec[float]()
        self.elective_list: dict[int, tuple[bool, bool]] = {}  # booked admissions: person -> (day case, cancelled)
        self.waiting = vec[i64]()  # on the elective waiting list: 0 no, 1 yes, 2 to be admitted (sim.pathways.elective)
        # home spells, six doubles each: end, pid, expected GP contacts, uniform, expected nursing visits, uniform
        self.gp_spells = vec[float]()
        self._handlers: list[Handler | None] = [None] * len(Kind)  # by calendar kind: its handler
        # stream name -> the stream; the pathways call its ``next`` (a direct call in the compiled build)
        self._named_streams: dict[str, PersonStream] = {}
        self.hazard_streams = tuple(self.person_stream(name) for name in HAZARD_STREAMS)  # home.schedule_next's
        self.referral_stream = self.person_stream("referral")  # read by home.schedule_referral
        self.season_stream = self.person_stream("crisis_season")  # read by home.calendar_crisis_time
        self._gp_stream, self._nursing_stream = self.person_stream("gp_contacts"), self.person_stream("nursing_visits")
        self.launched = params  # the parameters as launched, before a projection's mortality improvement
        self.mortality_factor = 1.0  # a projection's multiplier of death rates this year (sim.pathways.demography)
        self.onset_factor = 1.0  # ... of frailty's onset (fit to mild) this year, healthy ageing (home.schedule_next)
        self._derive()

    def _derive(self) -> None:
        """Values computed once from the parameters: stays, and hazard tables per day by band and frailty."""
        p = self.p
        pa, cm, c, mo, pe, e, sc = p.acute, p.community, p.crisis, p.mortality, p.people, p.elective, p.social_care
        self._los = tuple(LogNormal(m, m * pa.los_cv) for m in pa.los_to_fit_mean_days)
        decision = p.routing.ae_decision_hours / HOURS_PER_DAY  # days in A&E to the decision to admit or not
        self.ae_decision = LogNormal(decision, decision * p.routing.ae_decision_cv)
        self.day_case_stay = Deterministic(e.day_case_bed_days)  # a planned stay's length in the bed, days
        self.ordinary_stay = Exponential(e.ordinary_los_days)
        self.clinic = Clinic(p)  # the parameters the most frequent steps read, at hand (sim.core.at_hand)
        self.crises = Crises(p)
        self.home_spells = HomeSpells(p)
        self.support_factor = 1.0 + cm.support_crisis_elasticity * (1.0 - cm.support_funding)  # cuts raise crises
        bands, levels = range(len(c.fit_per_year)), range(len(c.frailty_hr))
        self.crisis_fit_hr = [[c.fit_per_year[b] * c.frailty_hr[f] for f in levels] for b in bands]
        self.death_fit_hr = [[mo.at_home_fit_per_year[b] * mo.frailty_hr[f] for f in levels] for b in bands]
        self.frailty_up = [pe.frailty_step_per_year[b] / 365.25 for b in bands]
        self.frailty_down = [[0.0, *(r / 365.25 for r in pe.recovery(b))] for b in bands]  # by level (fit: none)
        self.referral = [
            [e.referral_per_year[b] * e.frailty_referral_multiplier[f] / 365.25 for f in levels] for b in bands
        ]
        self.home_care_request = [r / 365.25 for r in sc.community_home_care_by_frailty]
        self.care_homes_65_plus = sc.care_homes_65_plus
        step = sc.care_home_age_step_hr  # by band; under 65 (only with care_homes_65_plus off) as 65-74
        self.care_home_age_hr = (step * step, step * step, step, 1.0)
        self.care_home_request = [  # by band and frailty: entries below 85 rarer at the same frailty
            [r / 365.25 * self.care_home_age_hr[b] for r in sc.community_care_home_by_frailty] for b in bands
        ]
        self.home_care_end = sc.home_care_end_per_year / 365.25
        # constants of the competing hazards (home.schedule_next), read once per parameter set
        self.crisis_tau = c.transient_half_life_days / LN2
        self.crisis_boost = c.transient_boost
        self.crisis_need_hr = tuple(c.need_hr)
        self.crisis_alone_hr = c.lives_alone_hr
        self.crisis_care_home_hr = c.care_home_hr
        older = mo.care_home_hr_age_step  # by band; under 65 (only with care_homes_65_plus off) as 65-74
        self.death_care_home_hr = tuple(mo.care_home_hr * older ** min(2, 3 - b) for b in range(4))
        self.need_carries_care_home_hr = mo.need_carries_care_home_hr
        self.mdt_referral_hr = p.mdt.unmet_need_referral_hr
        self.unmet_need_hr = sc.unmet_need_crisis_hr
        self.reablement_request_hr = sc.reablement_request_hr
        self.demand = CrisisCalendar.from_params(p, self.window_start)  # None: crisis risk does not follow the calendar

    def derived(self) -> tuple[object, ...]:
        """The values :meth:`_derive` sets that hazards already drawn depend on (:data:`DERIVED`), in order."""
        return tuple(getattr(self, name) for name in DERIVED)

    def launch(self, params: Params) -> bool:
        """Switch to the scenario's services at the start of the statistics window, like a pilot's launch.

        Capacities change (a cut takes effect as units are released), and so do
        the rates the pathways read from the parameters.  Who lives in the place
        does not change here: that was fixed when the model was built.  A scenario's
        changes over time launch again at each of their steps (``sim/core/schedule.py``).

        Returns whether a rate that hazards already drawn depend on changed: a value
        ``_derive`` sets (stays aside, which are read at each admission) is now different,
        so the people living at home need their next events redrawn.
        """
        before = self.derived()
        self.launched = params
        self.p = improved(params, self.mortality_factor)  # ``params`` itself until a projection's first year
        self._derive()
        rates_changed = any(_differs(a, b) for a, b in zip(self.derived(), before))
        cap = capacities(params)
        self.core_beds = cap["core_beds"]
        self.beds.resize(cap["core_beds"], cap["ring_fenced_beds"], cap["escalation_beds"])
        for pool in self.pools:
            pool.resize(cap[pool.name])
        self.gp_slots.per_day = cap["gp_slots"]
        self.outpatient_slots.per_day = cap["outpatient_slots"]
        return rates_changed

    def set_year(self, mortality_factor: float, onset_factor: float) -> None:
        """A projection's new year: death rates times ``mortality_factor`` and frailty's onset times
        ``onset_factor``, on the parameters last launched (``sim.pathways.demography`` then redraws the
        next events of everyone living at home or in a care home)."""
        self.mortality_factor, self.onset_factor = mortality_factor, onset_factor
        self.p = improved(self.launched, mortality_factor)
        self._derive()

    # --- streams ------------------------------------------------------------
    @property
    def now(self) -> float:
        """The simulation time (the environment's clock: ``env.now``)."""
        return self.clock.now

    def start(self, pathway: Steps) -> None:
        """Start a pathway's SimPy generator now, as ``env.process`` would, for a pathway nothing waits for
        or interrupts (``sim.core.calendar.Pathway``: the same steps in the same order, fewer events)."""
        self.calendar.start_pathway(pathway)

    def wait(self, days: float) -> float:
        """What a pathway run by :meth:`start` yields to wait ``days``: ``yield m.wait(days)`` is
        ``yield env.timeout(days)``, without the event."""
        return float(days)

    def after(self, days: float, action: Callable[[], None]) -> None:
        """Run ``action()`` ``days`` from now: ``env.timeout(days)`` with the action as its callback, without
        the event."""
        self.calendar.after(days, action)

    def u(self, name: str, pid: int) -> float:
        """Person ``pid``'s next uniform from stream ``name``."""
        return self.person_stream(name).next(pid)

    def person_stream(self, name: str) -> PersonStream:
        """Stream ``name``: ``person_stream(name).next(pid)`` is ``u(name, pid)``."""
        stream = self._named_streams.get(name)
        if stream is None:
            stream = self._named_streams[name] = self.streams.person(name)
        return stream

    def stream(self, name: str) -> Draw:
        """The draw function of stream ``name``: ``stream(name)(pid)`` is ``u(name, pid)``."""
        return self.person_stream(name).next

    # --- people --------------------------------------------------------
    def new_person_slots(self) -> None:
        """Grow the per-person bookkeeping to the population's size."""
        missing = len(self.pop) - len(self.home_since)
        if missing > 0:
            self.home_since = extend(self.home_since, [math.nan] * missing)
            self.held.extend([None] * missing)
            self.spell.extend([None] * missing)
            self.unmet_spell.extend([None] * missing)
            self.reablement_end = extend(self.reablement_end, [math.inf] * missing)
            self.last_discharge = extend(self.last_discharge, [-math.inf] * missing)
            self.op_active = extend(self.op_active, [False] * missing)
            self.op_left = extend(self.op_left, [0] * missing)
            self.mdt = extend(self.mdt, [-1] * missing)
            self.waiting = extend(self.waiting, [0] * missing)
        self.calendar.tokens = self.pop.token  # the columns are new objects when they grow
        self.calendar.track(REFERRAL, self.pop.referral_token)

    def band(self, pid: int) -> int:
        return self.pop.band(pid, self.now)

    def los(self, pid: int) -> LogNormal:
        return self._los[self.band(pid)]

    # --- hazards, per day --------------------------------------------------
    def crisis_rate(self, pid: int) -> float:
        """Persistent crisis hazard per day (without the transient part), its average over the calendar.

        The seasons and growth in demand (``self.demand``) multiply only the hazard drawn in
        ``home.schedule_next``; what reads this rate (the initial state's admissions) takes the annual average.
        """
        c, pop = self.p.crisis, self.pop
        r = self.crisis_fit_hr[self.band(pid)][pop.frailty[pid]] * c.need_hr[pop.need[pid]] * pop.risk[pid]
        if pop.alone[pid]:
            r *= c.lives_alone_hr
        if pop.place[pid] == Place.CARE_HOME:
            r *= c.care_home_hr
        return r * self.support_factor / DAYS_PER_YEAR

    def death_rate(self, pid: int) -> float:
        pop = self.pop
        r = self.death_fit_hr[self.band(pid)][pop.frailty[pid]] * pop.death_hr[pid]  # IMD fifth (1: none)
        if pop.place[pid] == Place.CARE_HOME:
            r *= self.death_care_home_hr[self.band(pid)]
        return r / DAYS_PER_YEAR

    def gp_rate(self, pid: int) -> float:
        """GP contacts per day at home (``primary.routine_gp_per_year`` by band, times the frailty multiplier)."""
        return self.home_spells.gp_per_day[self.band(pid)][self.pop.frailty[pid]]

    # --- GP contacts and community nursing counted in bulk from time at home ---
    def home_spell_open(self, pid: int) -> None:
        self.home_since[pid] = self.now

    def home_spell_close(self, pid: int) -> None:
        start = self.home_since[pid]
        if start != start:  # nan: not in a spell
            return
        now = self.now
        self.home_since[pid] = math.nan
        if now > start:
            days = now - start
            nursing = self.home_spells.nursing_per_day[self.pop.frailty[pid]]
            spells = append(append(append(self.gp_spells, now), pid), self.gp_rate(pid) * days)
            spells = append(append(spells, self._gp_stream.next(pid)), nursing * days)
            self.gp_spells = append(spells, self._nursing_stream.next(pid))

    # --- care held over time -------------------------------------------
    def hold(self, pid: int, pool: CapacityPool, kind: Spell, funded: int = 1) -> None:
        self.held[pid] = pool
        self.spell[pid] = self.rec.spell_open(pid, kind, self.now, funded)
        if pool is not self.intermediate_care:  # care at home or in a care home meets the need
            self.unmet_need_met(pid)

    def unmet_need_met(self, pid: int) -> None:
        """The person's unmet need for care ends now (met, or they died); its spell closes."""
        self.pop.unmet_until[pid] = -math.inf
        self.pop.care_home_need_until[pid] = -math.inf
        row = self.unmet_spell[pid]
        if row is not None:
            if not row.end <= self.now:  # open (nan) or a refusal's lapse still to come
                row.end = self.now
            self.unmet_spell[pid] = None

    def release(self, pid: int) -> None:
        pool = self.held[pid]
        if pool is None:
            return
        pool.give_back()
        self.held[pid] = None
        row = self.spell[pid]
        if row is not None:
            row.end = self.now
            self.spell[pid] = None
        self.reablement_end[pid] = math.inf
        if self.pop.care[pid] != Care.CARE_HOME or pool is self.care_homes:
            self.pop.care[pid] = Care.NONE

    def delay(self, pid: int, start: float, category: Delay, responsible: Responsible, awaiting: int = -1) -> None:
        """Record the delayed days from ``start`` to now: their national category, who they are attributed to,
        and the ``Reason`` (assessment or service unit) awaited, if any (-1: none)."""
        if self.now > start:
            self.rec.delays.append((pid, start, self.now, int(awaiting), int(category), int(responsible)))

    # --- dispatch of calendar entries -------------------------------------
    def on(self, kind: Kind, handler: Handler) -> None:
        """Run ``handler(model, pid)`` for each calendar entry of ``kind`` that is not stale."""
        self._handlers[kind.value] = handler

    def handler(self, kind: int) -> Handler | None:
        """The handler registered for calendar entries of ``kind`` (a ``Kind``'s value), if any."""
        return self._handlers[kind]

    def fire(self, pid: int, kind: int, token: int) -> None:
        """Run a calendar entry of ``kind`` for person ``pid`` (not stale): its handler (``on``)."""
        handler = self._handlers[kind]
        if handler is None:
            raise RuntimeError(f"no handler for calendar entries of kind {Kind(kind).name}")
        handler(self, pid)
