"""Random streams: draws aligned per person and per stream name (DESIGN 4).

A person's k-th draw from stream ``name`` must depend on (seed, replication,
name, person, k) only: not on what other persons drew, nor on the order in
which streams or persons were created, nor on the Python process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.core.streams import BLOCK, CHUNK, MAX_WIDTH, PersonStream, Streams, stream_key

ROOT = Path(__file__).resolve().parents[1]


def draws(stream: PersonStream, pid: int, n: int) -> list[float]:
    return [stream.next(pid) for _ in range(n)]


def isolated(seed: int, replication: int, name: str, pid: int, n: int) -> list[float]:
    """Person ``pid``'s first ``n`` draws when nobody else has drawn anything."""
    s = Streams(seed, replication, persons=pid + 1).person(name)
    return draws(s, pid, n)


# --- alignment per person -------------------------------------------------------------------------


def test_other_persons_draws_do_not_shift_a_person():
    n = 20  # more than one block of draws
    assert n > BLOCK
    alone = isolated(11, 0, "crisis", 7, n)

    s = Streams(11, 0, persons=100).person("crisis")
    draws(s, 3, 100)  # person 3 draws many numbers first
    for pid in (0, 8, 99):
        draws(s, pid, 5)
    assert draws(s, 7, n) == alone


def test_interleaved_draws_equal_sequential_draws():
    s1 = Streams(5, 2, persons=10).person("los")
    seq = {pid: draws(s1, pid, 3 * BLOCK + 5) for pid in range(10)}

    s2 = Streams(5, 2, persons=10).person("los")
    got: dict[int, list[float]] = {pid: [] for pid in range(10)}
    for _ in range(3 * BLOCK + 5):
        for pid in reversed(range(10)):
            got[pid].append(s2.next(pid))
    assert got == seq


def test_blocks_beyond_the_first_are_aligned():
    """Draw 40 of person 2 is the same whether reached early or after other blocks were made."""
    n = 5 * BLOCK + 3
    alone = isolated(3, 1, "route", 2, n)
    s = Streams(3, 1, persons=CHUNK).person("route")
    draws(s, 1, 4 * BLOCK)  # makes blocks 1-3 of chunk 0 for someone else first
    draws(s, CHUNK - 1, 2 * BLOCK)
    assert draws(s, 2, n) == alone
    assert s.draws_used(2) == n
    assert s.draws_used(1) == 4 * BLOCK


def test_persons_in_a_later_chunk_created_after_ensure():
    pid = CHUNK + 17  # in the second chunk, not covered at the start
    n = 2 * BLOCK + 1
    reference = isolated(9, 4, "entrant", pid, n)

    streams = Streams(9, 4, persons=10)
    early = streams.person("entrant")  # made before the cohort grew
    draws(early, 5, 50)
    try:  # a person not covered yet: an error, or their own number, never someone else's
        got = [early.next(pid)]
    except (IndexError, KeyError, ValueError):
        got = []
    streams.ensure(pid + 1)  # new entrants
    late = streams.person("made_after_ensure")
    got += draws(early, pid, n - len(got))
    assert got == reference
    assert draws(late, pid, n) == isolated(9, 4, "made_after_ensure", pid, n)
    # persons who were covered before keep their numbers
    assert draws(early, 5, 3) == isolated(9, 4, "entrant", 5, 53)[50:]


def test_chunks_made_together_or_one_at_a_time_hold_the_same_numbers():
    """The cohort's streams are made for every chunk at once; entrants' a chunk at a time: no number moves."""
    pids = (0, CHUNK - 1, CHUNK, 2 * CHUNK + 5, 3 * CHUNK - 1)
    together = Streams(5, 1, persons=3 * CHUNK).group(("a", "b"), 5)
    stepwise = Streams(5, 1, persons=1)
    grown = stepwise.group(("a", "b"), 5)
    for persons in (CHUNK + 1, 2 * CHUNK, 3 * CHUNK):
        stepwise.ensure(persons)
    for pid in pids:
        for s, t in zip(together, grown):
            assert draws(s, pid, 7) == draws(t, pid, 7) == isolated(5, 1, s.name, pid, 7)


def test_stream_creation_order_does_not_matter():
    a = Streams(21, 0, persons=50)
    b = Streams(21, 0, persons=50)
    for name in ("x", "y", "z"):
        a.person(name)
    for name in ("z", "y", "x"):
        draws(b.person(name), 4, 3)
    assert draws(a.person("y"), 4, 6) == isolated(21, 0, "y", 4, 6)
    assert draws(b.person("y"), 4, 3) == isolated(21, 0, "y", 4, 6)[3:]
    # asking for a stream twice gives the same object, with its counters
    assert a.person("x") is a.person("x")


