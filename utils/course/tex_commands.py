"""TeX in the book's Markdown: where the math is, which commands it uses, and which commands MathJax knows.

Used by :mod:`utils.course.notebook_macros` to find macros that a notebook uses but that nobody defines. The
commands MathJax knows are read from the MathJax bundle the website ships (``book/_static/vendor/mathjax``):
the keys of its TeX command, character and delimiter maps (``CommandMap("macros", {frac: ..., ...})``) and
the commands its autoload extension loads on first use (``\\cancel``, ``\\color``, ...).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

__all__ = ["math_spans", "commands_in", "mathjax_commands", "MATHJAX_BUNDLE"]

MATHJAX_BUNDLE = Path("book") / "_static" / "vendor" / "mathjax" / "es5" / "tex-mml-chtml.js"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>[^\n]*)\n(?P<body>.*?)^[ \t]*(?P=fence)[ \t]*$",
                    re.M | re.S)
_MATH_ROLE = re.compile(r"\{math\}`([^`]*)`")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?![\s$])((?:[^$\n]|\n(?![ \t]*\n))+?)(?<![\s\\])\$(?!\$)")
_ENVIRONMENT = re.compile(r"\\begin\{(?P<env>[A-Za-z*]+)\}.*?\\end\{(?P=env)\}", re.S)
_COMMAND = re.compile(r"\\([A-Za-z]+)")


def math_spans(markdown: str) -> list[str]:
    """The TeX of every formula in MyST Markdown, in order of appearance (code is not math).

    Parameters
    ----------
    markdown : str
        The source of a Markdown cell or page: ``$...$``, ``$$...$$``, amsmath environments
        (``\\begin{align} ... \\end{align}``), ``{math}`` roles and ``{math}`` directives are math; fenced
        code, directives other than ``{math}`` keep their math, but code fences and code spans do not.

    Returns
    -------
    list of str
        The TeX inside each formula, without its delimiters.
    """
    spans: list[str] = []

    def fence(m: re.Match) -> str:
        info = m.group("info").strip()
        if m.group("fence")[0] == ":" or info.startswith("{") and not info.startswith("{code"):
            if info.startswith("{math}"):
                spans.append(m.group("body"))
                return "\n"
            return m.group("info") + "\n" + m.group("body")  # a directive: its body is Markdown
        return "\n"  # code

    text = markdown
    previous = None
    while previous != text:  # nested directives: unwrap one level per pass
        previous, text = text, _FENCE.sub(fence, text)
    text = _MATH_ROLE.sub(lambda m: spans.append(m.group(1)) or " ", text)
    text = _CODE_SPAN.sub(" ", text)
    text = _DISPLAY.sub(lambda m: spans.append(m.group(1)) or " ", text)
    text = _INLINE.sub(lambda m: spans.append(m.group(1)) or " ", text)
    spans.extend(m.group(0) for m in _ENVIRONMENT.finditer(text))
    return spans


def commands_in(tex: str) -> set[str]:
    """The control words (``\\frac`` -> ``"frac"``) a piece of TeX uses; ``\\\\`` and ``\\,`` are not words.

    Parameters
    ----------
    tex : str

    Returns
    -------
    set of str
        Names without the backslash. Macro parameters (``#1``) and control symbols are ignored.
    """
    return set(_COMMAND.findall(tex.replace("\\\\", " ")))


def _object_keys(js: str, start: int) -> tuple[list[str], int]:
    """Keys at the top level of the JavaScript object literal that opens at ``js[start] == "{"``."""
    keys, depth, i, token_start = [], 0, start, start
    while i < len(js):
        c = js[i]
        if c in "\"'":
            end = i + 1
            while js[end] != c:
                end += 2 if js[end] == "\\" else 1
            if depth == 1 and js[end + 1:end + 2] == ":" and js[token_start:i].strip() in ("", ",", "{"):
                keys.append(js[i + 1:end].encode().decode("unicode_escape"))
            i = end
        elif c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth == 0:
                return keys, i
        elif depth == 1 and c == ",":
            token_start = i
        elif depth == 1 and c == ":":
            key = js[token_start + 1:i].strip().lstrip(",").strip()
            if re.fullmatch(r"[A-Za-z_$][\w$]*", key):
                keys.append(key)
        i += 1
    raise ValueError("unterminated JavaScript object literal in the MathJax bundle")


@functools.lru_cache(maxsize=4)
def mathjax_commands(bundle: str | Path) -> frozenset[str]:
    """The TeX control words the given MathJax 3 bundle defines (without the backslash).

    Parameters
    ----------
    bundle : str or Path
        A MathJax 3 component bundle with the TeX input, e.g. ``es5/tex-mml-chtml.js``.

    Returns
    -------
    frozenset of str
        Every key of its TeX ``CommandMap``, ``CharacterMap``, ``DelimiterMap`` and ``MacroMap`` objects that is
        a control word, and every command of its autoload table.

    Raises
    ------
    FileNotFoundError
        If the bundle does not exist.
    ValueError
        If it holds no TeX command map (not a MathJax 3 bundle with TeX input).
    """
    js = Path(bundle).read_text(encoding="utf-8")
    names: set[str] = set()
    for m in re.finditer(r"(?:Command|Character|Delimiter|Macro)Map\(\"[\w-]+\",(?:[^{()]|\([^()]*\))*?\{", js):
        keys, _ = _object_keys(js, m.end() - 1)
        names.update(k.lstrip("\\") for k in keys)
    autoload = js.find("autoload:(0,")
    if autoload != -1:
        brace = js.index("{", autoload)
        _, end = _object_keys(js, brace)
        names.update(re.findall(r"\"([A-Za-z]+)\"", js[brace:end]))
    words = frozenset(n for n in names if re.fullmatch(r"[A-Za-z]+", n))
    if "frac" not in words:
        raise ValueError(f"{bundle} holds no MathJax TeX command map (is it a MathJax 3 bundle with TeX input?)")
    return words
