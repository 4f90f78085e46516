"""The ``caresim`` command: one module per command, sharing :mod:`sim.cli.common`; :mod:`sim.cli.main` dispatches."""
