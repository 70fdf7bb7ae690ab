"""Background tasks: run with the context while serving, cancelled at shutdown, fatal on error."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.chassis.background import BackgroundTasks, graceful, resolve
from reelstack.chassis.spec import ServiceSpec
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from tests.support.wait import eventually
from tests.unit.chassis.conftest import Lines, started


@dataclass
class Journal:
    """What happened, in order, and the context each task was given."""

    events: list[str] = field(default_factory=list)
    seen: list[object] = field(default_factory=list)
    running: asyncio.Event = field(default_factory=asyncio.Event)


class FakeCache:
    """An adapter that writes its opening and closing into the journal."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    async def open(self) -> None:
        self.journal.events.append("adapter opened")

    async def close(self) -> None:
        self.journal.events.append("adapter closed")

    async def ping(self) -> None:
        return None


def make_app(config: Config, journal: Journal, *tasks: Callable[[Journal], object]):  # type: ignore[no-untyped-def]
    async def build(chassis: Chassis) -> Journal:
        journal.events.append("context built")
        return journal

    async def hook_started(chassis: Chassis) -> None:
        journal.events.append("startup hook")

    async def hook_stopped(chassis: Chassis) -> None:
        journal.events.append("shutdown hook")

    return create_service_app(
        config,
        ports=["cache"],
        context=build,
        background=list(tasks),  # type: ignore[arg-type]
        on_startup=[hook_started],
        on_shutdown=[hook_stopped],
        adapters=Adapters(config, _built={"cache": FakeCache(journal)}),
        poll_properties=False,
    )


async def forever(journal: Journal) -> None:
    journal.seen.append(journal)
    journal.events.append("task started")
    journal.running.set()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        journal.events.append("task cancelled")
        raise


async def test_tasks_run_with_the_context_while_serving_and_are_cancelled_at_shutdown(
    make_config: Callable[..., Config],
) -> None:
    journal = Journal()
    app = make_app(make_config(), journal, forever)
    async for client in started(app):
        await eventually(journal.running.is_set, "the task to start")
        assert (await client.get("/health")).status_code == 200
        assert "task cancelled" not in journal.events
    assert journal.events == [
        "adapter opened",
        "context built",
        "startup hook",
        "task started",
        "task cancelled",
        "shutdown hook",
        "adapter closed",
    ]
    assert journal.seen == [journal]
    assert chassis_of(app).fatal is None


async def test_a_task_that_raises_fails_the_instance_and_is_logged_by_name(
    make_config: Callable[..., Config], lines: Lines, log_handler: object
) -> None:
    journal = Journal()

    async def broken(journal: Journal) -> None:
        raise OSError("disk gone")

    app = make_app(make_config(), journal, broken)
    chassis = chassis_of(app)
    stops: list[str] = []
    chassis.stop_server = lambda: stops.append("stop")  # what the runner installs
    async for _client in started(app):
        await eventually(lambda: chassis.fatal is not None, "the instance to fail")
    assert isinstance(chassis.fatal, OSError) and str(chassis.fatal) == "disk gone"
    assert stops == ["stop"]
    (line,) = [x for x in lines.lines if "failed" in x["message"] and "broken" in x["message"]]
    assert line["level"] == "ERROR"
    assert line["task"].endswith("broken")
    assert "disk gone" in line["message"] and "OSError" in line["exc_info"]


async def test_a_task_that_returns_is_done_without_failing_the_instance(
    make_config: Callable[..., Config],
) -> None:
    journal = Journal()

    async def once(journal: Journal) -> None:
        journal.events.append("did its work")

    app = make_app(make_config(), journal, once)
    async for _client in started(app):
        await eventually(lambda: "did its work" in journal.events, "the task to run")
    assert chassis_of(app).fatal is None


async def test_a_task_failing_while_it_is_cancelled_is_logged_not_fatal(
    lines: Lines, log_handler: object
) -> None:
    fatal: list[BaseException] = []
    running = asyncio.Event()

    async def messy(context: object) -> None:
        running.set()
        try:
            await asyncio.Event().wait()
        finally:
            raise RuntimeError("cleanup failed")

    tasks = BackgroundTasks([messy], on_fatal=fatal.append)
    tasks.start(None)
    await eventually(running.is_set, "the task to start")
    await tasks.stop()
    assert fatal == []
    assert any("failed while stopping" in line["message"] for line in lines.lines)


async def test_graceful_lets_the_work_in_hand_finish_when_cancelled() -> None:
    journal = Journal()

    async def work(journal: Journal, stop: asyncio.Event) -> None:
        journal.running.set()
        await stop.wait()
        await asyncio.sleep(0)  # still running after the cancellation arrived
        journal.events.append("finished the task in hand")

    tasks = BackgroundTasks([graceful(work)], on_fatal=pytest.fail)
    tasks.start(journal)
    await eventually(journal.running.is_set, "the worker to start")
    await tasks.stop()
    assert journal.events == ["finished the task in hand"]


async def spec_task(journal: Journal) -> None:
    journal.events.append("spec task ran")


async def test_the_spec_names_the_tasks(make_config: Callable[..., Config]) -> None:
    journal = Journal()
    spec = ServiceSpec(
        name="probe",
        app="tests.unit.chassis.test_background:make_app",
        ports=("cache",),
        background=("tests.unit.chassis.test_background:spec_task",),
    )

    async def build(chassis: Chassis) -> Journal:
        return journal

    config = make_config()
    app = create_service_app(
        config,
        spec=spec,
        context=build,
        adapters=Adapters(config, _built={"cache": FakeCache(journal)}),
        poll_properties=False,
    )
    chassis = chassis_of(app)
    assert chassis.identity.service == "probe"
    assert chassis.dependencies.roles == ("cache",)
    async for _client in started(app):
        await eventually(lambda: "spec task ran" in journal.events, "the spec's task to run")


async def test_without_a_context_tasks_get_the_chassis(make_config: Callable[..., Config]) -> None:
    seen: list[object] = []

    async def task(chassis: Chassis) -> None:
        seen.append(chassis)

    app = create_service_app(make_config(), background=[task], poll_properties=False)
    async for _client in started(app):
        await eventually(lambda: seen, "the task to run")
    assert seen == [chassis_of(app)]


@pytest.mark.parametrize(
    "reference", ["no_colon", "tests.unit.chassis.test_background:missing", ":x", "m:"]
)
def test_a_reference_that_names_no_function_is_refused(reference: str) -> None:
    with pytest.raises(ValueError, match=r"background task|no such function"):
        resolve(reference)
