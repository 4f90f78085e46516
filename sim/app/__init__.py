"""The what-if page for commissioners (``caresim app``).

- :mod:`sim.app.levers`: the controls and the scenario file they make;
- :mod:`sim.app.logic`: checking a what-if by resolving it, and the scenario library;
- :mod:`sim.app.runs`: one comparison run written to a results folder as ``caresim compare --out``
  writes it, and the headline table read back; no web framework in these three.
- :mod:`sim.app.jobs`: a comparison in a separate process, with progress and cancelling.
- :mod:`sim.app.page`: the Streamlit page, which lays out controls and calls those above.
- :mod:`sim.app.command`: the ``app`` sub-command that starts the page.
"""
