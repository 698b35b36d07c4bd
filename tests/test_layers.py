"""How the code is layered: the vision core stands alone, and training lives once, in it.

These read the source (and import the core in a fresh interpreter), so a change
that breaks a layer fails here, whatever the other tests cover.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
VISION = SRC / "museion" / "vision"
PIPELINE = VISION / "train.py"
HEAD = VISION / "head.py"
TRAINING_STEPS = {"fit", "calibrate", "evaluate"}
APPS = (
    "django",
    "ninja",
    "celery",
    "museion.web",
    "museion.albums",
    "museion.accounts",
    "museion.recognition",
)


def modules_under(folder: Path) -> list[str]:
    return sorted(
        ".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        for p in folder.rglob("*.py")
    )


def imported_names(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_importing_every_module_of_the_vision_core_loads_no_django() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {modules_under(VISION)!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'ninja', 'celery')))\n"
    )
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "[]"


def test_the_vision_core_names_no_web_framework_and_no_app() -> None:
    offending = [
        f"{path.relative_to(SRC)}: {name}"
        for path in VISION.rglob("*.py")
        for name in imported_names(ast.parse(path.read_text("utf-8")))
        if name.split(".")[0] in APPS or name.startswith(APPS)
    ]
    assert offending == []


def head_training_calls(path: Path) -> list[str]:
    """Calls of `head.fit`, `calibrate` or `evaluate` in one file, however the head module was imported."""
    tree = ast.parse(path.read_text("utf-8"))
    modules, functions = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name == "museion.vision.head")
        elif isinstance(node, ast.ImportFrom) and node.module == "museion.vision":
            modules.update(a.asname or a.name for a in node.names if a.name == "head")
        elif isinstance(node, ast.ImportFrom) and node.module == "museion.vision.head":
            functions.update(a.asname or a.name for a in node.names if a.name in TRAINING_STEPS)
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        if isinstance(target, ast.Name) and target.id in functions:
            calls.append(f"{path.name}:{node.lineno} {target.id}")
        elif isinstance(target, ast.Attribute) and target.attr in TRAINING_STEPS:
            owner = target.value
            dotted = ast.unparse(owner)
            if dotted in modules or dotted == "museion.vision.head":
                calls.append(f"{path.name}:{node.lineno} {dotted}.{target.attr}")
    return calls


def test_only_the_vision_pipeline_fits_calibrates_or_evaluates_a_head() -> None:
    outside = [
        call
        for path in SRC.rglob("*.py")
        if path not in (PIPELINE, HEAD)
        for call in head_training_calls(path)
    ]
    assert outside == []


def test_the_scan_finds_the_pipelines_own_calls() -> None:
    # Were the scan blind (a renamed import, say), the test above would pass for nothing.
    assert {call.split()[-1].split(".")[-1] for call in head_training_calls(PIPELINE)} == TRAINING_STEPS


def imports_of(package: str) -> list[str]:
    folder = SRC.joinpath(*package.split("."))
    return [
        f"{path.relative_to(SRC)}: {name}"
        for path in folder.rglob("*.py")
        for name in imported_names(ast.parse(path.read_text("utf-8")))
    ]


def test_the_apps_never_import_the_project_shell() -> None:
    # museion.web (settings, URLs, the API root, Celery) imports the apps; they use museion.http.
    for app in ("accounts", "albums", "recognition"):
        assert [
            i
            for i in imports_of(f"museion.{app}")
            if i.endswith(("museion.web", ".web")) or ": museion.web." in i
        ] == []


def test_the_http_library_imports_no_app_and_not_the_shell() -> None:
    prefixes = ("museion.web", "museion.accounts", "museion.albums", "museion.recognition")
    assert [i for i in imports_of("museion.http") if i.split(": ")[1].startswith(prefixes)] == []
