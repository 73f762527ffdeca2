"""The public API of `utils`: importable from the package, documented, validated."""

from __future__ import annotations

import inspect

import utils


def test_version_is_set():
    assert isinstance(utils.__version__, str) and utils.__version__.count(".") == 2


def test_every_public_name_is_importable_from_the_package_and_documented():
    assert len(utils.__all__) > 40
    for name in utils.__all__:
        obj = getattr(utils, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            doc = inspect.getdoc(obj) or ""
            assert len(doc) > 20, f"utils.{name} needs a docstring"


def test_public_functions_document_their_parameters():
    undocumented = []
    for name in utils.__all__:
        obj = getattr(utils, name)
        if inspect.isfunction(obj) and inspect.signature(obj).parameters:
            doc = inspect.getdoc(obj) or ""
            if "Parameters" not in doc and "----" not in doc:
                undocumented.append(name)
    assert not undocumented, f"numpy-style 'Parameters' section missing in: {undocumented}"


def test_no_module_is_much_longer_than_400_lines():
    from pathlib import Path

    for path in Path(utils.__file__).parent.rglob("*.py"):
        n = len(path.read_text().splitlines())
        assert n <= 480, f"{path.name} has {n} lines: split it by topic"


def test_code_passes_ruff():
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    ruff = Path(sys.executable).with_name("ruff")
    exe = str(ruff) if ruff.exists() else shutil.which("ruff")
    assert exe, "ruff is a test requirement (requirements-test.txt)"
    proc = subprocess.run([exe, "check", "utils", "tests", "benchmarks"], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
