"""Write the student edition of the book: every chapter notebook without its solutions.

Run ``python -m utils.course.student_edition OUTDIR`` from a checkout of the book, with OUTDIR a new or empty
folder outside the checkout. For every notebook listed in ``_toc.yml`` it writes ``OUTDIR/<name>.ipynb``
transformed by :func:`utils.course.student_notebook.make_student_notebook` (solutions removed, answer cells and
automatic checks kept, outputs cleared), then written in plain Jupyter Markdown by
:func:`utils.course.plain_notebook.make_plain_notebook` (numbered theorem and exercise blocks, resolved references
and citations, expanded math macros), so that it renders in any Jupyter, Colab or VS Code. Next to the notebooks it copies what they need to run: the ``utils``
package (imported by every notebook from the notebook's directory), the files the markdown refers to (figures),
and ``requirements.txt`` and ``pyproject.toml`` with a short ``README.md`` so that
``pip install -r requirements.txt`` works in OUTDIR.

It never deletes anything and never overwrites work: see :func:`write_student_edition`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from .plain_index import read_book_index
from .plain_notebook import make_plain_notebook
from .student_notebook import ANSWER_TAG, _referenced_files, make_student_notebook
from .toc import toc_notebooks

__all__ = ["EditionError", "write_student_edition", "main"]


MANIFEST = ".student-edition.json"  # what an edition wrote, with each file's SHA-256, for safe updates


class EditionError(ValueError):
    """The student edition cannot be written where asked without destroying or overwriting something."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_outdir(outdir: Path) -> Path:
    outdir = Path(outdir).expanduser().absolute()
    parent = outdir.parent
    if outdir.exists() and not outdir.is_dir():
        raise NotADirectoryError(f"{outdir} exists and is not a directory")
    if not outdir.exists():
        if parent.exists() and not parent.is_dir():
            raise NotADirectoryError(f"cannot create {outdir}: {parent} is not a directory")
        if not parent.is_dir():
            raise FileNotFoundError(f"the parent directory {parent} of OUTDIR does not exist; create it first")
        if not _writable(parent):
            raise PermissionError(f"cannot create {outdir}: the directory {parent} is not writable")
    elif not _writable(outdir) or not _writable(parent):
        raise PermissionError(f"the directory {outdir} (or its parent) is not writable")
    return outdir


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def _find_root(root) -> Path:
    if root is None:
        root = Path(__file__).resolve().parents[2]
        if not (root / "_toc.yml").is_file():
            raise EditionError(
                f"the student edition is made from a checkout of the book, but this package is installed in {root} "
                "(no _toc.yml there): clone the book's repository and pass its folder with --root"
            )
    root = Path(root).expanduser().absolute()
    if not (root / "_toc.yml").is_file():
        raise EditionError(f"{root} is not a checkout of the book (no _toc.yml): pass the repository root with --root")
    return root


def _edition_files(root: Path, log) -> tuple[dict[str, bytes], list[str]]:
    """Every file of the edition (path relative to OUTDIR -> content) and the notebooks' relative paths."""
    files: dict[str, bytes] = {}
    notebooks = []
    index = read_book_index(root)  # the website's numbers, labels, bibliography and math macros
    for path in toc_notebooks(root):
        if not path.exists():
            log(f"skipped {path.relative_to(root)}: listed in _toc.yml but missing")
            continue
        nb = nbformat.read(path, as_version=4)
        docname = path.relative_to(root).with_suffix("").as_posix()
        student = make_plain_notebook(make_student_notebook(nb), index, docname, note=False)
        files[path.name] = nbformat.writes(student).encode() + b"\n"
        notebooks.append(path.name)
        for extra in _referenced_files(nb, path.parent):
            files[extra.relative_to(path.parent.resolve()).as_posix()] = extra.read_bytes()
    package = root / "utils"
    for src in sorted(package.rglob("*.py")):
        if "__pycache__" not in src.parts:
            files[(Path("utils") / src.relative_to(package)).as_posix()] = src.read_bytes()
    for name in ["requirements.txt", "pyproject.toml"]:
        if (root / name).exists():
            files[name] = (root / name).read_bytes()
    files["README.md"] = _README.encode()
    return files, notebooks


_README = (
    "# Convex duality for deep neural networks: student edition\n\n"
    "Notebooks without solutions, in plain Jupyter Markdown (they render in any Jupyter, Colab or VS Code; "
    "theorems and exercises carry the numbers of the book's website). Set up once with\n\n"
    "    python3 -m venv .venv && .venv/bin/pip install -r requirements.txt\n\n"
    "then open the notebooks with `.venv/bin/jupyter lab` (or `jupyter notebook`) from this folder.\n"
    "Each exercise with an automatic check has an answer cell `answer_CC_N = None`: replace `None` by\n"
    "your answer and run the `check_exercise(...)` cell below it.\n"
)


