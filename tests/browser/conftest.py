"""Playwright against Django's live server, driving Debian's Chromium (no browser download).

Chromium runs headless with the flags this closed network needs (no background networking,
no sandbox as root). Set LIANXIN_CHROMIUM to use another binary.
"""

import os
import shutil
import threading

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures here are
# still synchronous, so Django's async-safety guard must be relaxed for the browser tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_path() -> str:
    path = os.environ.get("LIANXIN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is not installed: run ./dev.sh test (it installs Debian's chromium) or apt-get install chromium")
    return path


class _OneRequestAtATimeServer(ThreadedWSGIServer):
    """The live server, answering one request at a time when its threads share SQLite's in-memory test
    database through one connection.

    A thread per connection still reads and writes (a browser keeps idle connections open), but the
    application is called under a lock: two requests on one connection at once would interleave their
    transactions' savepoints (each request's ``atomic``, the session's save), which stalled or broke a
    browser test now and then on a loaded machine. On other databases each thread has its own connection."""

    def set_app(self, application):
        shared = any(conn.vendor == "sqlite" and conn.is_in_memory_db()
                     for conn in (self.connections_override or {}).values())
        if not shared:
            return super().set_app(application)
        lock = threading.Lock()

        def one_at_a_time(environ, start_response):
            with lock:
                response = application(environ, start_response)
                try:
                    body = b"".join(response)
                finally:
                    if hasattr(response, "close"):
                        response.close()  # request_finished (connection handling) inside the lock too
            return [body]

        return super().set_app(one_at_a_time)


LiveServerThread.server_class = _OneRequestAtATimeServer


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _live_server_shares_the_connection(request):
    """On SQLite's in-memory test database the live server's threads use this thread's connection: keep it
    shared for the whole browser test (requests still closing when a page is left use it too)."""
    from django.db import connections

    if "live_server" not in request.fixturenames:
        yield
        return
    shared = [c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()]
    for conn in shared:
        conn.inc_thread_sharing()
    yield
    for conn in shared:
        conn.dec_thread_sharing()


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page (360×740, touch) with Chinese as the browser language."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True,
        locale="zh-CN", base_url=live_server.url,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def desktop(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot_dir():
    """Where tests drop screenshots for people to look at (LIANXIN_SCREENSHOTS, default ./screenshots)."""
    path = os.environ.get("LIANXIN_SCREENSHOTS")
    if not path:
        return None
    os.makedirs(path, exist_ok=True)
    return path
