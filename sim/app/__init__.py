"""The what-if page for commissioners (``caresim app``).

- :mod:`sim.app.logic`: levers to a scenario file, checks, the headline table and one comparison run
  written to a results folder as ``caresim compare --out`` writes it; no web framework here.
- :mod:`sim.app.jobs`: a comparison in a separate process, with progress and cancelling.
- :mod:`sim.app.page`: the Streamlit page, which lays out controls and calls the two above.
- :mod:`sim.app.command`: the ``app`` sub-command that starts the page.
"""
