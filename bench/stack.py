"""What the drills that run the production stack share (bench/faults.py, bench/soak.py): its
processes started and stopped as a group, and a browser speaking HTTP to gunicorn."""

from __future__ import annotations

import contextlib
import http.client
import http.cookies
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path


def production_env(redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a bench's processes: production settings on this machine (DEBUG
    off, a throwaway secret, plain HTTP on loopback), the broker and cache on ``redis_url``,
    and, as behind the documented proxy, each client's address from X-Forwarded-For, so the
    public form's limits per address apply as in production."""
    import secrets

    from governance import devkeys

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "governance.settings",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "STATIC_MANIFEST": "false",
        "RATELIMIT_IP_HEADER": "X-Forwarded-For",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **devkeys.environ(),
        **extra,
    }


ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PASSWORD = "demo-grid-2026"


class Processes:
    """Children started in sessions of their own, so that a stop takes their workers too."""

    def __init__(self, logs: Path, env: dict[str, str]) -> None:
        self.logs = logs
        self.env = env
        self.running: dict[str, subprocess.Popen] = {}
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.running[name] = process
        return process

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.running.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            if sig == signal.SIGTERM:
                # The leader alone: gunicorn's master stops its workers, a Celery worker
                # finishes its tasks (a group-wide TERM kills them mid-task).
                process.send_signal(sig)
            else:
                os.killpg(process.pid, sig)
            process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        # Whatever of the group is left (a stuck child, a timeout) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


def wait_until(check, what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    sys.exit(f"gave up waiting for {what}")


class Client:
    """One browser: its cookies and a kept-alive connection; redirects are not followed."""

    def __init__(self, port: int, forwarded_for: str = "", timeout: float = 120) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.forwarded_for = forwarded_for
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        for attempt in range(2):  # a kept-alive connection the server closed: open another
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        if response.will_close:
            # gunicorn's sync workers close after each answer: the next request reconnects
            # rather than first failing on the dead socket.
            self.connection.close()
            self.connection = None
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, response.headers, content.decode("utf-8", "replace")

    def get(self, path: str, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path: str, fields: dict | list, headers=None):
        data = list(fields.items()) if isinstance(fields, dict) else list(fields)
        data.append(("csrfmiddlewaretoken", self.cookies.get("csrftoken", "")))
        return self.request(
            "POST",
            path,
            urllib.parse.urlencode(data),
            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        )

    def login(self, username: str, password: str = PASSWORD) -> int:
        self.get("/accounts/login/")
        return self.post("/accounts/login/", {"username": username, "password": password})[0]


def answer_as_a_robot(handler) -> None:
    """Answer a group robot's webhook call as WeCom does when it took the message."""
    answer = b'{"errcode": 0, "errmsg": "ok"}'
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(answer)))
    handler.end_headers()
    handler.wfile.write(answer)
