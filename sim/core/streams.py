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
from dataclasses import dataclass
from typing import Final, SupportsIndex

import numpy as np
from librt.vecs import extend, vec
from mypy_extensions import i64

CHUNK: Final = 4096  # persons per generated chunk
BLOCK: Final = 16  # draws per person per block
MAX_WIDTH: Final = 4 * BLOCK  # most first draws a person stream keeps at hand per person (memory)
_PCG64_PERIOD: Final = 1 << 128
_NO_ROW = array("d", bytes(8 * BLOCK))  # a place for a row of BLOCK draws, filled when it is used


def stream_key(name: str) -> int:
    """A stable 64-bit key for a stream name (never Python's salted ``hash``)."""
    if not name:
        raise ValueError("a stream needs a non-empty name")
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def _generator(seed: int, spawn_key: tuple[int, ...]) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=spawn_key)))


class _FirstDraws:
    """The first draws of one or more streams, with their draw counters, kept person by person.

    Each person has a block of ``(width + 1) * streams`` doubles: first the
    counters of the ``streams`` streams (the number of the next draw, exact
    as a double), then their first ``width`` draws, draw by draw: person
    ``p``'s ``k``-th draw of the ``j``-th stream sits at
    ``p * block + (k + 1) * streams + j``.  So what a pathway reads from a
    group of streams drawn together sits side by side in memory, counters
    included.  ``width`` (at most ``MAX_WIDTH``, from as many blocks as it
    spans) is how many draws most people need; where a number is kept never
    changes which number it is.
    """

    __slots__ = ("seed", "rep", "keys", "width", "block", "data", "rows")

    def __init__(self, seed: int, replication: int, keys: tuple[int, ...], width: int = BLOCK) -> None:
        if not 0 <= width <= MAX_WIDTH:
            raise ValueError(f"width must be between 0 and {MAX_WIDTH}, got {width}")
        self.seed = seed
        self.rep = replication
        self.keys = keys
        self.width = width
        self.block = (width + 1) * len(keys)  # doubles per person
        self.data = vec[float]()
        self.rows = 0  # persons covered

    def ensure(self, persons: int) -> None:
        chunks = range(self.rows // CHUNK, -(-persons // CHUNK))
        if not chunks:
            return
        # all new chunks in one append, so the vec is copied at most once as it grows
        data = np.zeros((len(chunks), CHUNK, self.width + 1, len(self.keys)))  # persons x (counters, draws) x streams
        for i, chunk in enumerate(chunks):
            for j, key in enumerate(self.keys):
                for b, start in enumerate(range(0, self.width, BLOCK)):  # draws start.. are block b's
                    block = _generator(self.seed, (self.rep, key, chunk, b)).random((CHUNK, BLOCK))
                    data[i, :, 1 + start : 1 + start + BLOCK, j] = block[:, : self.width - start]
        self.data = extend(self.data, data.reshape(-1))  # the same doubles, without making Python floats
        self.rows = chunks.stop * CHUNK


@dataclass(slots=True)
class _Cursor:
    """A block's generator and how many draws it has made (where it stands)."""

    bits: np.random.PCG64
    gen: np.random.Generator
    at: int = 0


class PersonStream:
    """Uniform(0, 1) draws for each person, counted per person.

    ``next(pid)`` returns person ``pid``'s next draw.  The first draws of
    every person sit in one packed array beside their counter (the fast
    path), shared with the other streams of a group (``Streams.group``).
    Later draws, which few people need, are made one block row at a time, on
    demand, by moving the block's generator to the person's row (the same
    numbers as making the whole block), and only the row in use is kept: in a
    flat array too, at a place the person keeps, so that a long run does not
    pile up an object per row for Python's cycle collector to walk.
    """

    __slots__ = (
        "name",
        "_seed",
        "_rep",
        "_key",
        "_store",
        "_data",
        "_block",
        "_stride",
        "_slot",
        "_width",
        "_extra",
        "_rows",
        "_blocks",
        "_gens",
    )

    def __init__(
        self, seed: int, replication: int, name: str, persons: int = 0, store: _FirstDraws | None = None, slot: int = 0
    ) -> None:
        self.name = name
        self._seed = int(seed)
        self._rep = int(replication)
        self._key = stream_key(name)
        if store is None:
            store = _FirstDraws(self._seed, self._rep, (self._key,))
        if store.keys[slot] != self._key:
            raise ValueError(f"stream {name!r} is not in slot {slot} of its group")
        self._store = store
        self._data = store.data  # a new vec when it grows (ensure)
        self._block: i64 = store.block
        self._stride: i64 = len(store.keys)
        self._slot: i64 = slot
        self._width = float(store.width)
        self._extra: dict[int, int] = {}  # pid -> where their row past the first draws is (in rows of _rows)
        self._rows = array("d")  # those rows, BLOCK draws each
        self._blocks: list[int] = []  # the block each row of _rows is from
        self._gens: dict[tuple[int, int], _Cursor] = {}  # (chunk, block) -> its generator and position
        self.ensure(persons)

    def ensure(self, persons: int) -> None:
        """Make sure ids ``0 .. persons-1`` are covered."""
        self._store.ensure(persons)
        self._data = self._store.data

    def next(self, pid: int) -> float:
        p: i64 = pid
        data = self._data
        i = p * self._block + self._slot  # the counter
        k = data[i]
        data[i] = k + 1.0
        if k < self._width:
            n: i64 = int(k)
            return data[i + (n + 1) * self._stride]
        return self._later(pid, int(k))

    def _later(self, pid: int, k: int) -> float:
        block, col = divmod(k, BLOCK)
        at = self._extra.get(pid)
        if at is None:  # the person's first draw past their first draws: a place for their row
            at = self._extra[pid] = len(self._blocks)
            self._blocks.append(-1)
            self._rows.extend(_NO_ROW)
        if self._blocks[at] != block:
            self._blocks[at] = block
            self._rows[at * BLOCK : (at + 1) * BLOCK] = self._row(pid, block)
        return self._rows[at * BLOCK + col]

    def _row(self, pid: int, block: int) -> array[float]:
        """Row ``pid`` of its chunk's block ``block``: the block's generator moved to the row and read.

        Each (chunk, block) keeps its generator and where it stands; the
        generator moves by a whole number of draws (one 64-bit output per
        double), forwards or, modulo its period, backwards.
        """
        chunk, row = divmod(pid, CHUNK)
        key = (chunk, block)
        cursor = self._gens.get(key)
        if cursor is None:
            bits = np.random.PCG64(np.random.SeedSequence(self._seed, spawn_key=(self._rep, self._key, chunk, block)))
            cursor = self._gens[key] = _Cursor(bits, np.random.Generator(bits))
        start = row * BLOCK
        cursor.bits.advance((start - cursor.at) % _PCG64_PERIOD)
        cursor.at = start + BLOCK
        return array("d", cursor.gen.random(BLOCK).tobytes())

    def draws_used(self, pid: int) -> int:
        return int(self._data[pid * self._block + self._slot])


class Streams:
    """All random streams of one replication, keyed by name."""

    def __init__(self, seed: SupportsIndex, replication: SupportsIndex, persons: int = 0) -> None:
        # (SupportsIndex, not int: numpy integers are welcome, and wrong types get the ValueError below)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if isinstance(replication, bool) or not isinstance(replication, (int, np.integer)) or replication < 0:
            raise ValueError(f"replication must be a non-negative integer, got {replication!r}")
        self.seed = int(seed)
        self.replication = int(replication)
        self._persons = persons
        self._person_streams: dict[str, PersonStream] = {}

    def person(self, name: str, width: int = BLOCK) -> PersonStream:
        """The stream ``name``, made on first use keeping each person's first ``width`` draws at hand.

        ``width`` only sets memory against speed (0 for a stream few people
        draw from); the numbers are the same whatever it is.
        """
        return self.group((name,), width)[0]

    def group(self, names: tuple[str, ...], width: int = BLOCK) -> tuple[PersonStream, ...]:
        """Streams drawn from together, made at once and kept side by side (their numbers are unchanged).

        Streams that exist already stay as they are.  ``width``: as in ``person``.
        """
        new = [n for n in dict.fromkeys(names) if n not in self._person_streams]
        if new:
            store = _FirstDraws(self.seed, self.replication, tuple(stream_key(n) for n in new), width)
            for slot, n in enumerate(new):
                self._person_streams[n] = PersonStream(self.seed, self.replication, n, self._persons, store, slot)
        return tuple(self._person_streams[n] for n in names)

    def ensure(self, persons: int) -> None:
        """Extend every person stream to cover ``persons`` ids (new entrants)."""
        if persons <= self._persons:  # every stream covers them already
            return
        self._persons = -(-persons // CHUNK) * CHUNK  # streams grow a whole chunk at a time anyway
        for s in self._person_streams.values():
            s.ensure(self._persons)

    def generator(self, name: str) -> np.random.Generator:
        """A process-level numpy Generator (not per person), e.g. for background arrivals."""
        return _generator(self.seed, (self.replication, stream_key(name), 2**32 - 1))
