"""Misspelt flags get a suggestion, and ``-V`` prints the version, like ``--version``."""

from __future__ import annotations

import pytest

from sim import __version__
from sim.cli.common import closest_flag
from sim.cli.main import main


@pytest.mark.parametrize(
    ("argv", "suggested"),
    [
        (["run", "--replications", "3"], "--reps"),
        (["run", "--popultion", "50000"], "--population"),
        (["compare", "a.toml", "b.toml", "--seeds", "2"], "--seed"),
        (["experiment", "x.toml", "--dsk", "local"], "--dask"),
        (["--verison"], "--version"),
    ],
)
def test_a_misspelt_flag_names_the_closest_flag_of_its_command(argv, suggested, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert f"did you mean '{suggested}'?" in err[0]


def test_no_guess_when_nothing_is_close(capsys):
    assert main(["run", "--frobnicate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "caresim: error: command line: unrecognized arguments: --frobnicate"


def test_closest_flag_prefers_a_shared_start_to_spelling():
    flags = ["--reps", "--seed", "--population", "--out"]
    assert closest_flag("--replications", flags) == "--reps"  # by spelling alone '--population' is as close
    assert closest_flag("--xyz", flags) is None


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_flags(flag, capsys):
    assert main([flag]) == 0
    assert capsys.readouterr().out.strip() == f"caresim {__version__}"
