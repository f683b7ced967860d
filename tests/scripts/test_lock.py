"""The dependency locks (requirements/*.txt, made by scripts/lock) are the only place versions
are chosen: every dependency pyproject.toml declares is pinned there, with hashes, at a version
its floor allows; the runtime lock agrees with the dev lock; and this .venv runs the lock."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
DEV_LOCK = ROOT / "requirements" / "dev.txt"
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"
BUILD_IN = ROOT / "requirements" / "build.in"
# What an extra of a direct dependency brings in, by the package the extra belongs to: the lock
# must pin these too (uvicorn[standard]'s C parser and event loop, psycopg[binary]'s driver).
EXTRA_PACKAGES = {"uvicorn": {"standard": {"httptools", "uvloop", "watchfiles", "websockets",
                                           "python-dotenv", "pyyaml"}},
                  "psycopg": {"binary": {"psycopg-binary"}}}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$")
HASH = re.compile(r"^ {4}--hash=sha256:[0-9a-f]{64}( \\)?$")


def parse_lock(path: Path) -> dict[str, tuple[Version, int]]:
    """name -> (pinned version, number of hashes); refuses a pin without a hash, or a line
    that is neither a pin, a hash nor a comment (an unpinned or URL requirement)."""
    pins: dict[str, tuple[Version, int]] = {}
    current = ""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pinned = PIN.match(line)
        if pinned:
            current = str(canonicalize_name(pinned.group(1)))
            assert current not in pins, f"{path.name}:{number}: {current} pinned twice"
            pins[current] = (Version(pinned.group(2)), 0)
            continue
        assert HASH.match(line) and current, f"{path.name}:{number}: not a hashed pin: {line!r}"
        version, hashes = pins[current]
        pins[current] = (version, hashes + 1)
    for name, (_, hashes) in pins.items():
        assert hashes > 0, f"{path.name}: {name} has no hash"
    return pins


def declared(*, dev: bool) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    build = [Requirement(line) for line in BUILD_IN.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    runtime = [Requirement(text) for text in project["project"]["dependencies"]]
    extra = [Requirement(text) for text in project["project"]["optional-dependencies"]["dev"]]
    return runtime + build + (extra if dev else [])


def uncovered(pins: dict[str, tuple[Version, int]], wanted: list[Requirement]) -> list[str]:
    """What `wanted` declares that `pins` does not pin, or pins outside its specifier."""
    problems = []
    for requirement in wanted:
        name = str(canonicalize_name(requirement.name))
        if name not in pins:
            problems.append(f"{name} is not locked")
        elif not requirement.specifier.contains(pins[name][0], prereleases=True):
            problems.append(f"{name}=={pins[name][0]} is outside {requirement.specifier}")
        for extra in requirement.extras:
            for brought in EXTRA_PACKAGES.get(name, {}).get(extra, set()):
                if brought not in pins:
                    problems.append(f"{name}[{extra}] brings {brought}, which is not locked")
    return problems


@pytest.mark.parametrize(("lock", "dev"), [(DEV_LOCK, True), (RUNTIME_LOCK, False)],
                         ids=["dev", "runtime"])
def test_the_lock_pins_every_declared_dependency_with_hashes(lock: Path, dev: bool) -> None:
    pins = parse_lock(lock)
    assert uncovered(pins, declared(dev=dev)) == []
    assert "./scripts/lock" in lock.read_text().splitlines()[1], "made by ./scripts/lock"


def test_a_dependency_missing_from_the_lock_is_caught() -> None:
    pins = parse_lock(DEV_LOCK)
    del pins["fastapi"]
    pins["pydantic"] = (Version("1.10.0"), 2)
    problems = uncovered(pins, declared(dev=True))
    assert "fastapi is not locked" in problems
    assert any(p.startswith("pydantic==1.10.0 is outside") for p in problems)
    del pins["uvloop"]
    assert "uvicorn[standard] brings uvloop, which is not locked" in uncovered(
        pins, declared(dev=False))


def test_the_image_runs_the_versions_ci_tested() -> None:
    dev, runtime = parse_lock(DEV_LOCK), parse_lock(RUNTIME_LOCK)
    assert set(runtime) <= set(dev)
    assert {n: v for n, (v, _) in runtime.items()} == {n: dev[n][0] for n in runtime}
    assert "playwright" not in runtime, "the image carries no test tools"


def test_this_environment_runs_the_lock() -> None:
    """scripts/_bootstrap.sh installs .venv from the dev lock: what runs is what is locked."""
    stale = {}
    for name, (version, _) in parse_lock(DEV_LOCK).items():
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            stale[name] = "missing"
            continue
        if installed != version:
            stale[name] = f"{installed} installed, {version} locked"
    assert stale == {}, "run ./scripts/test once: the bootstrap installs the lock again"
