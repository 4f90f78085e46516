"""Kinds of calendar entry: a person's next state change while at home or in a care home."""

CRISIS = 0
DEATH = 1
FRAILTY_STEP = 2
BAND_CHANGE = 3
HOME_CARE_REQUEST = 4
CARE_HOME_REQUEST = 5
HOME_CARE_ENDS = 6
REABLEMENT_ENDS = 7
CHECK_91D = 8  # not a state change: never stale
FRAILTY_RECOVERY = 9
REFERRAL = 10  # an outpatient referral from the GP (competing hazard)
OUTPATIENT = 11  # an outpatient appointment (booked: never stale, the handler checks the person)
ELECTIVE_DATE = 12  # the date of a planned admission (booked)
MDT_REVIEW = 13  # a co-ordinator's scheduled review (booked)
