"""media's stages depend one way: ffmpeg <- source <- ladder <- packaging, extras <- pipeline.

Read from the modules' imports (nothing is run). ``ingest/`` works on the
service's titles, so it may use the service's root files (context, models,
repository, service, schemas); the root may use every stage. Settings modules
may be imported from anywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reelstack.media

MEDIA = Path(reelstack.media.__file__).resolve().parent
LEVEL = {"ffmpeg": 0, "source": 1, "ladder": 2, "packaging": 3, "extras": 3, "pipeline": 4}
SETTINGS = {"reelstack.media.settings", "reelstack.media.pipeline.settings"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in SETTINGS else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
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
