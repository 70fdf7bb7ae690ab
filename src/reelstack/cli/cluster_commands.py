"""Commands for the local cluster: up, down, status, demo, instances, scale, deploy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.markup import escape

from reelstack import services, settings
from reelstack.cli import deploy_render, deploy_secrets
from reelstack.cli.context import Cli, cli_of, console, err_console, print_json
from reelstack.cli.render import instance_json, instance_table
from reelstack.cluster import auth, lifecycle, statefile
from reelstack.cluster.client import ControlClient
from reelstack.cluster.lifecycle import UpResult

instances_app = typer.Typer(help="See and act on single instances.", no_args_is_help=True)
deploy_app = typer.Typer(
    help="Run other versions of a service (canaries); render the deployment files and"
    " make their secrets.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", min=1, help="Seconds to wait for every instance to be up.")
]
ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="Read settings from <home>/reelstack.PROFILE.toml; 'scale' runs every port"
        " on the real engines named there.",
    ),
]

# Where to look first on each service, for `demo` (the instance's own URL is the base).
DEMO_PATHS: dict[str, str] = {"hello": "/hello?name=you"}


def start_cluster(cli: Cli, timeout: float) -> UpResult:
    """Start the cluster (or find it running) and print what happened."""
    with err_console.status(f"starting the cluster at {cli.home} ..."):
        result = lifecycle.up(cli.home, cli.child_env(), timeout_s=timeout)
    record = result.record
    if result.already_running:
        console.print(
            f"the cluster at {escape(str(cli.home))} is already running "
            f"(supervisor pid {record.pid}, control API {record.control_url})"
        )
    else:
        console.print(
            f"[green]up[/]: {len(result.instances)} instances in {result.elapsed_s:.1f}s "
            f"(supervisor pid {record.pid}, control API {record.control_url})"
        )
    return result


def up(
    ctx: typer.Context,
    timeout: TimeoutOption = 30.0,
    profile: ProfileOption = None,
) -> None:
    """Start the local cluster and wait until every instance is up."""
    cli = cli_of(ctx)
    cli.use_profile(profile)
    result = start_cluster(cli, timeout)
    console.print(instance_table(result.instances))


def down(ctx: typer.Context) -> None:
    """Stop every instance gracefully, then the supervisor."""
    cli = cli_of(ctx)
    with err_console.status("stopping the cluster ..."):
        result = lifecycle.down(cli.home, grace_s=cli.config.get(settings.SHUTDOWN_GRACE_S))
    if result.supervisor_pid is not None:
        names = ", ".join(result.instances) or "no instances"
        console.print(f"stopped the supervisor (pid {result.supervisor_pid}) and {names}")
    else:
        console.print(f"the cluster at {escape(str(cli.home))} is not running")
    if result.leftovers:
        pids = ", ".join(str(pid) for pid in result.leftovers)
        console.print(f"[yellow]stopped leftover instance processes[/]: {pids}")


def _print_instances(cli: Cli, as_json: bool) -> None:
    client = ControlClient.for_home(cli.home)
    if client is None:
        if as_json:
            print_json([])
        else:
            console.print(f"the cluster at {escape(str(cli.home))} is not running")
        return
    with client:
        views = client.instances()
    if as_json:
        print_json([instance_json(view) for view in views])
    else:
        console.print(instance_table(views))


def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show every instance; `--json` prints a list (empty when not running)."""
    _print_instances(cli_of(ctx), as_json)


def demo(
    ctx: typer.Context,
    timeout: TimeoutOption = 30.0,
    profile: ProfileOption = None,
    content: Annotated[
        bool, typer.Option("--content/--no-content", help="Publish the demo catalog.")
    ] = True,
) -> None:
    """Start the cluster, publish the demo catalog, and print where everything is."""
    cli = cli_of(ctx)
    # A demo lets the viewer pretend to be elsewhere (the web app's region
    # picker); never a production setting, so only here and only by default.
    cli.use_defaults({"REELSTACK_GATEWAY_REGION_FROM_CLIENT": "true"})
    cli.use_profile(profile)
    result = start_cluster(cli, timeout)
    print_where(cli, result)
    if "identity" in services.of(cli.config):
        from reelstack.cli import demo_accounts

        demo_accounts.ensure(cli.config)
        demo_accounts.print_accounts()
    if content:
        from reelstack.cli import demo_content

        demo_content.publish(cli, result.instances)


