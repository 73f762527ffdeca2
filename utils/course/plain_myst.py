"""Reading the MyST markup of the book's pages: directive blocks, roles and math macros.

Small, pure helpers shared by :mod:`utils.course.plain_index` (numbering the book like the website) and
:mod:`utils.course.plain_notebook` (rewriting a notebook in plain Markdown). They implement the subset of MyST
the book uses, with the same rules as MyST-Parser for fences: a directive opens with a line of three or more
backticks, tildes or colons followed by ``{name}`` and an optional argument, and closes with a line of the same
character, at least as long; options are ``:key: value`` lines (or a ``---`` YAML block) at the start of its
content. Other fenced blocks are code and are never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

__all__ = ["Code", "Directive", "parse_blocks", "ROLE", "split_role_target", "expand_macros", "parse_macros",
           "outside_code", "strip_front_matter", "defined_macros"]

_OPEN = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,}|:{3,})[ \t]*(?P<info>.*?)\s*$")
_DIRECTIVE_INFO = re.compile(r"^\{(?P<name>[A-Za-z][\w:.+-]*)\}\s*(?P<argument>.*)$")
_OPTION = re.compile(r"^[ \t]*:(?P<key>[\w-]+):(?:[ \t]+(?P<value>.*?))?\s*$")
#: Directives whose content is not Markdown (kept verbatim, never parsed for nested directives).
RAW_CONTENT = frozenset({"math", "code", "code-block", "code-cell", "sourcecode", "raw", "eval-rst",
                         "literalinclude", "mermaid", "graphviz"})
#: A MyST role: ``{name}`content```.
ROLE = re.compile(r"\{(?P<name>[A-Za-z][\w:+.-]*)\}`(?P<content>[^`]+)`")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>\s*$", re.S)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>(?:.*\n)*?)---[ \t]*(?:\n|\Z)")
_DEFINITION = re.compile(r"\\(?:re)?newcommand\*?\{?\\(?P<a>[A-Za-z]+)|\\[gex]?def\\(?P<b>[A-Za-z]+)")


@dataclass
class Code:
    """A fenced code block (or any fenced block that is not a directive), kept verbatim."""

    text: str


@dataclass
class Directive:
    """One directive block; ``body`` holds its parsed content (``raw`` its content lines as written)."""

    name: str
    argument: str = ""
    options: dict[str, str] = field(default_factory=dict)
    raw: str = ""
    body: list = field(default_factory=list)  # str (Markdown text), Code and Directive items


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and set(stripped) == {fence[0]} and len(stripped) >= len(fence)


def _options(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split a directive's content lines into its options and its body."""
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is not None:
            try:
                data = yaml.safe_load("\n".join(lines[1:end])) or {}
            except yaml.YAMLError:
                data = None
            if isinstance(data, dict):
                return {str(k): "" if v is None else str(v) for k, v in data.items()}, lines[end + 1:]
    options: dict[str, str] = {}
    i = 0
    while i < len(lines) and (m := _OPTION.match(lines[i])):
        options[m.group("key")] = m.group("value") or ""
        i += 1
    return options, lines[i:]


def parse_blocks(text: str) -> list:
    """The blocks of MyST Markdown ``text``, in order.

    Parameters
    ----------
    text : str
        Markdown with MyST directives (a notebook cell or a whole page).

    Returns
    -------
    list
        Items of three kinds: ``str`` (Markdown outside any fenced block, consecutive lines joined),
        :class:`Code` (a fenced code block, verbatim) and :class:`Directive` (content parsed recursively,
        except for the directives in ``RAW_CONTENT``). A fence that is never closed extends to the end of
        ``text``, as in MyST.
    """
    lines = text.split("\n")
    blocks: list = []
    plain: list[str] = []

    def flush() -> None:
        if plain:
            blocks.append("\n".join(plain))
            plain.clear()

    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            plain.append(lines[i])
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info")
        directive = _DIRECTIVE_INFO.match(info)
        if directive is None and fence[0] == ":":  # a colon line that opens nothing: ordinary text
            plain.append(lines[i])
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not _closes(lines[j], fence):
            j += 1
        flush()
        if directive is None:
            blocks.append(Code("\n".join(lines[i:j + 1])))
        else:
            name = directive.group("name")
            options, body = _options(lines[i + 1:j])
            while body and not body[0].strip():
                body = body[1:]
            raw = "\n".join(body).rstrip()
            parsed = [raw] if name in RAW_CONTENT else parse_blocks(raw)
            blocks.append(Directive(name, directive.group("argument").strip(), options, raw, parsed))
        i = j + 1
    flush()
    return blocks


def split_role_target(content: str) -> tuple[str | None, str]:
    """``("text", "target")`` for a role content ``text <target>``, ``(None, content)`` otherwise."""
    m = _EXPLICIT.match(content)
    if m and m.group("text").strip():
        return " ".join(m.group("text").split()), m.group("target").strip()
    return None, content.strip()


