"""Browser tests: a real Kết Nối server on loopback, driven through Debian's Chromium.

For the whole session the ``server`` fixture builds a fresh SQLite database in
a temporary folder, loads the demo world (``seed_demo``), collects the static
files and serves them the way production does (``DEBUG`` off, WhiteNoise from
``STATIC_ROOT``) with granian on a free port. The tests talk to that process
over HTTP only: they need no test database of their own, so pytest-django has
nothing to do here. Tests that read the SMS the server sends ask for
``outbox``, which also starts the background-task worker (``task_worker``)
that delivers them to that file.

Chromium is Debian's (``apt-get install chromium``); Playwright cannot download
its own browser on these machines. ``KETNOI_E2E_CHROMIUM`` points elsewhere.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "test-results"
PYTHON = sys.executable
CHROMIUM = os.environ.get("KETNOI_E2E_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling Google's
# hosts, which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_SECONDS = 30
DEFAULT_TIMEOUT_MS = 10_000
WORKER_POLL_SECONDS = 0.2

# The demo world (``ketnoi/accounts/demo.py``): every password is the same.
DEMO_PASSWORD = "ketnoi-demo"
SELLER_PHONE = "0900000004"
SELLER_NAME = "Lò Thị Xuân"

# Used only while ``seed_demo`` does not exist yet.
_FALLBACK_SEED = f"""
from ketnoi.accounts.models import Role, RoleAssignment, User
user = User.objects.create_user({SELLER_PHONE!r}, {DEMO_PASSWORD!r}, display_name={SELLER_NAME!r})
RoleAssignment.objects.create(user=user, role=Role.SELLER)
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _manage_or_fail(env: dict[str, str], *args: str) -> None:
    done = _manage(env, *args)
    if done.returncode != 0:
        pytest.fail(
            f"manage.py {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}",
            pytrace=False,
        )


def _server_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETNOI_")}
    env.update(
        DJANGO_SETTINGS_MODULE="ketnoi.settings.base",
        KETNOI_ENV="development",
        KETNOI_VAR_DIR=str(var_dir),
        # As in production: no debug pages, static files from STATIC_ROOT.
        KETNOI_DEBUG="false",
        KETNOI_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL we built
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    process.kill()
    pytest.fail(
        f"The server did not answer {url} in {SERVER_START_SECONDS} s:\n{log.read_text()}", pytrace=False
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def server_var_dir() -> Iterator[Path]:
    """The server's ``KETNOI_VAR_DIR`` (database, uploads, SMS outbox), removed after the session."""
    var_dir = Path(tempfile.mkdtemp(prefix="ketnoi-e2e-"))
    yield var_dir
    shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def server(server_var_dir: Path) -> Iterator[str]:
    """Base URL of a Kết Nối server with the demo world, for this session only."""
    var_dir = server_var_dir
    env = _server_env(var_dir)
    _manage_or_fail(env, "migrate", "--noinput", "--verbosity", "0")
    _manage_or_fail(env, "learning_load", "--verbosity", "0")
    if _manage(env, "help", "seed_demo").returncode == 0:
        _manage_or_fail(env, "seed_demo", "--verbosity", "0")
    else:
        _manage_or_fail(env, "shell", "--command", _FALLBACK_SEED)
    _manage_or_fail(env, "collectstatic", "--noinput", "--verbosity", "0")

    port = _free_port()
    log = var_dir / "server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                str(Path(PYTHON).with_name("granian")),
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                # A phone-sized load: a few threads, as on a small production box.
                "--blocking-threads",
                "4",
                "ketnoi.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(f"{base_url}/healthz", process, log)
        yield base_url
    finally:
        _stop(process)
        # The server's own account of any error, for the person reading a failure.
        RESULTS.mkdir(exist_ok=True)
        shutil.copyfile(log, RESULTS / "server.log")


@pytest.fixture(scope="session")
def task_worker(server: str, server_var_dir: Path) -> Iterator[None]:
    """The background-task worker beside the server, as ``make run`` starts it.

    Outgoing SMS (reference numbers, one-time codes) are tasks: without a
    worker they wait in the database and never reach the outbox.
    """
    log = server_var_dir / "worker.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                PYTHON,
                str(ROOT / "manage.py"),
                "worker",
                "--no-startup-delay",
                "--no-reload",
                "--interval",
                str(WORKER_POLL_SECONDS),
            ],
            cwd=ROOT,
            env=_server_env(server_var_dir),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
    finally:
        _stop(process)
        RESULTS.mkdir(exist_ok=True)
        shutil.copyfile(log, RESULTS / "worker.log")


@pytest.fixture(scope="session")
def outbox(task_worker: None, server_var_dir: Path) -> Path:
    """The file where the development SMS adapter appends every message it sends, one JSON a line."""
    return server_var_dir / "outbox" / "messages.jsonl"


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def media_url(server: str, server_var_dir: Path) -> Iterator[str]:
    """Base URL of a plain file server for the server's uploads (its ``MEDIA_ROOT``).

    The server runs as in production, where uploads (product photos) are served
    by the web server or a CDN, not by Django: it answers 404 under ``/media/``.
    ``route_media`` sends a browser's ``/media/`` requests here instead.
    """
    media = server_var_dir / "media"
    media.mkdir(exist_ok=True)
    files = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietFiles, directory=str(media)))
    thread = threading.Thread(target=files.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{files.server_port}"
    finally:
        files.shutdown()
        files.server_close()


def route_media(context: BrowserContext, media_url: str) -> None:
    """Load ``/media/…`` of every page in ``context`` from ``media_url``.

    The requests still go through the browser's network stack, so DevTools
    network throttling and the Performance API see them like any other.
    """

    def to_files(route: Any) -> None:
        path = urlsplit(route.request.url).path.removeprefix("/media")
        route.continue_(url=media_url + path)

    context.route("**/media/**", to_files)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: run `apt-get install chromium` (Debian).", pytrace=False)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context_options() -> dict[str, object]:
    """Options for the browser context; a test module may override this fixture."""
    return {"locale": "vi-VN"}


@pytest.fixture
def context(browser: Browser, server: str, context_options: dict[str, object]) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=server, **context_options)  # type: ignore[arg-type]
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        # What the person saw when the test failed.
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=RESULTS / f"failed-{request.node.name}.png", full_page=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_sessionstart(session: pytest.Session) -> None:
    # Screenshots of failures from an earlier run would mislead.
    for old in RESULTS.glob("failed-*.png"):
        old.unlink()
