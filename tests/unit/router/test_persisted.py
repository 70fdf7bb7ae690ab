"""Persisted documents: the manifest of the web app's operations and how Hive is told of it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from reelstack import settings
from reelstack.config import Config
from reelstack.errors import ConfigError
from reelstack.router.hive import HiveGateway, PersistedDocuments
from reelstack.router.persisted import (
    MANIFEST_FILE,
    document_id,
    prepare,
    read_manifest,
    write_manifest,
)

TITLES = "query Titles {\n  titles { id name }\n}\n"
RATE = "mutation Rate($id: ID!) {\n  rate(id: $id)\n}\n"


def config(**environ: str) -> Config:
    return Config.load(settings.REGISTRY, environ=environ)


def folder(tmp_path: Path, **files: str) -> Path:
    documents = tmp_path / "graphql"
    documents.mkdir()
    for name, text in files.items():
        (documents / name).write_text(text)
    return documents


def test_a_document_is_known_by_the_sha256_of_its_exact_text() -> None:
    assert document_id(TITLES) == hashlib.sha256(TITLES.encode()).hexdigest()
    assert len(document_id(TITLES)) == 64
    # Nothing is normalised: the client hashes the same bytes it was built with.
    assert document_id(TITLES) != document_id(TITLES.rstrip("\n"))


def test_the_manifest_holds_every_graphql_file_by_hash(tmp_path: Path) -> None:
    documents = folder(
        tmp_path,
        **{"titles.graphql": TITLES, "rate.graphql": RATE, "notes.md": "not a document"},
    )
    manifest = read_manifest(documents)
    assert manifest == {document_id(TITLES): TITLES, document_id(RATE): RATE}
    path = tmp_path / "out" / MANIFEST_FILE
    write_manifest(manifest, path)
    assert orjson.loads(path.read_bytes()) == manifest


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"  \n", "is empty"), (b"query \xff {}", "not UTF-8"), (b"#" * 70_000, "over")],
)
def test_an_unusable_document_is_refused_by_name(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    documents = folder(tmp_path, **{"good.graphql": TITLES})
    (documents / "bad.graphql").write_bytes(content)
    with pytest.raises(ValueError, match=reason) as refused:
        read_manifest(documents)
    assert "bad.graphql" in str(refused.value)


def test_the_router_start_writes_the_manifest_and_passes_it_to_hive(tmp_path: Path) -> None:
    documents = folder(tmp_path, **{"titles.graphql": TITLES})
    made = prepare(
        config(
            REELSTACK_ROUTER_PERSISTED_DOCUMENTS=str(documents),
            REELSTACK_ROUTER_PERSISTED_ONLY="true",
        ),
        tmp_path / "router",
    )
    assert made == PersistedDocuments(manifest=tmp_path / "router" / MANIFEST_FILE, only=True)
    assert orjson.loads(made.manifest.read_bytes()) == {document_id(TITLES): TITLES}
    gateway = HiveGateway(
        node="node",
        package=tmp_path,
        supergraph=tmp_path / "s.graphql",
        port=0,
        headers=(),
        upstream_timeout_s=1,
        persisted=made,
    )
    argv = gateway.argv()
    assert argv[argv.index("--persisted-manifest") + 1] == str(made.manifest)
    assert "--persisted-only" in argv
    allowed = HiveGateway(
        node="node",
        package=tmp_path,
        supergraph=tmp_path / "s.graphql",
        port=0,
        headers=(),
        upstream_timeout_s=1,
        persisted=PersistedDocuments(manifest=made.manifest),
    ).argv()
    assert "--persisted-manifest" in allowed and "--persisted-only" not in allowed


def test_by_default_the_web_apps_operations_are_persisted_and_text_still_runs(
    tmp_path: Path,
) -> None:
    made = prepare(config(), tmp_path)
    assert made is not None and made.only is False
    web = Path(__file__).resolve().parents[3] / "web" / "src" / "graphql"
    assert len(orjson.loads(made.manifest.read_bytes())) == len(list(web.glob("*.graphql")))


def test_persisted_only_without_documents_refuses_to_start(tmp_path: Path) -> None:
    for documents in ("", str(tmp_path / "missing")):
        with pytest.raises(ConfigError, match=r"router\.persisted"):
            prepare(
                config(
                    REELSTACK_ROUTER_PERSISTED_DOCUMENTS=documents,
                    REELSTACK_ROUTER_PERSISTED_ONLY="true",
                ),
                tmp_path,
            )
    # Without persisted_only a router installed apart from its documents still starts.
    assert prepare(config(REELSTACK_ROUTER_PERSISTED_DOCUMENTS=""), tmp_path) is None
    missing = config(REELSTACK_ROUTER_PERSISTED_DOCUMENTS=str(tmp_path / "missing"))
    assert prepare(missing, tmp_path) is None
