"""caresim: a discrete-event simulator of integrated health and social care.

The Python API (:mod:`sim.api`) is available from here, ``from sim import run, compare``: its names are
those of ``sim.api.__all__``, imported on first use, so that ``import sim`` alone stays as light as the
version it holds (``tests/test_architecture.py`` declares this one import from a higher layer).

A compiled build of the model (``caresim compile``, :mod:`sim.compiled`) is used only when it matches
the sources: the guard below runs before any model module is imported.
"""

import typing as _typing

from sim.compiled import guard as _guard

__version__ = "0.11.0"
_guard()


def __getattr__(name: str) -> _typing.Any:
    """A name of the Python API (:mod:`sim.api`), imported on first use; ``__all__`` lists them."""
    if name.startswith("__") and name != "__all__":
        raise AttributeError(f"module 'sim' has no attribute '{name}'")
    import sim.api  # the one import from a higher layer: only when an API name is asked for

    if name == "__all__":
        return ["__version__", *sim.api.__all__]
    if name in sim.api.__all__:
        return getattr(sim.api, name)
    raise AttributeError(f"module 'sim' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted({*globals(), *__getattr__("__all__")})
