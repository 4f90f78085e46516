"""Parameters earlier versions had and this one has not, with what took their place.

A scenario file naming one is refused with this message instead of a guess at a
misspelling; a posterior sample fitted by an earlier version leaves its column out
(``sim.analysis.posterior``), saying so.
"""

from __future__ import annotations

RETIRED = {
    "mdt.unmet_need_admission_hr": (
        "retired in 0.4.0: the MDT no longer multiplies the chance of admission; co-ordinators send "
        "more crises to A&E instead (mdt.ae_referral_share, docs/mdt.md)"
    ),
    "community.rapid_response_resolves": (
        "retired in 0.4.0: replaced by community.rapid_response_resolves_minor and "
        "community.rapid_response_resolves_severe (docs/prevention.md)"
    ),
    "costs.discount_rate": (
        "retired in 0.6.0: replaced by discounting.costs_per_year (3.5%, the Green Book's rate) and "
        "discounting.health_per_year (1.5%), which npv.csv applies from the window's second year (docs/costs.md)"
    ),
    "people.frailty_recovery_per_year": (
        "retired in 0.8.0: replaced by one rate per frailty level in each band, "
        "people.frailty_recovery_under65_complex, frailty_recovery_65_74, frailty_recovery_75_84 and "
        "frailty_recovery_85plus (from mild, moderate and severe), "
        "calibrated so that each band keeps its frailty mix (calibration/baseline.md)"
    ),
}