@settings(max_examples=40, deadline=None)
@given(
    order=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=120),
    seed=st.integers(min_value=0, max_value=2**63),
)
def test_any_interleaving_gives_each_person_their_own_sequence(order, seed):
    s = Streams(seed, 0, persons=6).person("prop")
    got: dict[int, list[float]] = {pid: [] for pid in range(6)}
    for pid in order:
        got[pid].append(s.next(pid))
    ref = Streams(seed, 0, persons=6).person("prop")
    for pid in range(6):
        assert got[pid] == draws(ref, pid, len(got[pid]))


@settings(max_examples=40, deadline=None)
@given(
    order=st.lists(
        st.tuples(st.integers(min_value=0, max_value=2), st.sampled_from([0, 1, CHUNK - 1, CHUNK + 3])),
        min_size=1,
        max_size=150,
    ),
    width=st.sampled_from([0, 1, 4, BLOCK, BLOCK + 5, 2 * BLOCK, MAX_WIDTH]),
    seed=st.integers(min_value=0, max_value=2**63),
)
def test_groups_and_widths_keep_every_number(order, width, seed):
    """How streams are stored (side by side in a group, few or many first draws at hand) never changes a number."""
    names = ("g0", "g1", "g2")
    grouped = Streams(seed, 1, persons=CHUNK + 4)
    grouped.group(names, width)
    got: dict[tuple[int, int], list[float]] = {}
    for j, pid in order:
        got.setdefault((j, pid), []).append(grouped.person(names[j]).next(pid))
    for (j, pid), values in got.items():
        assert values == isolated(seed, 1, names[j], pid, len(values))
        assert grouped.person(names[j]).draws_used(pid) == len(values)


def test_a_group_leaves_existing_streams_alone_and_widths_are_checked():
    s = Streams(3, 0, persons=10)
    a = s.person("a")
    draws(a, 2, 5)
    ga, gb = s.group(("a", "b"), 1)
    assert ga is a and a.draws_used(2) == 5
    assert draws(gb, 2, 2 * BLOCK + 1) == isolated(3, 0, "b", 2, 2 * BLOCK + 1)
    with pytest.raises(ValueError):
        s.group(("c",), MAX_WIDTH + 1)


def test_first_draws_kept_over_several_blocks_are_those_blocks_numbers():
    """A width past one block keeps the next blocks' first draws at hand: each person's numbers, in order."""
    width = 2 * BLOCK + 3
    wide = Streams(4, 1, persons=CHUNK + 2).group(("w0", "w1"), width)
    n = 3 * BLOCK + 1  # past the first draws too
    for pid in (0, CHUNK - 1, CHUNK + 1):
        for j, s in enumerate(wide):
            assert draws(s, pid, n) == isolated(4, 1, f"w{j}", pid, n)


def test_draws_far_past_the_first_block_jump_back_and_forth():
    """Later blocks are made a row at a time: rows asked for in any order are those of the whole block."""
    s = Streams(17, 2, persons=CHUNK).person("far", width=2)
    pids = (CHUNK - 1, 0, 2000, 1, 1999)
    got = {pid: draws(s, pid, 3 * BLOCK + 2) for pid in pids}
    for pid in pids:
        assert got[pid] == isolated(17, 2, "far", pid, 3 * BLOCK + 2)


def test_generator_streams_are_reproducible_and_independent_of_person_streams():
    a = Streams(8, 3)
    b = Streams(8, 3, persons=20)
    draws(b.person("background"), 0, 30)  # a person stream with the same name must not interfere
    assert np.array_equal(a.generator("background").random(100), b.generator("background").random(100))
    # a fresh generator restarts the stream
    assert np.array_equal(a.generator("background").random(5), a.generator("background").random(5))


# --- different keys give different numbers --------------------------------------------------------


def test_different_names_seeds_and_replications_differ():
    base = isolated(1, 0, "crisis", 3, 40)
    variants = [
        isolated(1, 0, "crisis2", 3, 40),
        isolated(2, 0, "crisis", 3, 40),
        isolated(1, 1, "crisis", 3, 40),
        isolated(1, 0, "crisis", 4, 40),  # another person
    ]
    for v in variants:
        assert len(set(v) & set(base)) == 0
    g = [
        Streams(1, 0).generator("bg").random(50),
        Streams(1, 0).generator("bg2").random(50),
        Streams(2, 0).generator("bg").random(50),
        Streams(1, 1).generator("bg").random(50),
    ]
    for i in range(len(g)):
        for j in range(i + 1, len(g)):
            assert not np.any(g[i] == g[j])


