"""``python -m sim.cli.main``: the ``caresim`` command."""

import sys

from sim.cli.main import main

sys.exit(main())
