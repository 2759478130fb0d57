"""Browser tests: Playwright driving Debian's Chromium against the app served on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests import factories

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def live_server(make_app):
    """The app served by a real HTTP server on a free loopback port, for the length of a test."""
    app = make_app(WTF_CSRF_ENABLED=True, PUBLIC_BASE_URL="http://127.0.0.1")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        message = "Chromium is needed for the browser tests: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: missing there is a failure, not a skip
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield instance
        instance.close()


def start_exam(page, base: str, email: str) -> None:
    """Log in, complete the one lesson of course `corso`, take the pledge and start the exam."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", factories.PASSWORD)
    page.click("button.button-block")
    page.goto(f"{base}/learn/corso/lezione-1-1")
    page.click("text=Segna come completata")
    page.goto(f"{base}/learn/corso/exam/")
    page.check("#accept")
    page.click("text=Accetta l'impegno")
    page.click("text=Inizia l'esame")
    page.wait_for_selector(".exam-form")
