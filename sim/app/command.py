"""``caresim app [--port P] [--host H]``: start the what-if page.

The page is a Streamlit app (:mod:`sim.app.page`) served by ``python -m streamlit run`` on
127.0.0.1 unless ``--host`` names another address, with a warning then: the page has no log-in
and anyone who can reach it can run simulations on this computer.  :func:`add_app_command` adds
the sub-command to ``caresim``'s parser; :func:`app` runs it.

Streamlit always runs headless in a child process (:func:`serve`), so it never waits for an answer
on the terminal (its first-run e-mail prompt) and starts the same with or without one.  This
process opens the web browser itself once the page answers, passes Ctrl-C and SIGTERM on to the
server, and says in one line why the server stopped when it stops on its own.  On Linux the
server is also stopped if this process is killed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import webbrowser
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from sim.processes import parent_death_hook

PAGE = Path(__file__).with_name("page.py")
LOCAL = ("127.0.0.1", "localhost", "::1")
ANY = ("0.0.0.0", "::")
DEFAULT_PORT = 8501
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\s+")  # before each of Streamlit's log lines


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
        "app",
        help="start the what-if page in a web browser",
        description="Start a local web page where you pick a scenario or move the levers (money moved out of acute "
        "beds, the MDT, rapid response, information sharing, community support, demographic growth), "
        "press Run and read the changes against the baseline with 95% intervals, the charts and the "
        "report. It prints the page's address and opens it in your web browser where there is one; "
        "Ctrl-C stops it.",
    )
    cmd.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="P", help=f"port (default: {DEFAULT_PORT})")
    cmd.add_argument(
        "--host",
        metavar="H",
        help="address to listen on (default: 127.0.0.1, this computer only); another address makes the "
        "page reachable from other computers, with a warning",
    )
    cmd.add_argument(
        "--results",
        metavar="DIR",
        help="keep each run's results folder under DIR (default: a folder in the temporary directory)",
    )
    cmd.add_argument(
        "--scenarios",
        metavar="DIR",
        help="the scenario library to offer (default: the scenarios folder of this checkout)",
    )
    cmd.add_argument("--no-browser", action="store_true", help="do not open a web browser")


def command_line(args: argparse.Namespace) -> list[str]:
    """The Streamlit command that serves the page: headless, so it neither asks for an e-mail address nor opens
    a browser (:func:`app` does that)."""
    host = args.host or LOCAL[0]
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PAGE),
        "--server.address",
        host,
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--browser.serverAddress",
        "localhost" if host in LOCAL else host,
        "--server.fileWatcherType",
        "none",
        "--global.developmentMode",
        "false",
        "--theme.base",
        "light",
        "--client.toolbarMode",
        "minimal",
    ]


def app(args: argparse.Namespace) -> int:
    """Serve the page until Ctrl-C or SIGTERM, opening it in a web browser unless ``--no-browser`` or there is none;
    return the exit status."""
    if importlib.util.find_spec("streamlit") is None:
        print(
            "caresim: error: app: the page needs Streamlit, which is not installed; "
            'install it with: python -m pip install -e ".[app]"',
            file=sys.stderr,
        )
        return 2
    host = args.host or LOCAL[0]
    if args.host and args.host not in LOCAL:
        print(
            f"caresim: warning: app: listening on {host}, so other computers that can reach this address can open "
            "the page and run simulations here; it has no log-in. Leave out --host to keep it on this computer.",
            file=sys.stderr,
        )
    env = dict(os.environ)
    for flag, var in ((args.results, "CARESIM_APP_RESULTS"), (args.scenarios, "CARESIM_APP_SCENARIOS")):
        if flag:
            env[var] = str(Path(flag).resolve())
    print(f"caresim: the what-if page is at {address(host, args.port)} (Ctrl-C stops it)", file=sys.stderr, flush=True)
    local = address(LOCAL[0] if host in ANY else host, args.port)  # where this computer reaches the page
    browse = not args.no_browser and can_open_browser(os.environ)
    return serve(command_line(args), env, local if browse else None)


def address(host: str, port: int) -> str:
    """The page's web address (an IPv6 address in brackets)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def can_open_browser(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether a web browser can show the page: on Linux and BSD only with a display, and never a text browser
    (lynx, w3m), which would take over the terminal."""
    unix = platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))
    if unix and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return False
    try:
        found = webbrowser.get()
    except webbrowser.Error:
        return False
    return type(found) is not webbrowser.GenericBrowser  # the class of text browsers; graphical ones subclass it


def serve(cmd: list[str], env: Mapping[str, str], browse: str | None = None) -> int:
    """Run the page's server ``cmd`` until it stops; 0 when stopped by Ctrl-C or SIGTERM, else 1 with the reason.

    A stop signal is passed on to the server (a second one kills it).  The server's messages are copied to
    stderr as they come; the last one is the reason given when it stops on its own.  With ``browse``, that
    address is opened in the web browser once the page answers there.
    """
    asked: list[int] = []
    started: list[subprocess.Popen[str]] = []

    def forward(signum: int, _frame: object) -> None:
        asked.append(signum)
        for server in started:
            if len(asked) > 1:
                server.kill()
            else:
                server.terminate()

    own = threading.current_thread() is threading.main_thread()  # only the main thread may set signal handlers
    before = {s: signal.signal(s, forward) for s in STOP_SIGNALS} if own else {}
    try:
        sys.stdout.flush()
        try:
            server = subprocess.Popen(
                cmd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                preexec_fn=parent_death_hook(),
            )
        except OSError as e:
            print(f"caresim: error: app: cannot start the page's server: {e.strerror or e}", file=sys.stderr)
            return 1
        started.append(server)
        if asked:
            server.terminate()
        last: list[str] = []
        relay = threading.Thread(target=_relay, args=(server.stderr, last), daemon=True)
        relay.start()
        if browse:
            threading.Thread(target=_open_when_ready, args=(browse, server), daemon=True).start()
        code = server.wait()
        relay.join(timeout=5)
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        for server in started:  # still running only if this function is leaving on an exception
            if server.poll() is None:
                server.kill()
                server.wait()
    if asked or code == 0:
        return 0
    why = (
        f"it was killed by {signal.Signals(-code).name}"
        if code < 0
        else f"exit status {code}: {last[0] if last else 'it gave no reason'}"
    )
    print(f"caresim: error: app: the page's server stopped ({why})", file=sys.stderr, flush=True)
    return 1


def _relay(stream: IO[str], last: list[str]) -> None:
    """Copy the server's messages to stderr as they come, keeping the last one without its time stamp."""
    for line in stream:
        sys.stderr.write(line)
        sys.stderr.flush()
        if line.strip():
            last[:] = [TIMESTAMP.sub("", line.strip())]


def _answers(url: str) -> bool:
    """Whether the page's server answers its health check at ``url`` (directly, never through a proxy)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/_stcore/health", timeout=2) as reply:
            return bool(reply.read().strip() == b"ok")
    except OSError:
        return False


def _open_when_ready(url: str, server: subprocess.Popen[str], wait: float = 60.0) -> None:
    """Open ``url`` in the web browser once the page answers; give up if the server stops or after ``wait`` s."""
    end = time.monotonic() + wait
    while server.returncode is None and time.monotonic() < end:
        if _answers(url):
            webbrowser.open(url)
            return
        time.sleep(0.3)


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.app.command [--port P] [--host H] ...``: the sub-command on its own."""
    parser = argparse.ArgumentParser(prog="caresim")
    add_app_command(parser.add_subparsers(dest="command", required=True))
    return app(parser.parse_args(["app", *(sys.argv[1:] if argv is None else argv)]))


if __name__ == "__main__":
    sys.exit(main())
