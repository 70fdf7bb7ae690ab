"""The runner: no shell, a private folder, limits that bite, progress, errors with stderr.

A small Python script stands in for ffmpeg so the limits can be tested exactly.
"""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import pytest

from reelstack.media.ffmpeg.errors import FfmpegError, FfmpegLimitError, FfmpegTimeoutError
from reelstack.media.ffmpeg.runner import Limits, make_job_folder, run

PY = sys.executable


def script(body: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(body)]


@pytest.fixture
def job(tmp_path: Path) -> Path:
    return make_job_folder(tmp_path / "jobs")


def test_job_folder_is_private(tmp_path: Path) -> None:
    folder = make_job_folder(tmp_path / "jobs")
    assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o700
    assert folder.parent == (tmp_path / "jobs").resolve()


def test_runs_in_the_job_folder_with_a_scrubbed_environment(
    job: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", "http://proxy.invalid:3128")
    monkeypatch.setenv("REELSTACK_SECRET", "x")
    result = run(
        script("import os, json; print(json.dumps([os.getcwd(), sorted(os.environ)]))"),
        cwd=job,
        limits=Limits(),
    )
    cwd, env = __import__("json").loads(result.stdout)
    assert Path(cwd) == job
    assert "http_proxy" not in env and "REELSTACK_SECRET" not in env
    assert "MALLOC_ARENA_MAX" in env


def test_refuses_a_shared_folder_and_a_relative_binary(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    with pytest.raises(ValueError, match="readable by others"):
        run([PY, "-c", "pass"], cwd=shared, limits=Limits())
    with pytest.raises(ValueError, match="absolute"):
        run(["python3", "-c", "pass"], cwd=make_job_folder(tmp_path), limits=Limits())


def test_failure_carries_exit_status_and_stderr_tail(job: Path) -> None:
    with pytest.raises(FfmpegError) as caught:
        run(
            script("""
                import sys
                for i in range(50):
                    print(f"line {i}", file=sys.stderr)
                sys.exit(3)
            """),
            cwd=job,
            limits=Limits(),
        )
    assert caught.value.returncode == 3
    assert "line 49" in caught.value.stderr_tail and "line 10" not in caught.value.stderr_tail


def test_progress_lines_become_fractions(job: Path) -> None:
    seen: list[float] = []
    result = run(
        script("""
            for us in (0, 1_000_000, 2_000_000, 4_000_000):
                print(f"frame={us // 40000}\\nout_time_us={us}\\nprogress=continue", flush=True)
            print("frame=100\\nout_time_us=N/A\\nprogress=end", flush=True)
        """),
        cwd=job,
        limits=Limits(),
        progress=True,
        duration_s=4.0,
        on_progress=seen.append,
    )
    assert seen == [0.0, 0.25, 0.5, 1.0, 1.0]
    assert result.progress["frame"] == "100" and result.progress["progress"] == "end"


def test_wall_clock_limit_kills_the_process_group(job: Path) -> None:
    # The child starts a grandchild that would outlive it; both must be gone.
    marker = job / "grandchild.pid"
    with pytest.raises(FfmpegTimeoutError, match="wall-clock"):
        run(
            script(f"""
                import subprocess, sys, time
                child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
                open({str(marker)!r}, "w").write(str(child.pid))
                time.sleep(60)
            """),
            cwd=job,
            limits=Limits(wall_s=1.0),
        )
    status = Path(f"/proc/{int(marker.read_text())}/status")
    # SIGKILL lands asynchronously: poll until the grandchild is gone or a zombie.
    deadline = time.monotonic() + 10
    while not _dead(status):
        assert time.monotonic() < deadline, status.read_text()
        time.sleep(0.05)


def _dead(status: Path) -> bool:
    try:
        return "\nState:\tZ" in status.read_text()
    except FileNotFoundError:
        return True


def test_cpu_limit_stops_a_busy_process(job: Path) -> None:
    with pytest.raises(FfmpegLimitError, match="CPU"):
        run(script("while True: pass"), cwd=job, limits=Limits(cpu_s=1, wall_s=60))


def test_output_size_limit_stops_a_runaway_writer(job: Path) -> None:
    with pytest.raises(FfmpegLimitError, match="output size"):
        run(
            script(f"""
                with open({str(job / "out.bin")!r}, "wb") as f:
                    for _ in range(64):
                        f.write(bytes(65536))
                        f.flush()
            """),
            cwd=job,
            limits=Limits(output_bytes=1024 * 1024, wall_s=60),
        )
    assert (job / "out.bin").stat().st_size <= 1024 * 1024


def test_cpu_seconds_are_reported(job: Path) -> None:
    result = run(
        script("""
            import time
            end = time.process_time() + 0.3
            while time.process_time() < end:
                pass
        """),
        cwd=job,
        limits=Limits(),
    )
    assert result.cpu_s >= 0.3
