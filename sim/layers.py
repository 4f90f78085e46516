"""The package's layers, bottom to top: each imports only from its own layer and those below it.

This is the map of the code.  Data flows up: parameters feed the model core, the pathways move
people through it, outcomes are computed from what a run recorded, one replication ties them
together, scenarios say what to change, analysis compares runs, reports and charts show them,
experiments and calibration run many of them, and the page, the Python API and the command line
(which calls the API) face the user.

``tests/test_architecture.py`` holds the code to this order: no import from a higher layer, no
import cycle (imports inside functions included; imports under ``if TYPE_CHECKING:`` excepted, so
that a pathway can annotate ``m: Model``), and no private name (``_x``) imported across modules.
"""

from __future__ import annotations

LAYERS: tuple[tuple[str, str], ...] = (
    ("sim.compiled", "the compiled build of the model: which modules, whether it is current, making it"),
    ("sim", "the package's version, and the Python API's names, imported on first use"),
    ("sim.provenance", "where a result came from: git commit, file hashes"),
    ("sim.processes", "child processes that end with the process that started them"),
    ("sim.vocabulary", "the model's enumerations: events, places, destinations, care, calendar kinds, needs"),
    ("sim.layers", "this map"),
    ("sim.parameters", "the parameter tree (typed, frozen, with units and sources) and its defaults"),
    (
        "sim.core",
        "random streams, distributions, the calendar, services, the population, records, the model, "
        "crisis demand over the calendar (winters, growth), population projections and the demographic plan",
    ),
    (
        "sim.pathways",
        "the care pathways as plain code: home, crisis, emergency stays, discharge, social care, "
        "the elective route, MDTs, background load, who joins and leaves the cohort",
    ),
    ("sim.outcomes", "what a run leaves behind, the metric registry, KPIs and costs"),
    ("sim.replication", "the initial state, one replication (single_run) and several (runner)"),
    ("sim.scenarios", "scenario files, named interventions, resource shifts"),
    ("sim.analysis", "statistics, warm-up, comparisons with paired intervals, posterior draws, uncertainty"),
    ("sim.reports", "charts, plain-words text, the HTML report, STRESS-DES, metadata"),
    ("sim.experiments", "experiment files, tasks, executors, the results store, the batch runner, its outputs"),
    ("sim.calibration", "study files, sweeps, ABC-SMC, fit checks and reports, sensitivity, sites"),
    ("sim.app", "the what-if page"),
    ("sim.api", "the Python API: scenarios, runs, comparisons, experiments, results folders, calibration"),
    ("sim.cli", "the caresim command"),
)


def layer_of(module: str) -> int:
    """The index in :data:`LAYERS` of the longest prefix naming ``module`` (a dotted name under ``sim``)."""
    best, index = -1, -1
    for i, (prefix, _) in enumerate(LAYERS):
        inside = module == prefix or (prefix != "sim" and module.startswith(prefix + "."))
        if inside and len(prefix) > best:
            best, index = len(prefix), i
    if index < 0:
        raise KeyError(f"{module} is in no layer of sim.layers.LAYERS")
    return index
