"""``reelstack deploy render``: writes the deployment files; ``--check`` names what drifted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.cli.conftest import run


def test_deploy_render_writes_then_check_names_what_drifted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, _ = run(capsys, tmp_path, "deploy", "render", "--check", "--out", str(out))
    assert code == 1  # nothing there yet

    code, stdout, _ = run(capsys, tmp_path, "deploy", "render", "--out", str(out))
    assert code == 0 and "deploy/compose.yaml" in stdout
    assert "REELSTACK_SERVICE_NAME: media-worker" in (out / "deploy/compose.yaml").read_text()
    assert "name: media-worker-b" in (out / "deploy/k8s/services.yaml").read_text()
    code, stdout, _ = run(capsys, tmp_path, "deploy", "render", "--check", "--out", str(out))
    assert code == 0 and "up to date" in stdout

    k8s = out / "deploy/k8s/services.yaml"
    k8s.write_text(k8s.read_text().replace("replicas: 1", "replicas: 3", 1))
    code, _, err = run(capsys, tmp_path, "deploy", "render", "--check", "--out", str(out))
    assert code == 1
    assert "deploy/k8s/services.yaml" in err and "deploy/compose.yaml" not in err
    assert "make deploy-render" in err
    assert "replicas: 3" in k8s.read_text()  # --check writes nothing
