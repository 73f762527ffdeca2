"""The book's bibliography in plain text: reading ``references.bib`` and writing citations and reference lists
the way the website shows them (sphinxcontrib-bibtex, ``author_year`` style): ``(Wang et al., 2023)``,
``Wang et al. (2023)``, ``Ergen and Pilanci (2021)``.

A small BibTeX reader, enough for the book's file: ``@type{key, field = {value} | "value" | number, ...}``
entries, braces and the usual accent commands in values.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_latex_text", "parse_bibtex", "author_names", "citation_text", "reference_entry",
           "reference_order"]

_ACCENTS = {"'": "\u0301", '"': "\u0308", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
            ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327"}


def clean_latex_text(text: str) -> str:
    """BibTeX field text as plain Unicode: accents applied, braces removed, ``--`` as an en dash.

    Math (``$...$``) is kept as written.
    """
    def accent(m: re.Match) -> str:
        letter = "\u0131" if m.group(2) == "\\i" else m.group(2)
        return unicodedata.normalize("NFC", letter + _ACCENTS[m.group(1)])

    parts = re.split(r"(\$[^$]*\$)", text)
    for k in range(0, len(parts), 2):
        part = re.sub(r"\{?\\([.'\"`^~=uvHc])\s*\{?(\\i|[A-Za-z])\}?\}?", accent, parts[k])
        part = part.replace("---", "\u2014").replace("--", "\u2013").replace("~", "\u00a0")
        part = re.sub(r"\\([&%$#_])", r"\1", part)
        parts[k] = part.replace("{", "").replace("}", "")
    return " ".join("".join(parts).split())


def _bib_value(text: str, i: int) -> tuple[str, int]:
    if text[i] == "{":
        depth = 0
        for j in range(i, len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                return text[i + 1:j], j + 1
        raise ValueError("unbalanced braces")
    if text[i] == '"':
        j = text.index('"', i + 1)
        return text[i + 1:j], j + 1
    m = re.match(r"[\w.-]+", text[i:])
    if not m:
        raise ValueError(f"unexpected {text[i:i + 20]!r}")
    return m.group(0), i + m.end()


def parse_bibtex(text: str) -> dict[str, dict[str, str]]:
    """The entries of a BibTeX file: key -> fields (lower-case names, raw values, plus ``ENTRYTYPE``).

    Raises
    ------
    ValueError
        If an entry cannot be read (the message names it).
    """
    entries: dict[str, dict[str, str]] = {}
    for m in re.finditer(r"@(\w+)\s*\{\s*([^,\s]+)\s*,", text):
        kind, key = m.group(1).lower(), m.group(2)
        if kind in ("comment", "preamble", "string"):
            continue
        fields, i = {"ENTRYTYPE": kind}, m.end()
        try:
            while True:
                f = re.compile(r"\s*(\w+)\s*=\s*").match(text, i)
                if f is None:
                    break
                value, i = _bib_value(text, f.end())
                fields[f.group(1).lower()] = " ".join(value.split())
                i = re.compile(r"\s*,?").match(text, i).end()
        except ValueError as err:
            raise ValueError(f"BibTeX entry {key!r} cannot be read: {err}") from None
        entries[key] = fields
    return entries


def author_names(entry: dict[str, str]) -> list[tuple[str, str]]:
    """(first names, last name) of each author (or editor) of a BibTeX entry, in plain text.

    ``"Yifei Wang and Tolga Ergen"`` and ``"Wang, Yifei and Ergen, Tolga"`` both give
    ``[("Yifei", "Wang"), ("Tolga", "Ergen")]``; a braced last name (``{van der Berg}``) is kept whole.
    """
    names = []
    for raw in re.split(r"\s+and\s+", entry.get("author") or entry.get("editor") or ""):
        raw = raw.strip()
        if not raw:
            continue
        if "," in raw:
            last, first = (s.strip() for s in raw.split(",", 1))
        else:
            m = re.match(r"^(.*?)\s*(\{[^{}]*\}|\S+)$", raw)
            first, last = (m.group(1), m.group(2)) if m else ("", raw)
        names.append((clean_latex_text(first), clean_latex_text(last)))
    return names


def _short_authors(entry: dict[str, str]) -> str:
    last = [name[1] for name in author_names(entry)] or ["Anonymous"]
    if len(last) == 1:
        return last[0]
    return f"{last[0]} and {last[1]}" if len(last) == 2 else f"{last[0]} et al."


_TEXTUAL = ("cite:t", "cite:ts", "cite:ct", "cite:cts")


def citation_text(role: str, entries: list[dict[str, str]]) -> str:
    """The text of a citation role for the given entries, in the website's author-year style.

    Parameters
    ----------
    role : str
        ``"cite:p"`` (or ``"cite"``, ``"cite:ps"``, ...): parenthetical, ``(Wang et al., 2023; Boyd and
        Vandenberghe, 2004)``; ``"cite:t"`` (``"cite:ts"``, ...): textual, ``Wang et al. (2023)``;
        ``"cite:year"``: ``2023``; ``"cite:yearpar"``: ``(2023)``.
    entries : list of dict
        The cited BibTeX entries (:func:`parse_bibtex`), in the role's order.

    Returns
    -------
    str
    """
    parts = []
    for entry in entries:
        who, year = _short_authors(entry), clean_latex_text(entry.get("year", "n.d."))
        parts.append(year if role in ("cite:year", "cite:yearpar") else f"{who} ({year})" if role in _TEXTUAL
                     else f"{who}, {year}")
    if role in (*_TEXTUAL, "cite:year"):
        return ", ".join(parts)
    return "(" + "; ".join(parts) + ")"


def reference_entry(entry: dict[str, str]) -> str:
    """One entry of a references list in plain Markdown, e.g. ``Yifei Wang, Tolga Ergen, and Mert Pilanci.
    Parallel Deep Neural Networks Have Zero Duality Gap. In *The Eleventh International Conference on Learning
    Representations (ICLR)*. 2023. <https://openreview.net/...>``."""
    people = [" ".join(p for p in name if p) for name in author_names(entry)]
    if len(people) <= 2:
        authors = " and ".join(people)
    else:
        authors = ", ".join(people[:-1]) + ", and " + people[-1]
    f = {k: clean_latex_text(v) for k, v in entry.items() if k != "ENTRYTYPE"}
    kind = entry.get("ENTRYTYPE", "misc")
    title = f"*{f.get('title', '')}*" if kind == "book" else f.get("title", "")
    if kind == "article":
        venue = f"*{f.get('journal', '')}*" + (f", {f['volume']}" if "volume" in f else "") \
            + (f"({f['number']})" if "number" in f else "") + (f":{f['pages']}" if "pages" in f else "")
    elif kind in ("inproceedings", "incollection", "conference"):
        venue = f"In *{f.get('booktitle', '')}*" + (f", pages {f['pages']}" if "pages" in f else "")
    else:
        venue = f.get("publisher") or f.get("howpublished") or f.get("note") or f.get("institution") or ""
    text = ". ".join(p.rstrip(".") for p in (authors, title, venue) if p) + f". {f.get('year', 'n.d.')}."
    if "doi" in f:
        return text + f" <https://doi.org/{f['doi']}>"
    return text + (f" <{f['url']}>" if "url" in f else "")


def reference_order(key: str, entry: dict[str, str]) -> tuple[str, str, str]:
    """Sort key of a references list: first author's last name, year, key."""
    names = author_names(entry)
    return (names[0][1].lower() if names else "", entry.get("year", ""), key)
