"""``caresim app [--port P] [--host H]``: start the what-if page.

The page is a Streamlit app (:mod:`sim.app.page`) served by ``python -m streamlit run`` on
127.0.0.1 unless ``--host`` names another address, with a warning then: the page has no log-in
and anyone who can reach it can run simulations on this computer.  :func:`add_app_command` adds
the sub-command to ``caresim``'s parser; :func:`app` runs it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

PAGE = Path(__file__).with_name("page.py")
LOCAL = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORT = 8501


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got '{text}'") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is from 1 to 65535, got {value}")
    return value


def add_app_command(commands) -> None:
    """The ``app`` sub-command, on ``caresim``'s sub-parsers."""
    cmd = commands.add_parser(
        "app", help="start the what-if page in a web browser",
        description="Start a local web page where you pick a scenario or move the levers (money moved out of acute "
                    "beds, the MDT, rapid response, information sharing, community support, demographic growth), "
                    "press Run and read the changes against the baseline with 95% intervals, the charts and the "
                    "report. Open the address it prints; Ctrl-C stops it.")
    cmd.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="P", help=f"port (default: {DEFAULT_PORT})")
    cmd.add_argument("--host", metavar="H",
                     help="address to listen on (default: 127.0.0.1, this computer only); another address makes the "
                          "page reachable from other computers, with a warning")
    cmd.add_argument("--results", metavar="DIR",
                     help="keep each run's results folder under DIR (default: a folder in the temporary directory)")
    cmd.add_argument("--scenarios", metavar="DIR",
                     help="the scenario library to offer (default: the scenarios folder of this checkout)")
    cmd.add_argument("--no-browser", action="store_true", help="do not open a web browser")


def command_line(args: argparse.Namespace) -> list[str]:
    """The Streamlit command that serves the page."""
    host = args.host or LOCAL[0]
    return [sys.executable, "-m", "streamlit", "run", str(PAGE),
            "--server.address", host, "--server.port", str(args.port),
            "--server.headless", "true" if args.no_browser else "false",
            "--browser.gatherUsageStats", "false", "--browser.serverAddress", "localhost" if host in LOCAL else host,
            "--server.fileWatcherType", "none", "--global.developmentMode", "false",
            "--theme.base", "light", "--client.toolbarMode", "minimal"]


def app(args: argparse.Namespace) -> int:
    """Serve the page until Ctrl-C; return the exit status."""
    if importlib.util.find_spec("streamlit") is None:
        print("caresim: error: app: the page needs Streamlit, which is not installed; "
              "install it with: python -m pip install -e \".[app]\"", file=sys.stderr)
        return 2
    host = args.host or LOCAL[0]
    if args.host and args.host not in LOCAL:
        print(f"caresim: warning: app: listening on {host}, so other computers that can reach this address can open "
              "the page and run simulations here; it has no log-in. Leave out --host to keep it on this computer.",
              file=sys.stderr)
    env = dict(os.environ)
    for flag, var in ((args.results, "CARESIM_APP_RESULTS"), (args.scenarios, "CARESIM_APP_SCENARIOS")):
        if flag:
            env[var] = str(Path(flag).resolve())
    shown = f"[{host}]" if ":" in host else host
    print(f"caresim: the what-if page is at http://{shown}:{args.port} (Ctrl-C stops it)", file=sys.stderr, flush=True)
    cmd = command_line(args)
    if os.name == "posix":  # Streamlit takes this process's place, so signals reach the server itself
        sys.stdout.flush()
        os.execve(cmd[0], cmd, env)
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.app.command [--port P] [--host H] ...``: the sub-command on its own."""
    parser = argparse.ArgumentParser(prog="caresim")
    add_app_command(parser.add_subparsers(dest="command", required=True))
    return app(parser.parse_args(["app", *(sys.argv[1:] if argv is None else argv)]))


if __name__ == "__main__":
    sys.exit(main())
