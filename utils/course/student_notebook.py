"""Turn one chapter notebook into its student edition (the transformation only; writing the edition is
:mod:`utils.course.student_edition`).

* every code cell tagged ``solution`` is removed (nbconvert's ``TagRemovePreprocessor``) and each block of
  them is replaced by one answer cell ``answer_CC_N = None  # your answer here`` (one line per top-level
  assignment to an ``answer_*`` name in the removed cells, found with :mod:`ast`), or by an empty
  ``# your work here`` cell when the solution assigned no answer;
* the solution text is removed from the markdown: whole ``{solution}`` directive blocks, and everything
  from a ``{solution-start}`` directive to the end of its ``{solution-end}`` directive, whole cells included;
* the exercises and the ``check`` cells (``check_exercise("CC.N", answer_CC_N)``) are kept, so a student
  who runs the notebook with no answers sees "not answered yet" and no error;
* outputs and execution counts are cleared (``ClearOutputPreprocessor``).
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor, TagRemovePreprocessor

__all__ = ["answer_names", "make_student_notebook"]

SOLUTION_TAG = "solution"
CHECK_TAG = "check"
ANSWER_TAG = "answer"
_REMOVE_TAG = "student-edition-remove"  # marks cells that only held solution text
_FENCE_OPEN = re.compile(r"^\s*(?P<fence>`{3,}|:{3,})\s*\{(?P<name>[a-z-]+)\}")
_MARKDOWN_FILE = re.compile(r"!\[[^\]]*\]\((?P<a>[^)\s]+)[^)]*\)|^\s*(?:`{3,}|:{3,})\{(?:figure|image)\}\s+(?P<b>\S+)",
                            flags=re.M)
_BANNER = (
    "> **Student edition.** The solutions are removed. Write each answer in its answer cell "
    "(`answer_CC_N = None  # your answer here`), then run the check cell below it: `check_exercise` says "
    "whether the answer is correct within a stated tolerance and, if not, gives a hint."
)


def answer_names(source: str) -> list[str]:
    """Names ``answer_*`` assigned at module level in a code cell's ``source``, in order, without repeats.

    Module level includes the bodies of ``for``/``while``/``if``/``with``/``try`` statements (an answer may
    be assigned inside a loop), but not function or class bodies. IPython magics and shell escapes (lines
    starting with ``%`` or ``!``) are ignored.
    """
    code = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines())
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names: list[str] = []

    def collect(target: ast.AST) -> None:
        if isinstance(target, ast.Name) and target.id.startswith("answer_") and target.id not in names:
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                collect(elt)

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    collect(target)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For)):
                collect(node.target)
            elif isinstance(node, ast.With):
                for item in node.items:
                    if item.optional_vars is not None:
                        collect(item.optional_vars)
            for block in ("body", "orelse", "finalbody"):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    visit(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                visit(handler.body)

    visit(tree.body)
    return names


@dataclass
class _Scanner:
    """Line-by-line state across the markdown cells of one notebook."""

    gated: bool = False          # between a {solution-start} and the end of its {solution-end}
    closing: str | None = None   # fence that closes the directive being skipped, if any
    after_end: bool = False      # the directive being skipped is {solution-end}
    kept: list[str] = field(default_factory=list)

    def strip(self, text: str) -> str:
        """The markdown ``text`` without solution blocks; updates the gated state."""
        self.kept = []
        lines = text.splitlines()
        for line in lines:
            self._line(line)
        if len(self.kept) == len(lines):
            return text
        return re.sub(r"\n{3,}", "\n\n", "\n".join(self.kept)).strip("\n")

    def _line(self, line: str) -> None:
        if self.closing is not None:  # inside a directive that is being removed
            stripped = line.strip()
            if stripped and set(stripped) == {self.closing[0]} and len(stripped) >= len(self.closing):
                self.closing = None
                if self.after_end:
                    self.gated, self.after_end = False, False
            return
        match = _FENCE_OPEN.match(line)
        name = match.group("name") if match else None
        if name == "solution-end" and self.gated:
            self.closing, self.after_end = match.group("fence"), True
        elif self.gated:
            return
        elif name == "solution-end":
            raise ValueError("a {solution-end} directive without a {solution-start} before it")
        elif name == "solution":
            self.closing = match.group("fence")
        elif name == "solution-start":
            self.closing, self.gated = match.group("fence"), True
        else:
            self.kept.append(line)


def _answer_cell(names: list[str]) -> nbformat.NotebookNode:
    if names:
        source = "\n".join(f"{name} = None  # your answer here" for name in names)
    else:
        source = "# your work here"
    return nbformat.v4.new_code_cell(source, metadata={"tags": [ANSWER_TAG]})


def make_student_notebook(nb: nbformat.NotebookNode, banner: bool = True) -> nbformat.NotebookNode:
    """The student edition of notebook ``nb`` (which is not modified).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A chapter notebook (nbformat 4) following the book's exercise conventions.
    banner : bool
        Insert a short note explaining the answer and check cells after the notebook's second cell.

    Returns
    -------
    nbformat.NotebookNode
        A new notebook: solution cells and solution text removed, one answer cell per removed block of
        solution code, check cells kept, outputs cleared.
    """
    nb = copy.deepcopy(nb)
    scanner = _Scanner()
    cells: list[nbformat.NotebookNode] = []
    block: tuple[nbformat.NotebookNode, list[str]] | None = None  # answer cell of the open solution block
    for cell in nb.cells:
        tags = list(cell.metadata.get("tags", []))
        removed = False
        if cell.cell_type == "markdown":
            text = scanner.strip(cell.source)
            removed = not text.strip()
            if removed:
                cell.metadata["tags"] = [*tags, _REMOVE_TAG]
            else:
                cell.source = text
        elif cell.cell_type == "code" and CHECK_TAG not in tags and (scanner.gated or SOLUTION_TAG in tags):
            removed = True
            if SOLUTION_TAG not in tags:
                cell.metadata["tags"] = [*tags, SOLUTION_TAG]  # untagged code inside a gated solution
            if block is None:
                block = (_answer_cell([]), [])
                if "id" in cell:
                    block[0]["id"] = f"{cell.id[:50]}-answer"
                cells.append(block[0])
            block[1].extend(n for n in answer_names(cell.source) if n not in block[1])
            block[0].source = _answer_cell(block[1]).source
        if not removed:
            block = None
        cells.append(cell)
    if scanner.gated or scanner.closing is not None:
        raise ValueError("a solution directive is not closed (missing {solution-end} or closing fence)")
    nb.cells = cells
    resources: dict = {}
    remover = TagRemovePreprocessor(remove_cell_tags={SOLUTION_TAG, _REMOVE_TAG}, enabled=True)
    nb, resources = remover.preprocess(nb, resources)
    nb, resources = ClearOutputPreprocessor(enabled=True).preprocess(nb, resources)
    if banner and len(nb.cells) >= 2:
        note = nbformat.v4.new_markdown_cell(_BANNER)
        if "id" in nb.cells[0]:
            note["id"] = "student-edition-note"
        else:
            note.pop("id", None)
        nb.cells.insert(2, note)
    if "id" not in nb.cells[0]:
        for cell in nb.cells:
            cell.pop("id", None)
    return nb


def _referenced_files(nb: nbformat.NotebookNode, folder: Path) -> list[Path]:
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for m in _MARKDOWN_FILE.finditer(cell.source):
            ref = m.group("a") or m.group("b")
            if "://" in ref or ref.startswith(("#", "data:")):
                continue
            path = (folder / ref).resolve()
            if path.is_file() and folder.resolve() in path.parents:
                found.append(path)
    return found
