#!/usr/bin/env bash
# The full pilots study, as committed: the fit at 20,000 people (about two hours on
# 2 cores), then the check that the package defaults (the fitted values, written into
# sim/params.py) reproduce every target within two standard errors in a fresh run at
# the default population (250,000 people, 5 replications, another seed).
#
#   bash calibration/pilots.sh
#
# Both steps resume where they stopped if interrupted. Results: calibration/fitted/pilots/.
set -euo pipefail
cd "$(dirname "$0")/.."
resume=()
[ -f calibration/fitted/pilots/results.sqlite ] && resume=(--resume)
caresim calibrate calibration/pilots.toml "${resume[@]}"
resume=()
[ -f calibration/fitted/pilots/check/results.sqlite ] && resume=(--resume)
caresim calibrate calibration/pilots.toml --check "${resume[@]}"
