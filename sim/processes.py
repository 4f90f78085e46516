"""Child processes that end with the process that started them.

A results folder is only ever written by a live ``caresim``: when the command is killed (even by
SIGKILL, which it cannot pass on), its pool workers and the what-if page's server must not live on.
On Linux the kernel sends each such child SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``);
elsewhere nothing is done.
"""

from __future__ import annotations

import ctypes
import functools
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # Linux's prctl option: the signal a process gets when its parent dies


def parent_death_hook() -> Callable[[], object] | None:
    """A function that makes the process calling it get SIGTERM when its parent dies; None off Linux.

    Looked up in the parent, so a ``subprocess`` ``preexec_fn`` only has to call it in the child.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return functools.partial(prctl, PR_SET_PDEATHSIG, int(signal.SIGTERM))


def die_with_parent() -> None:
    """Run first in a new worker process (a pool's initializer): it ends when the process that started it dies."""
    hook = parent_death_hook()
    if hook is not None:
        hook()
