"""Running gunicorn on loopback and measuring it with wrk: shared by the HTTP benchmarks."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent

# wrk asks for a path drawn at random from a list; each thread seeds its own generator.
LUA = """local paths = {{
{paths}
}}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  math.randomseed(os.time() * 100 + id)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def random_paths_script(path: Path, paths: list[str]) -> str:
    """Write a wrk script that requests `paths` at random; returns its file name."""
    path.write_text(LUA.format(paths=",\n".join(f'  "{item}"' for item in paths)), encoding="utf-8")
    return str(path)


@dataclass(frozen=True)
class Figures:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int

    def line(self, label: str) -> str:
        return (
            f"{label:<28} {self.requests_per_second:>9.0f} req/s   p50 {self.p50_ms:>6.1f} ms   "
            f"p99 {self.p99_ms:>6.1f} ms   errors {self.errors}"
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(target: str, env: dict[str, str], workers: int = 2):
    """Serve `bench.apps:<target>` on 127.0.0.1 with sync workers; yield the port."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        "--log-level",
        "warning",
        f"bench.apps:{target}",
    ]
    process = subprocess.Popen(command, env={**os.environ, **env})  # noqa: S603 - fixed command
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    url: str,
    seconds: int,
    connections: int = 16,
    cookie: str | None = None,
    script: str | None = None,
) -> Figures:
    """Load `url` for `seconds` with wrk and read its figures; `script`: a wrk Lua file."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    if script:
        command[1:1] = ["-s", script]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _to_ms(re.search(r"\s50%\s+(\S+)", output).group(1))
    p99 = _to_ms(re.search(r"\s99%\s+(\S+)", output).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in match.groups())
    return Figures(rps, p50, p99, errors)


@dataclass(frozen=True)
class Target:
    """What wrk loads: a URL, with a session cookie or a Lua script that picks the paths."""

    url: str
    cookie: str | None = None
    script: str | None = None

    def load(self, seconds: int) -> Figures:
        return wrk(self.url, seconds, cookie=self.cookie, script=self.script)


def alternate(
    floor: Target, page: Target, seconds: int, rounds: int
) -> list[tuple[Figures, Figures]]:
    """Load the floor and the page in turns, `rounds` times each, after warming both up.

    The CPU a shared machine offers drifts within a minute: measured once each, one after the
    other, the floor and the page would catch different parts of that drift (ratios from 46%
    to 65% in two runs of the same code). Turns expose each side to the same drift.
    """
    floor.load(2)
    page.load(2)
    return [(floor.load(seconds), page.load(seconds)) for _ in range(rounds)]


def report(rounds: list[tuple[Figures, Figures]], page_label: str, goal: float) -> None:
    """Each round's figures, then the median ratio to the floor against the goal."""
    ratios = []
    for number, (floor, page) in enumerate(rounds, start=1):
        ratios.append(page.requests_per_second / floor.requests_per_second)
        print(f"round {number}: ratio {ratios[-1]:.0%}")
        print("  " + floor.line("floor (layout, no database)"))
        print("  " + page.line(page_label))
    median = statistics.median(ratios)
    print(
        f"ratio: {median:.0%} of the floor, median of {len(ratios)} rounds "
        f"(goal: at least {goal:.0%})"
    )


def log_in(port: int, email: str, password: str, cookie_name: str = "lms_session") -> str:
    """Log in through the real form (with its CSRF token); return the session cookie."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = re.search(rf"{cookie_name}=([^;]+)", response.getheader("Set-Cookie")).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urlencode({"csrf_token": token, "email": email, "password": password})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"{cookie_name}={cookie}",
    }
    connection.request("POST", "/login", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"login failed with {response.status}")
    return f"{cookie_name}=" + re.search(
        rf"{cookie_name}=([^;]+)", response.getheader("Set-Cookie")
    ).group(1)