def _read_manifest(outdir: Path) -> dict[str, str]:
    path = outdir / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
        return {str(k): str(v) for k, v in data["files"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise EditionError(f"{path} is not a valid student-edition manifest; refusing to touch {outdir}") from None


def _plan(outdir: Path, files: dict[str, bytes], force: bool) -> tuple[dict[str, str], list[str]]:
    """(manifest of the edition before this run, files to keep because they changed since it wrote them)."""
    if not outdir.exists() or not any(outdir.iterdir()):
        return {}, []
    manifest = _read_manifest(outdir)
    if not force:
        what = "an earlier student edition" if manifest else "files that are not a student edition"
        raise EditionError(f"{outdir} is not empty (it holds {what}); choose a new folder, or pass --force to "
                           "update an edition written before (only its unchanged files are replaced)")
    if not manifest:
        raise EditionError(f"{outdir} is not empty and holds no student edition ({MANIFEST} is missing); "
                           "refusing to write into it, even with --force")
    foreign = sorted(rel for rel in files if (outdir / rel).exists() and rel not in manifest)
    if foreign:
        raise EditionError(f"{outdir} holds files the edition would overwrite but did not write: "
                           f"{', '.join(foreign[:5])}{' ...' if len(foreign) > 5 else ''}; nothing was changed")
    kept = sorted(rel for rel in files if (outdir / rel).is_file() and rel in manifest
                  and _sha((outdir / rel).read_bytes()) != manifest[rel])
    return manifest, kept


def write_student_edition(outdir, root=None, *, force: bool = False, log=print) -> list[Path]:
    """Write the student edition of every notebook in ``_toc.yml`` into ``outdir``; return the written notebooks.

    Safe by construction: nothing is ever deleted, and nothing is written unless the whole edition could be
    prepared. The edition is first written into a temporary folder next to ``outdir``, then moved into place.

    Parameters
    ----------
    outdir : str or Path
        Output directory, outside the book's checkout. Created if missing (its parent must exist). If it exists it
        must be empty, unless ``force`` is set.
    root : str or Path, optional
        The book's checkout (with ``_toc.yml``, ``book/``, ``utils/``). Default: the checkout this module belongs
        to; an installed copy of the package has none, and then ``root`` is required.
    force : bool
        Update an edition written before into ``outdir``: files it wrote (listed with their hashes in
        ``outdir/.student-edition.json``) are replaced **only if unchanged since**; files a student has edited are
        kept (and reported), and any other file in the way stops the run before anything is written.
    log : callable
        Receives one progress line per notebook (``print`` by default).

    Returns
    -------
    list of Path, the notebooks written (kept, edited notebooks are not in it).

    Raises
    ------
    EditionError (a ValueError)
        When ``outdir`` is inside the checkout, is not empty (without ``force``), holds files the edition did not
        write, or when ``root`` is not a checkout of the book.
    OSError
        When ``outdir`` cannot be created or written.
    """
    root = _find_root(root)
    outdir = _check_outdir(Path(outdir))
    real_out, real_root = outdir.resolve(), root.resolve()
    if real_out == real_root or real_root in real_out.parents or real_out in real_root.parents:
        raise EditionError(f"OUTDIR {outdir} would overwrite the book's own files: choose a folder outside the "
                           f"book's checkout {root}")
    files, notebooks = _edition_files(root, log)
    manifest, kept = _plan(outdir, files, force)
    for rel in kept:
        log(f"kept {outdir / rel}: changed since the edition wrote it (a student's work?)")
    new_manifest = {**manifest, **{rel: _sha(data) for rel, data in files.items() if rel not in kept}}
    stage = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
    try:
        for rel, data in files.items():
            if rel in kept:
                continue
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            (stage / rel).write_bytes(data)
        (stage / MANIFEST).write_text(json.dumps({"files": dict(sorted(new_manifest.items()))}, indent=1) + "\n")
        if not outdir.exists() or not any(outdir.iterdir()):
            if outdir.exists():
                outdir.rmdir()
            os.rename(stage, outdir)
        else:
            for rel in [r for r in files if r not in kept] + [MANIFEST]:
                (outdir / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(stage / rel, outdir / rel)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    written = []
    for name in notebooks:
        if name in kept:
            continue
        target = outdir / name
        n_answers = sum(ANSWER_TAG in c.metadata.get("tags", []) for c in nbformat.read(target, as_version=4).cells)
        log(f"wrote {target}  ({n_answers} answer cells)")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: ``python -m utils.course.student_edition OUTDIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m utils.course.student_edition",
        description="Write the student edition of the book (every notebook in _toc.yml without its solutions, "
                    "with empty answer cells and the automatic checks) into OUTDIR, together with the utils "
                    "package the notebooks import.",
    )
    parser.add_argument("outdir", metavar="OUTDIR",
                        help="output directory outside the book's checkout: new or empty (its parent must exist)")
    parser.add_argument("--root", default=None,
                        help="the book's checkout, holding _toc.yml (default: the checkout this module belongs to)")
    parser.add_argument("--force", action="store_true",
                        help="update an edition written before into OUTDIR: replace only the files it wrote and "
                             "nobody changed since; never delete anything")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    args = parser.parse_args(argv)
    try:
        written = write_student_edition(args.outdir, args.root, force=args.force, log=(lambda _msg: None) if args.quiet else print)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(f"student edition: {len(written)} notebooks in {Path(args.outdir).absolute()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