def print_where(cli: Cli, result: UpResult) -> None:
    """Print each service's URLs and how to watch and stop the cluster."""
    by_service: dict[str, list[dict[str, Any]]] = {}
    for view in result.instances:
        by_service.setdefault(view["service"], []).append(view)
    for service, views in sorted(by_service.items()):
        console.print(f"\n[bold]{escape(service)}[/]")
        for view in views:
            url = f"http://{view['host']}:{view['port']}"
            console.print(
                f"  {escape(view['instance'])} (zone {escape(view['zone'])}): "
                f"{url}{DEMO_PATHS.get(service, '/health')}"
            )
    control = result.record.control_url
    console.print(
        f"\ncontrol API: {control}/instances; Prometheus targets: {control}/prometheus/targets"
        f" (token: {escape(str(auth.token_path(cli.home)))})"
        f"\nlogs: {escape(str(statefile.logs_dir(cli.home)))}"
        "\nwatch it:  reelstack status"
        "\nchaos:     reelstack instances kill INSTANCE   (it comes back)"
        "\nstop it:   reelstack down"
    )


@instances_app.command("list")
def list_instances(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show every instance (as `status`)."""
    _print_instances(cli_of(ctx), as_json)


def _act(ctx: typer.Context, instance: str, action: str) -> dict[str, Any]:
    with cli_of(ctx).client() as client:
        return client.command(instance, action)


InstanceArg = Annotated[str, typer.Argument(help="Instance id, e.g. hello-a-1.")]


@instances_app.command("kill")
def kill(ctx: typer.Context, instance: InstanceArg) -> None:
    """SIGKILL an instance (chaos); the supervisor restarts it at once."""
    answer = _act(ctx, instance, "kill")
    console.print(f"killed {escape(instance)} (pid {answer['killed_pid']}); it is being replaced")


@instances_app.command("restart")
def restart(ctx: typer.Context, instance: InstanceArg) -> None:
    """Stop an instance gracefully and start it again."""
    view = _act(ctx, instance, "restart")
    console.print(f"restarted {escape(instance)}: {view['state']} (pid {view['pid']})")


@instances_app.command("stop")
def stop(ctx: typer.Context, instance: InstanceArg) -> None:
    """Stop an instance gracefully; it stays down until started."""
    _act(ctx, instance, "stop")
    console.print(f"stopped {escape(instance)}")


@instances_app.command("start")
def start(ctx: typer.Context, instance: InstanceArg) -> None:
    """Start a stopped instance."""
    view = _act(ctx, instance, "start")
    console.print(f"started {escape(instance)}: {view['state']}")


def scale(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service name, e.g. hello.")],
    count: Annotated[int, typer.Argument(min=0, help="Instances wanted.")],
    version: Annotated[
        str | None, typer.Option(help="Version group to scale (default: the primary one).")
    ] = None,
) -> None:
    """Grow or shrink a service to COUNT instances, spread over the zones."""
    with cli_of(ctx).client() as client:
        group = client.scale(service, count, version)
    console.print(f"{escape(service)}: {len(group)} instances")
    console.print(instance_table(group))


@deploy_app.command("start-version")
def start_version(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service name, e.g. hello.")],
    version: Annotated[str, typer.Argument(help="Version to run, e.g. v2.")],
    count: Annotated[int, typer.Option(min=1, help="Instances of that version to add.")] = 1,
) -> None:
    """Add instances of SERVICE running VERSION next to the others (a canary)."""
    with cli_of(ctx).client() as client:
        added = client.start_version(service, version, count)
    names = ", ".join(view["instance"] for view in added)
    console.print(f"starting {escape(names)}; see them with `reelstack status`")


@deploy_app.command("remove-version")
def remove_version(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service name, e.g. hello.")],
    version: Annotated[str, typer.Argument(help="Version whose instances to stop and remove.")],
) -> None:
    """Stop and remove every instance of SERVICE running VERSION."""
    with cli_of(ctx).client() as client:
        removed = client.remove_version(service, version)
    console.print(f"removed {escape(', '.join(removed))}")


deploy_app.command("render")(deploy_render.render)
deploy_app.command("secrets")(deploy_secrets.make_secrets)


def register(app: typer.Typer) -> None:
    """Add the cluster commands to ``app``."""
    commands: list[Callable[..., None]] = [up, down, status, demo, scale]
    for command in commands:
        app.command()(command)
    app.add_typer(instances_app, name="instances")
    app.add_typer(deploy_app, name="deploy")