def test_no_repeats_across_blocks_chunks_and_persons():
    """Every block of every chunk has its own numbers (the key includes chunk and block)."""
    row = 17
    same_row = [isolated(6, 0, "blocks", row + k * CHUNK, 3 * BLOCK) for k in range(3)]  # one row, three chunks
    pooled = [u for person in same_row for u in person]
    assert len(set(pooled)) == len(pooled)


def test_persons_are_not_correlated():
    s = Streams(17, 0, persons=2000).person("corr")
    m = np.array([draws(s, pid, 2 * BLOCK) for pid in range(2000)])
    # adjacent persons, and consecutive draws of one person
    r_persons = np.corrcoef(m[:-1].ravel(), m[1:].ravel())[0, 1]
    r_draws = np.corrcoef(m[:, :-1].ravel(), m[:, 1:].ravel())[0, 1]
    se = 1 / np.sqrt(m[:, :-1].size)
    assert abs(r_persons) < 5 * se
    assert abs(r_draws) < 5 * se


def test_names_are_not_correlated():
    a = Streams(17, 0, persons=1000).person("a")
    b = Streams(17, 0, persons=1000).person("b")
    x = np.array([draws(a, pid, 10) for pid in range(1000)]).ravel()
    y = np.array([draws(b, pid, 10) for pid in range(1000)]).ravel()
    assert abs(np.corrcoef(x, y)[0, 1]) < 5 / np.sqrt(x.size)


# --- stability across processes -------------------------------------------------------------------


@pytest.mark.timeout(300)  # two child processes
def test_stream_key_is_stable_and_not_pythons_hash():
    names = ["crisis", "los", "background", "é-unicode"]
    local = {n: stream_key(n) for n in names}
    assert all(0 <= k < 2**64 for k in local.values())
    assert len(set(local.values())) == len(names)
    code = (
        "import json, sys\n"
        "from sim.core.streams import Streams, stream_key\n"
        "names = json.loads(sys.argv[1])\n"
        "s = Streams(12, 3, persons=10).person('crisis')\n"
        "print(json.dumps({'keys': {n: stream_key(n) for n in names}, 'hashes': {n: hash(n) for n in names},\n"
        "                  'draws': [s.next(9) for _ in range(20)],\n"
        "                  'gen': Streams(12, 3).generator('background').random(5).tolist()}))\n"
    )
    outs = []
    for hashseed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hashseed)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        r = subprocess.run(
            [sys.executable, "-c", code, json.dumps(names)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            cwd=ROOT,
        )
        outs.append(json.loads(r.stdout))
    # the two processes disagree on hash() but agree on keys and numbers
    assert outs[0]["hashes"] != outs[1]["hashes"]
    for out in outs:
        assert out["keys"] == local
        assert out["draws"] == isolated(12, 3, "crisis", 9, 20)
        assert out["gen"] == Streams(12, 3).generator("background").random(5).tolist()


def test_empty_stream_name_rejected():
    with pytest.raises(ValueError):
        stream_key("")


# --- the numbers look uniform ---------------------------------------------------------------------


def test_person_draws_are_uniform():
    n_persons = 1000
    s = Streams(2024, 0, persons=n_persons).person("uniform")
    u = np.array([draws(s, pid, 20) for pid in range(n_persons)]).ravel()  # 20,000 draws, two blocks each
    assert u.size == 20_000
    assert np.all((u >= 0) & (u < 1))
    assert stats.kstest(u, "uniform").pvalue > 0.001
    # the first draws of many persons (one draw each, across chunks) too
    s2 = Streams(2024, 0, persons=20_000).person("uniform_first")
    first = np.array([s2.next(pid) for pid in range(20_000)])
    assert stats.kstest(first, "uniform").pvalue > 0.001


def test_generator_draws_are_uniform():
    u = Streams(2024, 1).generator("uniform").random(20_000)
    assert stats.kstest(u, "uniform").pvalue > 0.001


# --- invalid input --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [-1, 1.5, 2.0, "1", None, [1]])
def test_invalid_seeds_rejected(seed):
    with pytest.raises(ValueError):
        Streams(seed, 0)


@pytest.mark.parametrize("replication", [-1, 0.5, "0", None])
def test_invalid_replications_rejected(replication):
    with pytest.raises(ValueError):
        Streams(1, replication)


def test_large_and_numpy_integer_seeds_accepted():
    big = 2**100  # seeds are not restricted to a small integer range
    assert isolated(big, 0, "x", 0, 3) != isolated(big + 1, 0, "x", 0, 3)
    assert draws(Streams(np.int64(7), np.int64(1), persons=1).person("x"), 0, 3) == isolated(7, 1, "x", 0, 3)