def strip_front_matter(text: str) -> str:
    """``text`` without a YAML front matter block (``---`` lines around a YAML mapping) at its very start."""
    m = _FRONT_MATTER.match(text)
    if m is None:
        return text
    try:
        data = yaml.safe_load(m.group("yaml"))
    except yaml.YAMLError:
        return text
    return text[m.end():].lstrip("\n") if isinstance(data, dict) else text


def defined_macros(tex: str) -> list[str]:
    """Names a TeX snippet defines with ``\\def``, ``\\gdef``, ``\\newcommand`` or ``\\renewcommand``."""
    return [m.group("a") or m.group("b") for m in _DEFINITION.finditer(tex)]


def outside_code(text: str, function) -> str:
    """Apply ``function`` to the parts of Markdown ``text`` that are not inline code spans."""
    out, last = [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(function(text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(function(text[last:]))
    return "".join(out)


# ----------------------------------------------------------------------------------------------- macros
def parse_macros(config: dict) -> dict[str, tuple[str, int, str | None]]:
    """The math macros of a Jupyter Book ``_config.yml`` (``sphinx.config.mathjax3_config.tex.macros``).

    Returns
    -------
    dict
        name (without backslash) -> (body, number of arguments, default of the first argument or None),
        from MathJax's forms ``"body"``, ``["body", n]`` and ``["body", n, "default"]``.
    """
    tex = (((config.get("sphinx") or {}).get("config") or {}).get("mathjax3_config") or {}).get("tex") or {}
    macros = {}
    for name, value in (tex.get("macros") or {}).items():
        if isinstance(value, str):
            macros[str(name)] = (value, 0, None)
        elif isinstance(value, list) and value and isinstance(value[0], str):
            n = int(value[1]) if len(value) > 1 else 0
            macros[str(name)] = (value[0], n, str(value[2]) if len(value) > 2 else None)
        else:
            raise ValueError(f"math macro {name!r} in _config.yml: expected a string or [body, n], got {value!r}")
    return macros


def _group(text: str, i: int) -> tuple[str, int] | None:
    """The TeX argument starting at ``text[i]`` (after spaces): a balanced ``{...}`` group or one token."""
    while i < len(text) and text[i] in " \t\n":
        i += 1
    if i >= len(text):
        return None
    if text[i] == "{":
        depth = 0
        for j in range(i, len(text)):
            if text[j] == "{" and (j == 0 or text[j - 1] != "\\"):
                depth += 1
            elif text[j] == "}" and text[j - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return text[i + 1:j], j + 1
        return None
    if text[i] == "\\":
        m = re.match(r"\\(?:[A-Za-z]+|.)", text[i:])
        return m.group(0), i + len(m.group(0))
    if text[i] in "}":
        return None
    return text[i], i + 1


_CONTROL_WORD = re.compile(r"\\([A-Za-z]+)")


def expand_macros(text: str, macros: dict[str, tuple[str, int, str | None]], _depth: int = 0) -> str:
    """``text`` with every macro of ``macros`` replaced by its definition (TeX semantics, recursively).

    ``\\schatten{A}{2/L}`` with ``schatten = ["\\|#1\\|_{S_{#2}}", 2]`` becomes ``\\|A\\|_{S_{2/L}}``; a control
    word is matched whole (``\\rangle`` is not ``\\range``). A macro whose arguments are missing is left as is, and
    so is the name in a definition (``\\def\\nuc#1{...}``).

    Raises
    ------
    ValueError
        If the expansion does not terminate (a macro that expands to itself).
    """
    if _depth > 20:
        raise ValueError("math macros expand recursively without end")
    out, last, pos = [], 0, 0
    while (m := _CONTROL_WORD.search(text, pos)) is not None:
        name = m.group(1)
        defining = re.search(r"\\(?:[gex]?def|(?:re)?newcommand\*?\{?)\s*$", text[max(0, m.start() - 16):m.start()])
        if name not in macros or (m.start() > 0 and text[m.start() - 1] == "\\") or defining:
            pos = m.end()
            continue
        body, n_args, default = macros[name]
        args, end, ok = [], m.end(), True
        for k in range(n_args):
            if k == 0 and default is not None:
                opt = re.match(r"\s*\[([^\]]*)\]", text[end:])
                if opt:
                    args.append(opt.group(1))
                    end += opt.end()
                else:
                    args.append(default)
                continue
            group = _group(text, end)
            if group is None:
                ok = False
                break
            args.append(group[0])
            end = group[1]
        if not ok:
            pos = m.end()
            continue
        value = body
        for k in range(n_args, 0, -1):
            value = value.replace(f"#{k}", expand_macros(args[k - 1], macros, _depth + 1))
        value = expand_macros(value, macros, _depth + 1)
        out.append(text[last:m.start()] + value)
        last = pos = end
    out.append(text[last:])
    return "".join(out)
