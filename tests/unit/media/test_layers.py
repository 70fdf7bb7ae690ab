"""media's stages depend one way: ffmpeg <- source <- ladder <- packaging, extras <- pipeline.

Read from the modules' imports (nothing is run). ``ingest/`` works on the
service's titles, so it may use the service's root files (context, models,
repository, service, schemas); the root may use every stage. Settings modules
may be imported from anywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import reelstack.media
from reelstack import services

MEDIA = Path(reelstack.media.__file__).resolve().parent
LEVEL = {"ffmpeg": 0, "source": 1, "ladder": 2, "packaging": 3, "extras": 3, "pipeline": 4}
SETTINGS = {"reelstack.media.settings", "reelstack.media.pipeline.settings"}


def _imports(path: Path) -> set[str]:
    package = "reelstack.media." + ".".join(path.relative_to(MEDIA).parent.parts)
    found = {
        f"{module}.{name}" if f"{module}.{name}" in SETTINGS else module
        for module, names, _ in services.imports(path, package.rstrip("."))
        for name in names or ("",)
    }
    return {name for name in found if name.startswith("reelstack.media.")}


def _stage(module: str) -> str:
    return module.split(".")[2]


@pytest.mark.parametrize("stage", sorted(LEVEL))
def test_a_stage_imports_only_the_stages_below_it(stage: str) -> None:
    wrong: list[str] = []
    for path in sorted((MEDIA / stage).rglob("*.py")):
        for module in _imports(path):
            if module in SETTINGS:
                continue
            target = _stage(module)
            if target != stage and LEVEL.get(target, 99) >= LEVEL[stage]:
                wrong.append(f"{path.relative_to(MEDIA)} imports {module}")
    assert wrong == []


def test_ingest_reaches_the_pipeline_only_through_the_service_root() -> None:
    wrong = [
        f"{path.relative_to(MEDIA)} imports {module}"
        for path in sorted((MEDIA / "ingest").rglob("*.py"))
        for module in _imports(path)
        if _stage(module) == "pipeline" and module not in SETTINGS
    ]
    assert wrong == []


def test_the_layers_test_reads_real_imports() -> None:
    # A test that finds nothing to check checks nothing.
    assert "reelstack.media.ffmpeg.runner" in _imports(MEDIA / "ffmpeg" / "__init__.py") | {
        m for p in (MEDIA / "ffmpeg").glob("*.py") for m in _imports(p)
    }
    assert any(_imports(p) for p in (MEDIA / "pipeline").glob("*.py"))
