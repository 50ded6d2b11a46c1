"""The lock is the bot that is deployed: it agrees with pyproject.toml, it is complete, the test
environment was installed from it, and every way of installing the bot (README, .ci/run, the
Dockerfile, a Procfile platform's buildpack) uses it. ``.ci/lock`` remakes it."""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = "requirements.txt"
TEST_LOCK = "requirements-test.txt"
_PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)(?:\s*;\s*(?P<marker>.+))?")


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    marker: Marker | None

    def applies_here(self) -> bool:
        return self.marker is None or self.marker.evaluate()


def read_lock(name: str) -> dict[str, Pin]:
    """The pins of a lock file; a line that is not ``name==version [; marker]`` fails the test."""
    pins: dict[str, Pin] = {}
    for number, line in enumerate((ROOT / name).read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        match = _PIN.fullmatch(text)
        assert match, f"{name}:{number}: {text!r} does not pin one version (name==version)"
        pin = Pin(
            canonicalize_name(match["name"]), match["version"], Marker(match["marker"]) if match["marker"] else None
        )
        assert pin.name not in pins, f"{name}:{number}: {pin.name} is pinned twice"
        pins[pin.name] = pin
    return pins


def pyproject() -> dict[str, list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        RUNTIME_LOCK: [Requirement(text) for text in project["dependencies"]],
        TEST_LOCK: [Requirement(text) for text in project["dependencies"] + project["optional-dependencies"]["test"]],
    }


def _applies(requirement: Requirement, extras: frozenset[str]) -> bool:
    marker = requirement.marker
    return marker is None or any(marker.evaluate({"extra": extra}) for extra in {"", *extras})


def required_here(roots: list[Requirement]) -> dict[str, str]:
    """Every distribution that ``roots`` need on this interpreter, as the installed metadata says,
    each with the first thing that needs it."""
    needed: dict[str, str] = {}
    queue: list[tuple[Requirement, frozenset[str], str]] = [(r, frozenset(), "pyproject.toml") for r in roots]
    visited: set[tuple[str, frozenset[str]]] = set()
    while queue:
        requirement, parent_extras, needed_by = queue.pop()
        if not _applies(requirement, parent_extras):
            continue
        name, extras = canonicalize_name(requirement.name), frozenset(requirement.extras)
        needed.setdefault(name, needed_by)
        if (name, extras) in visited:
            continue
        visited.add((name, extras))
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue  # reported by the caller: a needed distribution that is not installed
        queue += [(Requirement(text), extras, name) for text in requires]
    return needed


def _mentioned_anywhere(pins: dict[str, Pin]) -> set[str]:
    """Names that any installed locked distribution requires, on any platform (markers ignored)."""
    names: set[str] = set()
    for pin in pins.values():
        try:
            requires = metadata.distribution(pin.name).requires or [] if pin.applies_here() else []
        except metadata.PackageNotFoundError:
            continue  # reported as not installed
        names |= {canonicalize_name(Requirement(text).name) for text in requires}
    return names


def lock_problems(lock: str, roots: list[Requirement], pins: dict[str, Pin]) -> list[str]:
    """Everything on which ``lock`` and what it is made from disagree, one line each."""
    problems = []
    for root in roots:
        name = canonicalize_name(root.name)
        exact = [spec.version for spec in root.specifier if spec.operator == "=="]
        if len(exact) != 1 or len(root.specifier) != 1:
            problems.append(f"pyproject.toml: {root} is not pinned to one version (name==version)")
        elif name not in pins:
            problems.append(f"{lock}: {name} (pinned in pyproject.toml) is missing")
        elif pins[name].version != exact[0]:
            problems.append(f"{lock}: {name}=={pins[name].version}, but pyproject.toml pins {exact[0]}")
    for name, pin in pins.items():
        if not pin.applies_here():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{lock}: {name}=={pin.version} is not installed here: reinstall from the lock")
            continue
        if installed != pin.version:
            problems.append(f"{lock}: {name}=={pin.version}, but {installed} is installed: reinstall from the lock")
    needed = required_here(roots)
    for name, needed_by in sorted(needed.items()):
        if name not in pins and needed_by != "pyproject.toml":  # a missing root is reported above
            problems.append(f"{lock}: {name} (required by {needed_by}) is missing")
    mentioned = _mentioned_anywhere(pins) | {canonicalize_name(r.name) for r in roots}
    for name, pin in sorted(pins.items()):
        if (pin.applies_here() and name not in needed) or name not in mentioned:
            problems.append(f"{lock}: {name}=={pin.version} is required by nothing in pyproject.toml")
    return problems


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, TEST_LOCK])
def test_the_lock_agrees_with_pyproject_and_is_complete(lock: str) -> None:
    problems = lock_problems(lock, pyproject()[lock], read_lock(lock))
    assert not problems, "\n".join([*problems, "Run .ci/lock (README: Contributing) and reinstall."])


