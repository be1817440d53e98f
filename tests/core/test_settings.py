"""Start-up configuration, checked in a fresh interpreter as an operator would meet it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.waiting import run_to_completion

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "production-like-secret-key-of-more-than-fifty-characters",
    "ALLOWED_HOSTS": "grid.example.gov.cn",
    "DATABASE_URL": "sqlite:////tmp/grid-settings-test.sqlite3",
    "PUBLIC_BASE_URL": "https://grid.example.gov.cn",
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "STATIC_"))}
    for name in (
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DEBUG",
        "DATABASE_URL",
        "LANGUAGE_CODE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "PUBLIC_BASE_URL",
        "DATABASE_REPLICA_URL",
    ):
        clean.pop(name, None)
    clean.update(env)
    # No fixed timeout: a fresh interpreter starting Django on a loaded machine may take a
    # while; it fails only when it stops using CPU and writing output (tests/waiting.py).
    return run_to_completion(
        [sys.executable, "manage.py", *args],
        what=f"manage.py {' '.join(args)}",
        cwd=ROOT,
        env=clean,
    )


def test_production_settings_pass_check_deploy_without_a_warning():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize("given", ["", None])
def test_production_without_a_public_address_starts_and_is_warned(given):
    """The compose file passes PUBLIC_BASE_URL through, empty when the operator gave none:
    the site starts (pages use the address they were opened at), and the deploy check says
    that messages would carry no reachable link."""
    env = {k: v for k, v in PRODUCTION.items() if k != "PUBLIC_BASE_URL"}
    if given is not None:
        env["PUBLIC_BASE_URL"] = given
    result = run_manage("check", "--deploy", **env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "core.W001" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://x@y/z"),
        ("TIME_ZONE", "Mars/Olympus"),
        ("LANGUAGE_CODE", "fr"),
        ("CONN_MAX_AGE", "forever"),
        ("REDIS_URL", "http://redis:6379"),
        ("EMAIL_URL", "pigeon://coop"),
        ("AXES_FAILURE_LIMIT", "0"),
        ("DATABASE_REPLICA_URL", "mysql://x@y/z"),
        ("METRICS_ALLOWED_IPS", "everyone"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value):
    env = {**PRODUCTION, variable: value}
    if variable == "CONN_MAX_AGE":  # read only for PostgreSQL; `check` does not connect
        env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert f"{variable}=" in result.stderr
    assert "Traceback" in result.stderr  # ImproperlyConfigured; the last line names the variable
    assert variable in result.stderr.strip().splitlines()[-1]


def test_secret_key_is_required_when_debug_is_off():
    env = dict(PRODUCTION)
    env.pop("SECRET_KEY")
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


@pytest.mark.parametrize("variable", ["FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEYS"])
def test_personal_data_keys_are_required_when_debug_is_off(variable):
    result = run_manage("check", **PRODUCTION, **{variable: ""})
    assert result.returncode != 0
    assert f"{variable} is required when DEBUG is off" in result.stderr


def test_a_malformed_personal_data_key_stops_start_up():
    result = run_manage("check", **PRODUCTION, FIELD_ENCRYPTION_KEYS="k1:c2hvcnQ=")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS is not valid" in result.stderr
    assert "c2hvcnQ=" not in result.stderr  # a key is never repeated in a log


def test_allowed_hosts_is_required_when_debug_is_off():
    env = dict(PRODUCTION)
    env.pop("ALLOWED_HOSTS")
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is required" in result.stderr


def test_debug_mode_needs_no_configuration_at_all():
    result = run_manage("check", DEBUG="true", DATABASE_URL=PRODUCTION["DATABASE_URL"])
    assert result.returncode == 0, result.stderr


def test_every_variable_read_is_documented_in_env_example():
    import re

    read = set()
    for path in [ROOT / "governance" / "settings.py"]:
        read |= set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', path.read_text()))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read <= documented, f"missing from .env.example: {sorted(read - documented)}"


def test_the_proxy_header_names_the_client_for_the_rate_limits_and_the_lockout():
    shown = (
        "from django.conf import settings as s; "
        "print(s.CLIENT_IP_META_KEY, s.RATELIMIT_IP_META_KEY, s.AXES_CLIENT_IP_CALLABLE)"
    )
    result = run_manage("shell", "-c", shown, RATELIMIT_IP_HEADER="X-Real-IP", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "HTTP_X_REAL_IP",
        "core.clientip.client_ip",
        "core.clientip.client_ip",
    ]


REPLICA_SETUP = (
    "from django.conf import settings as s; from django.db import router; "
    "from core.replica import reads_from_replica; from grids.models import Area\n"
    "with reads_from_replica(): print(sorted(s.DATABASES), s.DATABASE_ROUTERS, "
    "router.db_for_read(Area), s.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'))"
)


def test_without_a_replica_url_there_is_one_database_and_no_router():
    result = run_manage("shell", "-c", REPLICA_SETUP, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['default'] [] default None"


def test_a_replica_url_adds_the_replica_and_its_router():
    """Configured only: ``check`` connects to neither database."""
    result = run_manage(
        "shell",
        "-c",
        REPLICA_SETUP.replace("with reads_from_replica(): ", ""),
        **{
            **PRODUCTION,
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/grid",
            "DATABASE_REPLICA_URL": "postgres://nobody@127.0.0.1:1/grid",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "['default', 'replica'] ['core.db_router.ReplicaRouter'] default default"
    )


def test_a_replica_of_the_embedded_database_stops_start_up():
    env = {**PRODUCTION, "DATABASE_REPLICA_URL": "postgres://nobody@127.0.0.1:1/grid"}
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL is a streaming replica" in result.stderr


@pytest.mark.django_db
def test_page_queries_are_not_jit_compiled():
    """PostgreSQL's JIT spent seconds compiling page queries that run in milliseconds."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
