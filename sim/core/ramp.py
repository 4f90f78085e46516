"""Ramp-up after a launch: the share of an intervention's full effect some days after it starts.

A new service does not work at full strength on its first day: staff are
recruited and trained, referral routes and relationships form, care plans are
written.  Any intervention can scale its effect by :meth:`Ramp.share` of the
days since its launch (the MDT's crisis effect does, ``mdt.ramp_up_days``);
a scenario's changes over time (an intervention's ``ramp_up_months``, its decay
when funding stops, a capacity plan) move their parameters by it, in steps of a
twelfth of a year (``sim/core/schedule.py``).

The share rises in a straight line from 0 at the launch to 1 at ``days``.
A hazard the model has already drawn cannot follow a continuous ramp, so the
share is held constant over steps of ``step_days`` (a month by default), each
at the straight line's value at the step's middle: over the ramp as a whole
the steps give the same total effect as the line.  The intervention redraws
what the share scales at :meth:`Ramp.changes`, the days after the launch at
which the share moves to its next step.  ``days`` of 0 is full effect at
once: :meth:`Ramp.share` is exactly 1 and there are no changes, so a model
run with it is the run without a ramp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

STEP_DAYS = 30.0  # a month: how often a ramping effect is redrawn


@dataclass(frozen=True)
class Ramp:
    """A straight-line ramp from no effect at the launch to full effect ``days`` later, held in monthly steps."""

    days: float
    step_days: float = STEP_DAYS

    def share(self, since_launch: float) -> float:
        """Share of the full effect (0 to 1) ``since_launch`` days after the launch (before it: the first step)."""
        if self.days <= 0 or since_launch >= self.days:
            return 1.0
        step = max(math.floor(max(since_launch, 0.0) / self.step_days), 0)
        start = step * self.step_days
        end = min(start + self.step_days, self.days)
        return 0.5 * (start + end) / self.days

    def changes(self) -> list[float]:
        """Days after the launch at which :meth:`share` moves to its next value (none without a ramp)."""
        if self.days <= 0:
            return []
        steps = math.ceil(self.days / self.step_days)
        return [min(k * self.step_days, self.days) for k in range(1, steps + 1)]