def test_the_test_lock_holds_the_runtime_lock_at_the_same_versions() -> None:
    runtime, test = read_lock(RUNTIME_LOCK), read_lock(TEST_LOCK)
    differ = [
        f"{p.name}=={p.version}" for p in runtime.values() if p.name not in test or test[p.name].version != p.version
    ]
    assert not differ, f"{TEST_LOCK} lacks or moves these pins of {RUNTIME_LOCK}: {differ}"


def test_lock_problems_are_found() -> None:
    """The checker itself, on a lock broken three ways: a pin moved, a dependency dropped, a stale extra."""
    pins = read_lock(RUNTIME_LOCK)
    roots = pyproject()[RUNTIME_LOCK]
    assert lock_problems(RUNTIME_LOCK, roots, pins) == []
    broken = dict(pins)
    broken["aiohttp"] = Pin("aiohttp", "0.1", None)
    del broken["yarl"]
    broken["six"] = Pin("six", "1.16.0", None)
    problems = "\n".join(lock_problems(RUNTIME_LOCK, roots, broken))
    assert "aiohttp==0.1, but pyproject.toml pins" in problems
    assert "yarl (required by aiohttp) is missing" in problems
    assert "six==1.16.0 is required by nothing" in problems


# -- every install uses the lock -----------------------------------------------------------------


def readme_commands() -> list[str]:
    """The first two code lines of README.md: install and run the bot, install and run the tests."""
    text = (ROOT / "README.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return block.strip().splitlines()[:2]


def test_readme_commands_install_from_the_lock() -> None:
    run_bot, run_tests = readme_commands()
    assert run_bot == "python3 -m venv .venv && .venv/bin/pip install -q -r requirements.txt && .venv/bin/python -m bot"
    assert " -r requirements-test.txt " in run_tests and run_tests.endswith(" && .venv/bin/python -m pytest -q")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in script


def test_dockerfile_installs_the_lock_then_the_project_without_dependencies() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    assert "COPY requirements.txt pyproject.toml /src/" in lines
    install = " ".join(line.rstrip("\\").strip() for line in lines if "pip install" in line)
    assert "pip install --no-cache-dir -r /src/requirements.txt" in install
    assert "pip install --no-cache-dir --no-deps /src" in install
    assert "!requirements.txt" in (ROOT / ".dockerignore").read_text().splitlines()


def test_python_version_is_the_one_the_tests_run_on() -> None:
    """.python-version picks the buildpack's Python (a major.minor); the image and the linters agree."""
    (version,) = [v for v in (ROOT / ".python-version").read_text().split() if not v.startswith("#")]
    assert re.fullmatch(r"3\.\d+", version), "a major.minor, as the buildpack recommends"
    assert version == f"{sys.version_info.major}.{sys.version_info.minor}", (
        f".python-version says {version}: run the tests on that Python"
    )
    assert f"FROM python:{version}-slim" in (ROOT / "Dockerfile").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["requires-python"] == f">={version}"
    assert project["tool"]["mypy"]["python_version"] == version
    assert project["tool"]["ruff"]["target-version"] == "py" + version.replace(".", "")
