"""The simulated cohort: who each person is, and where they are now.

People are columns (plain Python lists, fast to read one at a time): age at
time 0, frailty, main need, living alone, persistent risk, the time of their
last crisis (the transient part of risk), where they are, what care they
hold, and until when their need for care goes unmet or is lowered by
reablement.  The initial attributes are drawn from each person's own
``init`` stream, so person ``i`` is the same person in every scenario run
with the same seed.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from sim.core.distributions import categorical
from sim.core.streams import Streams
from sim.parameters.params import Params
from sim.vocabulary import Care, Place

DAYS_PER_YEAR = 365.25
_NORMAL = NormalDist()


def cohort_sizes(p: Params) -> npt.NDArray[np.int_]:
    """People per band (under-65 complex, 65-74, 75-84, 85+) at the place's size."""
    pl = p.place
    shares = np.array([pl.share_under65_complex, pl.share_65_74, pl.share_75_84, pl.share_85plus])
    sizes: npt.NDArray[np.int_] = np.rint(shares * pl.registered_population).astype(int)
    return sizes


class Population:
    """Attributes and state of every person who has ever been in the cohort."""

    def __init__(self, p: Params, streams: Streams) -> None:
        self.p = p
        self.streams = streams
        self.init_stream = streams.person("init")
        self.age0: list[float] = []  # age at time 0 (entrants: back-dated)
        self.entered: list[float] = []
        self.frailty: list[int] = []
        self.need: list[int] = []  # main need: a Need's value
        self.alone: list[bool] = []
        self.risk: list[float] = []  # persistent multiplier, mean 1
        self.last_crisis: list[float] = []  # transient risk anchor (-inf: none)
        self.place: list[Place] = []
        self.care: list[Care] = []
        self.died: list[float] = []
        self.token: list[int] = []  # bumps when a person's scheduled events go stale
        self.referral_token: list[int] = []  # the same for their next outpatient referral (a clock of its own)
        self.pending: list[bool] = []  # waiting in the community for home care or a care home
        self.unmet_until: list[float] = []  # unmet need for care lasts until then (inf: a request waits; -inf: none)
        self.reabled_until: list[float] = []  # reablement's lower need for home care lasts until then
        self.deaths = 0  # people with a time of death (so len(self) - deaths are alive)
        sd = p.people.persistent_risk_sd
        self._risk_sigma = math.sqrt(math.log1p(sd * sd)) if sd > 0 else 0.0

    def __len__(self) -> int:
        return len(self.age0)

    # --- creation -----------------------------------------------------
    def _add(self, t: float, band: int, age: float) -> int:
        """Draw one person's attributes from their own ``init`` stream."""
        pid = len(self.age0)
        self.streams.ensure(pid + 1)
        u = self.init_stream.next
        pp = self.p.people
        frail_shares = (pp.frailty_under65_complex, pp.frailty_65_74, pp.frailty_75_84, pp.frailty_85plus)[band]
        frailty = categorical(u(pid), frail_shares)
        need = categorical(u(pid), pp.need_under65_complex if band == 0 else pp.need_65plus)
        alone = u(pid) < pp.lives_alone[band]
        z = _NORMAL.inv_cdf(min(max(u(pid), 1e-12), 1 - 1e-12)) if self._risk_sigma else 0.0
        risk = math.exp(self._risk_sigma * z - self._risk_sigma**2 / 2)
        self.age0.append(age - t / DAYS_PER_YEAR)
        self.entered.append(t)
        self.frailty.append(frailty)
        self.need.append(need)
        self.alone.append(alone)
        self.risk.append(risk)
        self.last_crisis.append(-math.inf)
        self.place.append(Place.HOME)
        self.care.append(Care.NONE)
        self.died.append(math.nan)
        self.token.append(0)
        self.referral_token.append(0)
        self.pending.append(False)
        self.unmet_until.append(-math.inf)
        self.reabled_until.append(-math.inf)
        return pid

    def initial(self) -> None:
        """The cohort at time 0: ages spread within bands."""
        sizes = cohort_sizes(self.p)
        self.streams.ensure(len(self.age0) + sum(sizes))  # every stream made for the whole cohort at once
        for band, n in enumerate(sizes):
            for _ in range(n):
                pid = len(self.age0)
                self.streams.ensure(pid + 1)
                a = self.init_stream.next(pid)
                if band == 0:
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
            "alone": np.asarray(self.alone),
            "risk": np.asarray(self.risk),
            "place": np.asarray(self.place),
        }
