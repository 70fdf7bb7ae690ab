"""Persisted documents: the web app's operations, known to the router by the SHA-256 of their text.

The web app's operations are files, ``web/src/graphql/*.graphql``, one named
operation each. At its start the router reads that folder
(``router.persisted_documents``) into a manifest, ``{sha256 hex of the
file's text: the text}``, written as JSON beside its supergraph; Hive
Gateway (``router/serve.mjs --persisted-manifest``) answers a body naming a
document by hash, ``{"documentId": "sha256:H"}`` or Apollo's
``{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "H"}}}``,
with that document, and refuses an unknown hash with a GraphQL error naming
it. A client computes the same hash over the same bytes (the file as it is,
UTF-8, comments and final newline included), so nothing is normalised here.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import orjson

from reelstack.config import Config
from reelstack.errors import ConfigError
from reelstack.router import settings as router_settings
from reelstack.router.compose import write_atomically
from reelstack.router.hive import PersistedDocuments

log = logging.getLogger(__name__)

SUFFIX = ".graphql"
MANIFEST_FILE = "persisted.json"
# Far past any page's operation; a bigger file is a mistake, not a document.
MAX_DOCUMENT_BYTES = 64 * 1024


def document_id(text: str) -> str:
    """The hash a client sends for ``text``: SHA-256 of its UTF-8 bytes, lower-case hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifest(folder: Path) -> dict[str, str]:
    """Every ``*.graphql`` file in ``folder`` by its hash (ValueError naming an unusable one)."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    manifest: dict[str, str] = {}
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        raw = path.read_bytes()
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise ValueError(f"{path} is over {MAX_DOCUMENT_BYTES} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path} is not UTF-8: {exc}") from exc
        if not text.strip():
            raise ValueError(f"{path} is empty")
        # Two files with one text are one document; the hash says which.
        manifest[document_id(text)] = text
    return manifest


def write_manifest(manifest: dict[str, str], path: Path) -> None:
    """Write ``manifest`` as JSON to ``path``, replaced atomically (Hive reads it at its start)."""
    write_atomically(path, orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS).decode())


def prepare(config: Config, folder: Path) -> PersistedDocuments | None:
    """Write the manifest of ``router.persisted_documents`` into ``folder``; None without one."""
    setting = router_settings.ROUTER_PERSISTED_DOCUMENTS
    documents = config.get(setting)
    only = config.get(router_settings.ROUTER_PERSISTED_ONLY)
    if not documents or not (only or Path(documents).is_dir()):
        if only:
            resolved = config.resolved(router_settings.ROUTER_PERSISTED_ONLY)
            raise ConfigError(
                resolved.key, only, resolved.source, "needs router.persisted_documents"
            )
        if documents:
            # Installed without the repository (the default names its web/src/graphql):
            # text queries still run, so a development router starts anyway.
            log.warning("no persisted documents: %s is not a folder", documents)
        return None
    try:
        manifest = read_manifest(Path(documents))
    except (OSError, ValueError) as exc:
        resolved = config.resolved(setting)
        raise ConfigError(resolved.key, documents, resolved.source, str(exc)) from exc
    path = folder / MANIFEST_FILE
    write_manifest(manifest, path)
    log.info("%d persisted documents from %s (persisted only: %s)", len(manifest), documents, only)
    return PersistedDocuments(manifest=path, only=only)
