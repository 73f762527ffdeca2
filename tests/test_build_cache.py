"""The Sphinx extension ``utils.course.build_cache``: a change in the helper sources re-executes the notebooks.

jupyter-cache keys a notebook on its code cells only, so without the extension a book built with
``execute_notebooks: cache`` keeps the outputs of the old helper code. The unit tests check the hash, the
stamp and the config handler; the build tests build a throwaway one-page book (never the real one) in a
temporary folder, whose notebook prints a number returned by a helper module, and change that module.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import yaml
from sphinx.errors import ConfigError
from test_book_build import stderr_outputs, stderr_warnings_and_errors

import utils
from utils.course.build_cache import (
    STAMP_NAME,
    _on_config_inited,
    default_package_dirs,
    refresh_execution_cache,
    sources_digest,
)

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT_S = 600


# ---------------------------------------------------------------------------------------------- hash and stamp
def _package(folder: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    return folder


def test_digest_depends_on_the_python_sources_only(tmp_path):
    files = {"a.py": "x = 1\n", "sub/b.py": "y = 2\n"}
    one = sources_digest([_package(tmp_path / "one", files)])
    other = _package(tmp_path / "other", files)
    (other / "notes.txt").write_text("not a source")
    (other / "__pycache__").mkdir()
    (other / "__pycache__" / "a.cpython-311.py").write_text("compiled")
    assert sources_digest([other]) == one  # location, non-Python files and __pycache__ do not count
    (other / "sub" / "b.py").write_text("y = 3\n")
    assert sources_digest([other]) != one
    (other / "sub" / "b.py").write_text("y = 2\n")
    (other / "sub" / "b.py").rename(other / "sub" / "c.py")
    assert sources_digest([other]) != one
    (other / "sub" / "c.py").rename(other / "sub" / "b.py")
    (other / "new.py").write_text("")
    assert sources_digest([other]) != one


def test_digest_rejects_a_missing_or_empty_folder(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        sources_digest([tmp_path / "missing"])
    with pytest.raises(ValueError, match=r"no \*\.py file"):
        sources_digest([tmp_path])
    with pytest.raises(ValueError, match="no package folder"):
        sources_digest([])


def test_default_folder_is_the_imported_utils_package():
    assert default_package_dirs() == [Path(utils.__file__).resolve().parent]


def test_stale_cache_is_cleared_and_stamped_and_a_matching_one_is_kept(tmp_path):
    from jupyter_cache import get_cache

    cache_dir = tmp_path / ".jupyter_cache"
    assert refresh_execution_cache(cache_dir, "old")  # no stamp yet: stamped
    get_cache(cache_dir).db  # noqa: B018 - creates global.db, as myst-nb does on first use
    (cache_dir / "executed").mkdir()
    assert not refresh_execution_cache(cache_dir, "old")
    assert (cache_dir / "global.db").is_file() and (cache_dir / "executed").is_dir()
    assert refresh_execution_cache(cache_dir, "new")
    assert sorted(p.name for p in cache_dir.iterdir()) == [STAMP_NAME]
    assert (cache_dir / STAMP_NAME).read_text().strip() == "new"


def test_a_folder_that_is_not_a_jupyter_cache_is_never_cleared(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a jupyter cache"):
        refresh_execution_cache(tmp_path, "digest")
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_config_handler_hashes_folders_relative_to_the_book_and_stamps_myst_nbs_cache(tmp_path):
    _package(tmp_path / "helpers", {"h.py": "v = 1\n"})
    config = SimpleNamespace(build_cache_package_dirs=["helpers"], nb_execution_cache_path="")
    app = SimpleNamespace(confdir=str(tmp_path), outdir=str(tmp_path / "_build" / "html"), config=config)
    _on_config_inited(app, config)
    digest = sources_digest([tmp_path / "helpers"])
    assert config.build_cache_sources_digest == digest
    assert (tmp_path / "_build" / ".jupyter_cache" / STAMP_NAME).read_text().strip() == digest
    config.build_cache_package_dirs = ["missing"]
    with pytest.raises(ConfigError, match="does not exist"):
        _on_config_inited(app, config)


def test_the_book_enables_the_extension_with_cached_execution():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "cache"
    assert "utils.course.build_cache" in config["sphinx"]["extra_extensions"]
    assert "build_cache_package_dirs" not in config["sphinx"].get("config", {})  # default: the utils package


# ---------------------------------------------------------------------------------------------- a tiny book
_OUTPUT = re.compile(r"value = (\d+), run ([0-9a-f]{32})")


def _write_tiny_book(book: Path, *, extension: bool) -> None:
    config = {"title": "tiny", "execute": {"execute_notebooks": "cache"}}
    if extension:
        config["sphinx"] = {"extra_extensions": ["utils.course.build_cache"],
                            "config": {"build_cache_package_dirs": ["helpers"]}}
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    (book / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny"),
        # the number comes from the helper; the random token tells an execution from a cached one
        nbformat.v4.new_code_cell("import sys, uuid\nsys.path.insert(0, 'helpers')\nfrom tinyhelper import value\n"
                                  "print(f'value = {value()}, run {uuid.uuid4().hex}')"),
        nbformat.v4.new_code_cell("import warnings\nwarnings.warn('tiny')"),
        nbformat.v4.new_code_cell("print('50% done', file=sys.stderr)"),
    ]
    nbformat.write(nb, book / "page.ipynb")


def _set_helper_value(book: Path, value: int) -> None:
    (book / "helpers").mkdir(exist_ok=True)
    (book / "helpers" / "tinyhelper.py").write_text(f"def value():\n    return {value}\n")


def _build(book: Path) -> str:
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", str(book), "--warningiserror", "--keep-going"]
    proc = subprocess.run(cmd, cwd=book, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        pytest.fail(f"tiny book build failed ({proc.returncode}):\n{tail}", pytrace=False)
    return (book / "_build" / "html" / "page.html").read_text(encoding="utf-8")


def _value_and_run(page: str) -> tuple[int, str]:
    found = _OUTPUT.findall(page)
    assert len(found) == 1, f"expected one printed value in the page, found {found}"
    return int(found[0][0]), found[0][1]


@pytest.fixture(scope="module")
def tiny_builds(tmp_path_factory) -> dict[str, str]:
    """Pages of four successive builds of one tiny book (helper value 1111, then 2222).

    ``first``: with the extension. ``unchanged``: rebuilt with nothing changed. ``without``: helper changed to
    2222, rebuilt without the extension (the control). ``with``: rebuilt with the extension again.
    """
    book = tmp_path_factory.mktemp("tiny_book")
    _set_helper_value(book, 1111)
    _write_tiny_book(book, extension=True)
    pages = {"first": _build(book), "unchanged": _build(book)}
    _set_helper_value(book, 2222)
    _write_tiny_book(book, extension=False)
    pages["without"] = _build(book)
    _write_tiny_book(book, extension=True)
    pages["with"] = _build(book)
    return pages


@pytest.mark.slow
def test_unchanged_sources_reuse_the_cached_execution(tiny_builds):
    assert _value_and_run(tiny_builds["first"])[0] == 1111
    assert _value_and_run(tiny_builds["unchanged"]) == _value_and_run(tiny_builds["first"])


@pytest.mark.slow
def test_without_the_extension_a_helper_change_keeps_the_old_output(tiny_builds):
    # the control: jupyter-cache alone serves the execution of the old helper code
    assert _value_and_run(tiny_builds["without"]) == _value_and_run(tiny_builds["first"])


@pytest.mark.slow
def test_with_the_extension_a_helper_change_re_executes_the_notebook(tiny_builds):
    value, run = _value_and_run(tiny_builds["with"])
    assert value == 2222 and run != _value_and_run(tiny_builds["first"])[1]
    assert "1111" not in tiny_builds["with"]


@pytest.mark.slow
def test_book_test_flags_stderr_warnings_but_not_other_stderr(tiny_builds):
    # the helpers of tests/test_book_build.py on a real myst-nb page: one warning, one plain stderr line
    outputs = stderr_outputs(tiny_builds["with"])
    assert len(outputs) == 2 and any("50% done" in text for text in outputs)
    flagged = stderr_warnings_and_errors(tiny_builds["with"])
    assert len(flagged) == 1 and "UserWarning: tiny" in flagged[0]
