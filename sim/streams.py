"""Random streams aligned per person and per stream name.

Every uniform a person draws is fixed by (master seed, replication, stream
name, person id, draw number), and nothing else.  So what one person draws
never depends on what anybody else did, and two scenarios run with the same
seed share common random numbers person by person.

The uniforms are made in vectorised blocks: persons are grouped in chunks of
``CHUNK`` rows and each row holds ``BLOCK`` draws.  Block ``b`` of chunk ``c``
comes from its own ``SeedSequence(seed, spawn_key=(replication, stream, c, b))``,
so a block can be made at any time, in any order, with the same numbers.
Process-level streams (background arrivals, test queues) get a plain numpy
Generator from the same key scheme.
"""

from __future__ import annotations

import hashlib
from array import array

import numpy as np

CHUNK = 4096  # persons per generated chunk
BLOCK = 16  # draws per person per block


def stream_key(name: str) -> int:
    """A stable 64-bit key for a stream name (never Python's salted ``hash``)."""
    if not name:
        raise ValueError("a stream needs a non-empty name")
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def _generator(seed: int, spawn_key: tuple[int, ...]) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=spawn_key)))


class PersonStream:
    """Uniform(0, 1) draws for each person, counted per person.

    ``next(pid)`` returns person ``pid``'s next draw.  The first ``BLOCK`` draws
    of every person sit in one flat array (the fast path); later blocks are
    made on demand per chunk.
    """

    __slots__ = ("name", "_seed", "_rep", "_key", "_first", "_rows", "_count", "_extra")

    def __init__(self, seed: int, replication: int, name: str, persons: int = 0) -> None:
        self.name = name
        self._seed = int(seed)
        self._rep = int(replication)
        self._key = stream_key(name)
        self._first = array("d")  # block 0 of every covered person, row-major
        self._rows = 0  # persons covered by _first
        self._count: list[int] = []  # next draw number, per person
        self._extra: dict[tuple[int, int], array] = {}
        self.ensure(persons)

    def _block(self, chunk: int, block: int) -> np.ndarray:
        g = _generator(self._seed, (self._rep, self._key, chunk, block))
        return g.random((CHUNK, BLOCK))

    def ensure(self, persons: int) -> None:
        """Make sure ids ``0 .. persons-1`` have their first block."""
        while self._rows < persons:
            chunk = self._rows // CHUNK
            self._first.extend(self._block(chunk, 0).ravel().tolist())
            self._rows += CHUNK
        if len(self._count) < self._rows:
            self._count.extend([0] * (self._rows - len(self._count)))

    def next(self, pid: int) -> float:
        k = self._count[pid]
        self._count[pid] = k + 1
        if k < BLOCK:
            return self._first[pid * BLOCK + k]
        return self._later(pid, k)

    def _later(self, pid: int, k: int) -> float:
        chunk, row = divmod(pid, CHUNK)
        block, col = divmod(k, BLOCK)
        key = (chunk, block)
        blk = self._extra.get(key)
        if blk is None:
            blk = self._extra[key] = array("d", self._block(chunk, block).ravel().tolist())
        return blk[row * BLOCK + col]

    def draws_used(self, pid: int) -> int:
        return self._count[pid]


class Streams:
    """All random streams of one replication, keyed by name."""

    def __init__(self, seed: int, replication: int, persons: int = 0) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if isinstance(replication, bool) or not isinstance(replication, (int, np.integer)) or replication < 0:
            raise ValueError(f"replication must be a non-negative integer, got {replication!r}")
        self.seed = int(seed)
        self.replication = int(replication)
        self._persons = persons
        self._person_streams: dict[str, PersonStream] = {}

    def person(self, name: str) -> PersonStream:
        s = self._person_streams.get(name)
        if s is None:
            s = self._person_streams[name] = PersonStream(self.seed, self.replication, name, self._persons)
        return s

    def ensure(self, persons: int) -> None:
        """Extend every person stream to cover ``persons`` ids (new entrants)."""
        self._persons = max(self._persons, persons)
        for s in self._person_streams.values():
            s.ensure(persons)

    def generator(self, name: str) -> np.random.Generator:
        """A process-level numpy Generator (not per person), e.g. for background arrivals."""
        return _generator(self.seed, (self.replication, stream_key(name), 2**32 - 1))
