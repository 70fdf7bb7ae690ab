"""Uploading demo titles so that an interrupted ``reelstack demo`` picks up where it stopped.

``reelstack demo`` returns once the first title plays; the rest of the
catalog is generated and uploaded by a background process (``reelstack
demo-fill``, started detached) while the cluster's media workers encode
what has arrived. Either may be interrupted at any moment, so:

- **No duplicate title.** A title is looked up by name before it is
  uploaded, under a lock beside the demo sources (``uploads.lock``), so two
  runs never both decide to upload the same one.
- **No lost upload.** Each upload's tus location is written down
  (``uploads.json``) before its first byte goes; an upload found half done
  resumes from the server's offset, as tus clients keep a fingerprint store.
  One that cannot resume (expired, or never written down) is deleted and
  uploaded again: the media service never encodes an upload that did not
  complete, so nothing half-made is published.
- **One filler.** The background process holds ``fill.lock`` while it runs;
  a second one finds it held and leaves.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from reelstack.cli import demo_catalog as demo
from reelstack.cli.media_client import MediaClient
from reelstack.errors import NotFoundError

# Titles in these states are gone for good: a new upload may replace them.
GIVEN_UP = ("refused", "failed")
UPLOADING = "uploading"


def folder(home: Path) -> Path:
    """Where the demo's sources, upload record and locks live."""
    return home / "demo"


@contextlib.contextmanager
def _flock(path: Path, *, wait: bool) -> Iterator[bool]:
    """Hold an exclusive flock on ``path`` for the block; yield False if busy and not waiting."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class UploadRecord:
    """The tus locations of demo uploads under way, by title name, kept in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, name: str) -> dict[str, str] | None:
        """The upload started for ``name``: its ``location`` and ``title_id``."""
        entry = self._read().get(name)
        return entry if isinstance(entry, dict) else None

    def put(self, name: str, *, location: str, title_id: str) -> None:
        """Write down an upload before its bytes go (replacing the file whole)."""
        data = self._read()
        data[name] = {"location": location, "title_id": title_id}
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = self.path.with_suffix(".partial")
        temp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(temp, self.path)


def upload_once(
    client: MediaClient,
    home: Path,
    title: demo.DemoTitle,
    source: Path,
    *,
    chunk: int,
) -> str:
    """Make sure the media service has ``title`` (uploaded whole); return its id.

    A title already there is left alone; one whose upload was cut off is
    finished from where it stopped, or replaced when that upload is gone.
    """
    record = UploadRecord(folder(home) / "uploads.json")
    with _flock(folder(home) / "uploads.lock", wait=True):
        for found in client.titles(name=title.name):
            if found["state"] in GIVEN_UP:
                continue
            if found["state"] != UPLOADING:
                return str(found["id"])
            started = record.get(title.name)
            if started is not None and started.get("title_id") == found["id"]:
                with contextlib.suppress(NotFoundError):
                    client.send(started["location"], source, chunk_bytes=chunk)
                    return str(found["id"])
            # Cut off where it cannot be resumed: start it again from nothing.
            client.delete_title(found["id"])
        location, title_id = client.create_upload(source.stat().st_size, title.metadata())
        record.put(title.name, location=location, title_id=title_id)
        client.send(location, source, chunk_bytes=chunk)
        return title_id


def _pid_file(home: Path) -> Path:
    return folder(home) / "fill.pid"


@contextlib.contextmanager
def filling(home: Path) -> Iterator[bool]:
    """Hold the filler's lock for the block; yield False if another filler runs.

    The holder's pid is written beside the lock so ``reelstack down`` can
    stop it with the cluster it feeds.
    """
    with _flock(folder(home) / "fill.lock", wait=False) as held:
        if not held:
            yield False
            return
        _pid_file(home).write_text(str(os.getpid()))
        try:
            yield True
        finally:
            _pid_file(home).unlink(missing_ok=True)


def stop_filler(home: Path) -> int | None:
    """Stop the background filler of ``home`` (and its ffmpeg), if one runs; return its pid.

    The pid is checked against the process's command line first: a stale
    file must not make ``down`` kill whatever process got the number since.
    """
    try:
        pid = int(_pid_file(home).read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    if b"demo-fill" not in cmdline:
        return None
    # It leads its own session (spawn_filler), so its group is it and its ffmpeg.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
        return pid
    return None


def fill_log(home: Path) -> Path:
    """Where the background filler writes what it does."""
    return home / "logs" / "demo-fill.log"


def spawn_filler(home: Path, environ: Mapping[str, str]) -> int:
    """Start ``reelstack demo-fill`` detached from this terminal; return its pid.

    It outlives the command (its own session, no terminal), so closing the
    terminal or pressing Ctrl-C after ``demo`` returned does not stop it.
    """
    log = fill_log(home)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "reelstack.cli", "--home", str(home), "demo-fill"],
            env=dict(environ),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return child.pid
