#!/usr/bin/env bash
# The full pilots study, as committed: the fit by the emulator route at 100,000 people
# (about 25 minutes on 2 cores), then the check that the package defaults (the fitted values, written into
# sim/parameters/params.py) reproduce every target within two standard errors in a fresh run at
# the default population (250,000 people, 5 replications, another seed).
#
#   bash calibration/pilots.sh
#
# Both steps resume where they stopped if interrupted; in a fresh clone, which holds the
# committed fit but not its runs, only the check is made. Results: calibration/fitted/pilots/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f calibration/fitted/pilots/results.sqlite ]; then
  caresim calibrate calibration/pilots.toml --route emulator --resume
elif [ -d calibration/fitted/pilots ]; then  # a fresh clone: the committed fit, without its runs
  echo "pilots.sh: calibration/fitted/pilots holds the committed fit but not its runs; checking it" \
       "(to fit again from scratch, move that folder aside first)" >&2
else
  caresim calibrate calibration/pilots.toml --route emulator
fi
resume=()
[ -f calibration/fitted/pilots/check/results.sqlite ] && resume=(--resume)
caresim calibrate calibration/pilots.toml --check "${resume[@]}"
