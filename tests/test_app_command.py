"""``caresim app`` starts at once without a terminal, stops with its server, and says why when the server stops.

The page's server is started for real (``python -m sim.cli app``) with no terminal at all: standard
input from the null device and a new session, as from a script, a service or ``setsid``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import free_port

from sim.app import command

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[1]


def _answers(port: int) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
            return reply.read().strip() == b"ok"
    except OSError:
        return False


def _until(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.2)
    return True


def _start(port: int, log: Path) -> subprocess.Popen:
    """``caresim app`` with no terminal; returns once the page answers."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "app", "--no-browser", "--port", str(port)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    if not _until(lambda: _answers(port) or proc.poll() is not None, 60) or not _answers(port):
        proc.kill()
        pytest.fail(f"the page did not answer: {log.read_text(errors='replace')[-2000:]}")
    return proc


def test_the_page_starts_without_a_terminal_and_stops_on_sigterm(tmp_path):
    port = free_port()
    proc = _start(port, tmp_path / "app.log")
    try:
        assert f"http://127.0.0.1:{port}" in (tmp_path / "app.log").read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert _until(lambda: not _answers(port), 10), "the server outlived the command"
    finally:
        proc.kill()
    assert "caresim: error" not in (tmp_path / "app.log").read_text()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's")
def test_the_server_ends_when_the_command_is_killed(tmp_path):
    port = free_port()
    proc = _start(port, tmp_path / "app.log")
    proc.kill()
    proc.wait(10)
    assert _until(lambda: not _answers(port), 15), "the server outlived the command"


# --- the supervision, with a stand-in for the server ----------------------------------------------


def test_a_server_that_stops_on_its_own_is_explained_in_one_line(capsys):
    failing = [
        sys.executable,
        "-c",
        "import sys; print('2026-01-02 03:04:05.678 Port 8501 is not available', file=sys.stderr); sys.exit(1)",
    ]
    assert command.serve(failing, os.environ) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "caresim: error: app: the page's server stopped (exit status 1: Port 8501 is not available)"
    )
    assert command.serve([sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"], os.environ) == 1
    assert capsys.readouterr().err.splitlines()[-1].endswith("(it was killed by SIGKILL)")
    assert command.serve([sys.executable, "-c", "pass"], os.environ) == 0
    assert capsys.readouterr().err == ""


HEALTHY = """
import http.server, sys, threading

class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok" if self.path == "/_stcore/health" else b"page")

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Health)
threading.Timer(float(sys.argv[2]), server.shutdown).start()
server.serve_forever()
"""


def test_the_browser_opens_the_page_once_it_answers(monkeypatch):
    opened = []
    monkeypatch.setattr(command.webbrowser, "open", opened.append)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    assert command.serve([sys.executable, "-c", HEALTHY, str(port), "3"], os.environ, url) == 0
    assert opened == [url]
    opened.clear()
    assert command.serve([sys.executable, "-c", "pass"], os.environ, url) == 0  # never answered: nothing opened
    time.sleep(0.5)
    assert opened == []


def test_a_server_that_cannot_start_is_explained(tmp_path, capsys):
    assert command.serve([str(tmp_path / "no-such-program")], os.environ) == 1
    assert capsys.readouterr().err.startswith("caresim: error: app: cannot start the page's server: ")


def test_the_server_never_asks_for_an_email_address():
    cmd = command.command_line(argparse.Namespace(host=None, port=8600, no_browser=False))
    assert cmd[cmd.index("--server.headless") + 1] == "true"


def test_a_browser_is_opened_only_where_there_is_a_display(monkeypatch):
    assert not command.can_open_browser({}, platform="linux")
    monkeypatch.setattr(command.webbrowser, "get", lambda: command.webbrowser.BackgroundBrowser("xdg-open"))
    assert command.can_open_browser({"DISPLAY": ":0"}, platform="linux")
    assert command.can_open_browser({"WAYLAND_DISPLAY": "wayland-0"}, platform="linux")
    assert command.can_open_browser({}, platform="darwin")
    monkeypatch.setattr(command.webbrowser, "get", lambda: command.webbrowser.GenericBrowser("lynx"))
    assert not command.can_open_browser({"DISPLAY": ":0"}, platform="linux")

    def none():
        raise command.webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(command.webbrowser, "get", none)
    assert not command.can_open_browser({}, platform="win32")


def test_the_browser_is_sent_to_this_computer_s_address_unless_told_not_to(monkeypatch, capsys):
    opened = []
    monkeypatch.setattr(command, "can_open_browser", lambda env: True)
    monkeypatch.setattr(command, "serve", lambda cmd, env, browse=None: opened.append(browse) or 0)
    assert command.main(["--port", "8600"]) == 0 and command.main(["--port", "8600", "--no-browser"]) == 0
    assert command.main(["--port", "8600", "--host", "0.0.0.0"]) == 0
    assert command.main(["--port", "8600", "--host", "::1"]) == 0
    assert opened == ["http://127.0.0.1:8600", None, "http://127.0.0.1:8600", "http://[::1]:8600"]
    assert "http://[::1]:8600" in capsys.readouterr().err
