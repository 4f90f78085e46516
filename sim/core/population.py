"""The simulated cohort: who each person is, and where they are now.

People are columns (``librt.vecs.vec``: packed typed arrays of floats, 64-bit
integers or booleans, which the compiled build reads natively and pure Python
like lists): age at time 0, frailty, main need, living alone, persistent risk,
the time of their last crisis (the transient part of risk), where they are
(a ``Place``'s value), what care they hold (a ``Care``'s value), and until
when their need for care goes unmet or is lowered by reablement.  A column
grows as people join by becoming a new ``vec`` (``append``), so read it from
the population each time rather than keep it.  The initial attributes are
drawn from each person's own ``init`` stream, so person ``i`` is the same
person in every scenario run with the same seed; their IMD fifth
(``sim.core.deprivation``) from their own ``imd`` stream, which moves no
other draw.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt
from librt.vecs import append, vec
from mypy_extensions import i64

from sim.core.deprivation import gradients, own_sigma
from sim.core.inverse import categorical, std_normal_ppf
from sim.core.streams import Streams
from sim.parameters.params import Params
from sim.vocabulary import Care, Place

DAYS_PER_YEAR: Final = 365.25
BAND_EDGES = (65.0, 75.0, 85.0)  # the ages at which a person moves into the next band
YOUNGEST: Final = 18.0  # the youngest adult with complex needs
OLDEST_DRAWN: Final = 105.0  # ages within the 85+ band are drawn up to this (people then age on)
HOME: Final = Place.HOME.value  # a new person's place and care, as the columns hold them
NO_CARE: Final = Care.NONE.value


def cohort_sizes(p: Params) -> npt.NDArray[np.int_]:
    """People per band (under-65 complex, 65-74, 75-84, 85+) at the place's size."""
    pl = p.place
    shares = np.array([pl.share_under65_complex, pl.share_65_74, pl.share_75_84, pl.share_85plus])
    sizes: npt.NDArray[np.int_] = np.rint(shares * pl.registered_population).astype(int)
    return sizes


def frailty_by_band(p: Params) -> npt.NDArray[np.float64]:
    """Each band's frailty shares as people are drawn (rows: bands; columns: fit, mild, moderate, severe)."""
    pp = p.people
    return np.array([pp.frailty_under65_complex, pp.frailty_65_74, pp.frailty_75_84, pp.frailty_85plus])


def expected_deaths(p: Params) -> npt.NDArray[np.float64]:
    """The deaths per person-year a held population expects, by band (rows) and frailty (columns)."""
    pl = p.place
    rates = (pl.expected_deaths_under65_complex, pl.expected_deaths_65_74, pl.expected_deaths_75_84)
    return np.array([*rates, pl.expected_deaths_85plus])


def band_death_rates(p: Params) -> npt.NDArray[np.float64]:
    """Each band's expected deaths per person-year at its frailty shares: how fast ages fall off within it."""
    out: npt.NDArray[np.float64] = (frailty_by_band(p) * expected_deaths(p)).sum(axis=1)
    return out


def band_range(band: int) -> tuple[float, float]:
    """The ages a band's people are drawn from: 18-65, 65-75, 75-85, 85-105."""
    return ((YOUNGEST,) + BAND_EDGES)[band], (BAND_EDGES + (OLDEST_DRAWN,))[band]


def band_age(band: int, u: float, rate: float) -> float:
    """The age at quantile ``u`` within ``band``, where ages fall off at ``rate`` a year.

    Younger adults with complex needs are spread evenly from 18 to 65.  In the other bands the
    density falls off exponentially with age at the band's death rate (``rate``), the shape of a
    stationary population that enters the band at its lower edge, truncated at the band's upper edge
    (85+ at 105): what a held population keeps (``place.hold_age_structure``).
    """
    low, high = band_range(band)
    if band == 0 or rate <= 0:
        return low + (high - low) * u
    return low - math.log1p(u * math.expm1(-rate * (high - low))) / rate


def band_age_cdf(band: int, age: npt.ArrayLike, rate: float) -> npt.NDArray[np.float64]:
    """The share of a band's people (drawn by :func:`band_age`) younger than ``age``."""
    low, high = band_range(band)
    x = np.clip(np.asarray(age, dtype=np.float64), low, high) - low
    if band == 0 or rate <= 0:
        return x / (high - low)
    out: npt.NDArray[np.float64] = np.expm1(-rate * x) / math.expm1(-rate * (high - low))
    return out


