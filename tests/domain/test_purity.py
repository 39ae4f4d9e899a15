"""The core stays pure: no I/O modules, no imports from outside storebridge.domain."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import storebridge.domain

DOMAIN_DIR = Path(storebridge.domain.__file__).parent
MODULES = sorted(DOMAIN_DIR.glob("*.py"))

# Modules that do I/O, talk to the network or a database, read the clock or the environment.
FORBIDDEN_ROOTS = {
    "sqlalchemy",
    "httpx",
    "fastapi",
    "starlette",
    "sqlite3",
    "psycopg",
    "pymysql",
    "os",
    "pathlib",
    "io",
    "shutil",
    "socket",
    "subprocess",
    "asyncio",
    "time",
    "random",
    "logging",
    "tempfile",
    "urllib",
    "requests",
    "procrastinate",
}


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # Relative imports stay inside the package by construction.
                names.append("storebridge.domain." + (node.module or ""))
            else:
                names.append(node.module or "")
    return names


def test_the_domain_package_has_modules_to_check() -> None:
    assert {p.stem for p in MODULES} >= {
        "model",
        "validation",
        "selection",
        "ownership",
        "plan",
        "allocation",
        "export_state",
        "cursor",
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_domain_modules_import_nothing_from_storebridge_outside_the_domain(path: Path) -> None:
    outside = [
        name
        for name in imported_modules(path)
        if name.split(".")[0] == "storebridge" and not name.startswith("storebridge.domain")
    ]
    assert outside == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_domain_modules_import_no_io_or_framework_module(path: Path) -> None:
    forbidden = [n for n in imported_modules(path) if n.split(".")[0] in FORBIDDEN_ROOTS]
    assert forbidden == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_every_name_in_a_modules_all_exists(path: Path) -> None:
    module = importlib.import_module(f"storebridge.domain.{path.stem}")
    exported = getattr(module, "__all__", None)
    if exported is None:
        assert path.stem in {"__init__", "model"}
        return
    assert [name for name in exported if not hasattr(module, name)] == []


def test_the_purity_check_would_catch_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom storebridge.sync import engine\nfrom . import model\n")
    names = imported_modules(bad)
    assert "os" in names
    assert "storebridge.sync" in names
    assert "storebridge.domain." in names
