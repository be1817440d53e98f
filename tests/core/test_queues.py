"""Workers scale by queue: every task is routed on purpose, and every queue has a worker.

A task without a route lands on the default queue; a route to a queue that no worker consumes
leaves its messages waiting forever. Both are read here from the files that run the workers:
docker-compose.yml (production), docker-compose.scale.yml (more than one machine) and
scripts/run.sh (`make run`).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml
from celery.app.routes import MapRoute
from django.apps import apps
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


class _ComposeLoader(yaml.SafeLoader):
    """YAML as Docker Compose reads it: ``!reset`` and ``!override`` replace what the file
    before said (docker-compose.scale.yml); for the commands read here, the value is enough."""


for _tag in ("!reset", "!override"):
    _ComposeLoader.add_constructor(
        _tag,
        lambda loader, node: (
            loader.construct_sequence(node)
            if isinstance(node, yaml.SequenceNode)
            else loader.construct_mapping(node)
            if isinstance(node, yaml.MappingNode)
            else loader.construct_scalar(node)
        ),
    )


def _compose(file: str) -> dict:
    return yaml.load((ROOT / file).read_text(), Loader=_ComposeLoader)  # noqa: S506 - safe loader


def _project_tasks() -> set[str]:
    from governance.celery import app

    app.loader.import_default_modules()  # autodiscovery: every app's tasks module
    ours = {
        config.name for config in apps.get_app_configs() if Path(config.path).is_relative_to(ROOT)
    }
    return {name for name in app.tasks if name.split(".")[0] in ours}


def _queues_of(command: list[str] | str) -> set[str]:
    """The queues a `celery worker` command consumes (-Q a,b / --queues=a,b)."""
    words = shlex.split(command) if isinstance(command, str) else [str(w) for w in command]
    if "worker" not in words:
        return set()
    for i, word in enumerate(words):
        if word in ("-Q", "--queues"):
            return set(words[i + 1].split(","))
        if word.startswith("--queues="):
            return set(word.removeprefix("--queues=").split(","))
    return {settings.CELERY_TASK_DEFAULT_QUEUE}  # no -Q: the default queue only


def _compose_queues(*files: str) -> set[str]:
    """What the services' commands consume, the later file overriding a service's command."""
    commands: dict[str, list[str] | str] = {}
    for file in files:
        services = _compose(file).get("services", {})
        for name, service in services.items():
            if service and "command" in service:
                commands[name] = service["command"]
    return set().union(*(_queues_of(command) for command in commands.values()))


def _run_sh_queues() -> set[str]:
    text = (ROOT / "scripts/run.sh").read_text().replace("\\\n", " ")
    lines = [line for line in text.splitlines() if re.search(r"celery\S*\s.*\bworker\b", line)]
    assert len(lines) == 1, lines
    return _queues_of(lines[0].split(">")[0])


def _routed_queues() -> set[str]:
    return {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {
        settings.CELERY_TASK_DEFAULT_QUEUE
    }


def test_every_task_of_the_project_is_routed_to_a_queue_on_purpose():
    tasks = _project_tasks()
    # The discovery works: the sweep, a delivery and an import are among them.
    assert {
        "tickets.tasks.sweep_deadlines",
        "notifications.delivery.deliver_task",
        "onboarding.tasks.write_import",
    } <= tasks
    router = MapRoute(settings.CELERY_TASK_ROUTES)
    unrouted = sorted(name for name in tasks if router(name) is None)
    assert not unrouted, (
        f"add to CELERY_TASK_ROUTES (the default queue is {settings.CELERY_TASK_DEFAULT_QUEUE!r}"
        f" if nothing else fits): {unrouted}"
    )
    stale = sorted(set(settings.CELERY_TASK_ROUTES) - tasks)
    assert not stale, f"routes for tasks that do not exist: {stale}"


def test_the_sweeps_deliveries_imports_and_rollups_have_queues_of_their_own():
    from governance.celery import app

    def queue_of(name: str) -> str:
        return app.amqp.router.route({}, name)["queue"].name

    for name in (
        "core.tasks.beat_tick",
        "tickets.tasks.sweep_deadlines",
        "safety.tasks.sweep_hazards",
    ):
        assert queue_of(name) == "sweep"
    assert queue_of("notifications.delivery.deliver_task") == "deliveries"
    assert queue_of("onboarding.tasks.write_import") == "imports"
    assert queue_of("dashboards.tasks.refresh_rollups") == "rollups"
    assert queue_of("tickets.tasks.send_digests") == "celery"
    # Every periodic job is a task of ours, so the routing above covers it.
    assert {entry["task"] for entry in app.conf.beat_schedule.values()} <= _project_tasks()


def test_every_queue_is_consumed_by_the_compose_workers_and_by_make_run():
    queues = _routed_queues()
    assert {"sweep", "deliveries", "imports", "rollups", "celery"} <= queues
    compose = _compose_queues("docker-compose.yml")
    assert queues <= compose, f"no worker in docker-compose.yml for {sorted(queues - compose)}"
    scaled = _compose_queues("docker-compose.yml", "docker-compose.scale.yml")
    assert queues <= scaled, f"no worker in the scale example for {sorted(queues - scaled)}"
    run = _run_sh_queues()
    assert queues <= run, f"`make run`'s worker does not consume {sorted(queues - run)}"


def test_a_queue_without_a_worker_is_caught():
    """The parsing above reads what it should: a compose file without the sweeps' worker, and
    a worker command without -Q, are told apart."""
    assert _queues_of(["celery", "-A", "governance", "worker", "-Q", "sweep,celery"]) == {
        "sweep",
        "celery",
    }
    assert _queues_of("celery -A governance worker --loglevel=INFO") == {"celery"}
    assert _queues_of(["celery", "-A", "governance", "beat"]) == set()
    services = _compose("docker-compose.yml")["services"]
    without = set().union(
        *(_queues_of(s["command"]) for n, s in services.items() if "command" in s and n != "sweeps")
    )
    assert "sweep" not in without


def test_the_scale_example_runs_two_of_each_and_one_beat():
    services = _compose("docker-compose.scale.yml")["services"]
    for name in ("web", "sweeps", "worker", "rollups", "deliveries", "imports"):
        assert services[name]["deploy"]["replicas"] == 2, name
        # Their disk keeps nothing: uploads go to MinIO, the replica serves read-only work.
        environment = services[name]["environment"]
        assert environment["S3_ENDPOINT_URL"] == "http://minio:9000"
        assert environment["DATABASE_REPLICA_URL"].endswith("@db-replica:5432/grid")
        assert services[name]["volumes"] == []
    assert services["beat"]["deploy"]["replicas"] == 1
    assert {"db-replica", "minio", "minio-init", "lb", "migrate"} <= set(services)