class Population:
    """Attributes and state of every person who has ever been in the cohort."""

    def __init__(self, p: Params, streams: Streams) -> None:
        self.p = p
        self.streams = streams
        self.init_stream = streams.person("init")
        self.age0 = vec[float]()  # age at time 0 (entrants: back-dated)
        self.entered = vec[float]()
        self.frailty = vec[i64]()
        self.need = vec[i64]()  # main need: a Need's value
        self.alone = vec[bool]()
        self.risk = vec[float]()  # persistent multiplier, mean 1 (the IMD fifth's crisis ratio included)
        self.imd = vec[i64]()  # IMD fifth, 1 (most deprived) to 5; 0 with deprivation off
        self.death_hr = vec[float]()  # the IMD fifth's multiplier on the hazard of dying outside hospital
        self.frailty_up_hr = vec[float]()  # ... on the hazard of a step up in frailty
        self.frailty_down_hr = vec[float]()  # ... on the hazard of a step down
        self.last_crisis = vec[float]()  # transient risk anchor (-inf: none)
        self.place = vec[i64]()  # a Place's value
        self.care = vec[i64]()  # a Care's value
        self.died = vec[float]()  # when the person left the place for good: death, or moving away (moved_away)
        self.token = vec[i64]()  # bumps when a person's scheduled events go stale
        self.referral_token = vec[i64]()  # the same for their next outpatient referral (a clock of its own)
        self.pending = vec[bool]()  # waiting in the community for home care or a care home
        self.unmet_until = vec[float]()  # unmet need for care lasts until then (inf: a request waits; -inf: none)
        self.reabled_until = vec[float]()  # reablement's lower need for home care lasts until then
        self.care_home_need_until = vec[float]()  # waits for a care home place until then (inf: on the list)
        self.moved_in = vec[bool]()  # joined at an age within a band 65-74, 75-84 or 85+ (sim.pathways.demography)
        self.moved_away = vec[bool]()  # left the place alive at a band's edge: gone (``died`` holds when)
        self.deaths = 0  # people with a time in ``died`` (so len(self) - deaths are alive and in the place)
        sd = p.people.persistent_risk_sd
        self.deprivation = gradients(p)  # None: off
        # the person's own part of persistent risk: its log-sd, less what the IMD fifth's crisis ratio explains
        self._risk_sigma = own_sigma(math.sqrt(math.log1p(sd * sd)) if sd > 0 else 0.0, self.deprivation)
        self.imd_stream = streams.person("imd", width=1) if self.deprivation else None  # one draw a person
        # the shares new people are drawn from, by band, read once
        pp = p.people
        self._frailty_shares = (pp.frailty_under65_complex, pp.frailty_65_74, pp.frailty_75_84, pp.frailty_85plus)
        self._need_shares = (pp.need_under65_complex, pp.need_65plus)  # under 65, 65 and over
        self._lives_alone = tuple(pp.lives_alone)

    def __len__(self) -> int:
        return len(self.age0)

    # --- creation -----------------------------------------------------
    def _add(self, t: float, band: int, age: float) -> int:
        """Draw one person's attributes from their own ``init`` stream."""
        pid = len(self.age0)
        self.streams.ensure(pid + 1)
        u = self.init_stream.next
        frail_shares = self._frailty_shares[band]
        dep, imd, death_hr, up, down = self.deprivation, 0, 1.0, 1.0, 1.0
        if dep is not None and self.imd_stream is not None:  # the fifth, from the person's own stream
            imd = categorical(self.imd_stream.next(pid), dep.profile) + 1
            frail_shares, death_hr = dep.frailty[band][imd - 1], dep.death[imd - 1]
            up, down = dep.frailty_up[imd - 1], dep.frailty_down[imd - 1]
        frailty = categorical(u(pid), frail_shares)
        need = categorical(u(pid), self._need_shares[0 if band == 0 else 1])
        alone = u(pid) < self._lives_alone[band]
        z = std_normal_ppf(u(pid)) if self._risk_sigma else 0.0
        risk = math.exp(self._risk_sigma * z - self._risk_sigma**2 / 2)
        if dep is not None:
            risk *= dep.crisis[imd - 1]  # exactly 1 for a flat gradient
        self.age0 = append(self.age0, age - t / DAYS_PER_YEAR)
        self.entered = append(self.entered, t)
        self.frailty = append(self.frailty, frailty)
        self.need = append(self.need, need)
        self.alone = append(self.alone, alone)
        self.risk = append(self.risk, risk)
        self.imd = append(self.imd, imd)
        self.death_hr = append(self.death_hr, death_hr)
        self.frailty_up_hr = append(self.frailty_up_hr, up)
        self.frailty_down_hr = append(self.frailty_down_hr, down)
        self.last_crisis = append(self.last_crisis, -math.inf)
        self.place = append(self.place, HOME)
        self.care = append(self.care, NO_CARE)
        self.died = append(self.died, math.nan)
        self.token = append(self.token, 0)
        self.referral_token = append(self.referral_token, 0)
        self.pending = append(self.pending, False)
        self.unmet_until = append(self.unmet_until, -math.inf)
        self.reabled_until = append(self.reabled_until, -math.inf)
        self.care_home_need_until = append(self.care_home_need_until, -math.inf)
        self.moved_in = append(self.moved_in, False)
        self.moved_away = append(self.moved_away, False)
        return pid

    def initial(self) -> None:
        """The cohort at time 0: ages spread within bands (:func:`band_age`; evenly when the bands are not held)."""
        sizes = cohort_sizes(self.p)
        held, rates = self.p.place.hold_age_structure, band_death_rates(self.p)
        self.streams.ensure(len(self.age0) + int(sizes.sum()))  # every stream made for the whole cohort at once
        for band, n in enumerate(sizes):
            for _ in range(n):
                pid = len(self.age0)
                self.streams.ensure(pid + 1)
                a = self.init_stream.next(pid)
                if held:
                    age = band_age(band, a, float(rates[band]))
                elif band == 0:
                    age = 18 + 47 * a
                elif band == 3:
                    age = min(85 + -5.0 * math.log1p(-a), 105.0)
                else:
                    age = (65, 75)[band - 1] + 10 * a
                self._add(0.0, band, age)

    def entrant(self, t: float, young: bool) -> int:
        """Somebody joining the cohort: turning 65, or a younger adult with new complex needs."""
        pid = len(self.age0)
        self.streams.ensure(pid + 1)
        a = self.init_stream.next(pid)
        age = 18 + 47 * a if young else 65.0
        return self._add(t, 0 if young else 1, age)

    def arrival(self, t: float, band: int) -> int:
        """Somebody moving into the place at an age within ``band`` (1-3), drawn as the initial cohort's ages."""
        pid = len(self.age0)
        self.streams.ensure(pid + 1)
        a = self.init_stream.next(pid)
        self._add(t, band, band_age(band, a, float(band_death_rates(self.p)[band])))
        self.moved_in[pid] = True
        return pid

    # --- reading ------------------------------------------------------
    def age(self, pid: int, t: float) -> float:
        return self.age0[pid] + t / DAYS_PER_YEAR

    def band(self, pid: int, t: float) -> int:
        age = self.age0[pid] + t / DAYS_PER_YEAR
        return 0 if age < 65 else 1 if age < 75 else 2 if age < 85 else 3

    def next_band_time(self, pid: int, t: float) -> float:
        """When the person next crosses a band boundary (65, 75, 85); inf if never."""
        age = self.age(pid, t)
        for edge in (65.0, 75.0, 85.0):
            if age < edge:
                return (edge - self.age0[pid]) * DAYS_PER_YEAR
        return math.inf

    def table(self) -> dict[str, npt.NDArray[np.generic]]:
        return {
            "age0": np.asarray(self.age0),
            "entered": np.asarray(self.entered),
            "died": np.asarray(self.died),
            "frailty": np.asarray(self.frailty),
            "need": np.asarray(self.need),
            "alone": np.asarray(self.alone, dtype=bool),
            "risk": np.asarray(self.risk),
            "imd": np.asarray(self.imd, dtype=np.int64),
            "place": np.asarray(self.place),
            "moved_in": np.asarray(self.moved_in, dtype=bool),
            "moved_away": np.asarray(self.moved_away, dtype=bool),
        }
