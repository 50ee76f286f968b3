"""The wheel works where it is installed: built from the checkout's files, installed into a fresh
venv outside the checkout, its `kk` serves the Klear Karma spec it carries (no `spec/` nearby)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from contracts.runner import free_port
from tests.engine import ROOT

# Building and installing: minutes on a busy machine (the dependencies come from the index).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

TEST_KEY = "kk_test_sandbox_key_for_local_development_only"


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_clean_env(), capture_output=True, text=True
    )


def _clean_env() -> dict[str, str]:
    """This process's environment without what would let the checkout leak in."""
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "KK_CONFIG", "DATABASE_URL", "REDIS_URL"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def _checked(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def kk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`kk` of the wheel, installed into a new venv (dependencies from the package index)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # the tracked and new files only: no build/ left from another run
    listed = _checked(
        _run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    )
    for name in filter(None, listed.split("\0")):
        src, dst = ROOT / name, source / name
        if src.is_symlink() or src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst, follow_symlinks=False)
    _checked(
        _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work, source, cwd=work)
    )
    (wheel,) = work.glob("klearkarma_api_kit-*.whl")
    venv = work / "venv"
    _checked(_run(sys.executable, "-m", "venv", venv, cwd=work))
    _checked(_run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=work))
    return venv / "bin" / "kk"


@contextmanager
def serving(kk: Path, cwd: Path, *command: str) -> Iterator[str]:
    port = free_port()
    log = cwd / f"{command[0]}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(kk), *command, "--port", str(port)],
            cwd=cwd,
            env=_clean_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for(url, process, log)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120  # migrations and seeding: seconds on a busy machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kk exited: {log.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"kk did not answer within 120 s: {log.read_text()}")


def test_the_installed_kk_reports_the_version_of_the_project(kk: Path, tmp_path: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert _checked(_run(kk, "--version", cwd=tmp_path)).strip() == f"kk, version {version}"


def test_the_installed_kk_mock_serves_the_spec_it_carries(kk: Path, tmp_path: Path) -> None:
    assert not (tmp_path / "spec").exists()
    with serving(kk, tmp_path, "mock") as url:
        answer = httpx.get(f"{url}/v1/practitioners", headers={"Authorization": "Bearer x"})
        spec = httpx.get(f"{url}/openapi.yaml")
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"], answer.text
    assert spec.text == (ROOT / "spec" / "openapi.yaml").read_text()


def test_the_installed_kk_sandbox_answers_the_test_api_key(kk: Path, tmp_path: Path) -> None:
    with serving(kk, tmp_path, "sandbox", "--data-dir", str(tmp_path / "data")) as url:
        health = httpx.get(f"{url}/healthz")
        user = httpx.get(
            f"{url}/v1/users/test_user_123", headers={"Authorization": f"Bearer {TEST_KEY}"}
        )
        docs = [httpx.get(url + path) for path in ("/docs", "/docs/static/swagger-ui.css")]
        titles = [
            httpx.get(f"{url}/v1/users/test_user_123", headers={"Accept-Language": lang})
            for lang in ("en", "fr")
        ]
    assert health.status_code == 200
    assert user.status_code == 200, user.text
    assert user.json()["data"]["id"] == "test_user_123"
    assert [page.status_code for page in docs] == [200, 200]  # the vendored assets
    assert [t.status_code for t in titles] == [401, 401]
    english, french = (t.json()["errors"][0]["title"] for t in titles)
    assert english != french  # the gettext catalogs


def test_kk_contract_without_the_contract_extra_says_what_to_install(
    kk: Path, tmp_path: Path
) -> None:
    assert "--budget" in _checked(_run(kk, "contract", "--help", cwd=tmp_path))
    done = _run(kk, "contract", "--url", "http://127.0.0.1:9", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Error: kk contract needs "), line
    assert line.endswith("pip install 'klearkarma-api-kit[contract]'"), line
