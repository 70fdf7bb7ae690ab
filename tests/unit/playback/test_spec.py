"""The playback spec is accepted beside the others, and its routes are what the gateway needs."""

from __future__ import annotations

from pathlib import Path

from reelstack import services


def test_the_spec_is_accepted_and_only_manifests_are_open() -> None:
    spec = services.specs(("reelstack.playback",))["playback"]
    assert spec.ports == ("sql", "blob", "log") and spec.migrations == "playback"
    routes = {route.prefix: route for route in spec.gateway_routes()}
    plays = routes["/api/playback"]
    assert plays.rewrite == "/playback" and not plays.public and not plays.public_methods
    assert plays.max_body_bytes == 4096
    manifests = routes["/api/playback/manifests"]
    assert manifests.public_methods >= {"GET"} and manifests.rewrite == "/playback/manifests"


def test_playback_imports_ports_and_no_other_service() -> None:
    spec = services.specs(("reelstack.playback",))["playback"]
    others = [f"{s.package}." for s in services.specs().values() if s.package != spec.package]
    root = Path(__file__).resolve().parents[3] / "src" / "reelstack" / "playback"
    wrong = [
        f"{path.name}:{line}: {module}"
        for path in sorted(root.rglob("*.py"))
        for module, _, line in services.imports(path, spec.package)
        if module.startswith("reelstack.adapters")
        or any(f"{module}.".startswith(other) for other in others)
    ]
    assert wrong == []
