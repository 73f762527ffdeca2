"""Layout and accessibility measurements of a website page, run in the browser by ``tests/test_website.py``.

* :data:`OVERFLOW_JS` lists every display equation, output, table, image or Plotly figure of the text column
  whose content is wider than its box (``scrollWidth > clientWidth + 1``) or that sticks out of the column, and
  whether the page itself scrolls sideways.
* :data:`AXE_RUN_JS` runs axe-core (WCAG 2.1 A and AA rules) and marks the nodes that a known, documented
  finding of the theme or of Sphinx explains (:data:`KNOWN_FINDINGS`); :func:`failing` keeps what the book
  must fix: every critical violation and every violation of :data:`FAILING_RULES`.
"""

from __future__ import annotations

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_RULES = frozenset({"image-alt", "aria-input-field-name", "color-contrast", "link-name"})
LIGHT = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"], "elementRef": True}
# dark mode changes colours only: its run is the contrast rule alone
DARK = {"runOnly": {"type": "rule", "values": ["color-contrast"]}, "resultTypes": ["violations"], "elementRef": True}
# Code input cells hold thousands of Pygments token spans, coloured by the theme's accessible Pygments styles
# (the same on every page): axe checks them on THEME_PAGE only, which keeps the run within the time budget.
CODE_INPUT = ".cell_input .highlight"

# Findings of the theme, Sphinx, docutils or myst-nb that the book cannot fix from its sources or its CSS:
# (rule id, CSS selector of the nodes, why). The first is critical (it would fail the test); the others are in
# rules that do not fail it and are listed so that findings.json tells them apart from the book's own. Each must
# still match something (a test checks it), so that a finding fixed upstream is removed from this list.
KNOWN_FINDINGS = [
    ("aria-required-children", "div.citation-list[role=list]",
     "docutils' HTML writer (the bibliography page of sphinxcontrib-bibtex) writes the references as a "
     "role='list' whose entries have the ARIA role doc-biblioentry, deprecated in ARIA 1.2, which axe does not "
     "accept as list items (critical)"),
    ("aria-deprecated-role", "div.citation[role=doc-biblioentry]",
     "the same entries: docutils' role doc-biblioentry is deprecated in ARIA 1.2 (minor)"),
    ("label-content-name-mismatch", "button.search-button__button",
     "pydata-sphinx-theme: the search button's aria-label 'Search' omits its visible text (the shortcut Ctrl+K)"),
    ("label-content-name-mismatch", "button.theme-switch-button",
     "pydata-sphinx-theme: the colour-mode button's aria-label 'Color mode' omits its visible (hidden-icon) text"),
    ("label-content-name-mismatch", 'details > summary[aria-label="Toggle hidden content"]',
     "myst-nb: a hidden code cell's summary shows 'Show code cell source' but is labelled 'Toggle hidden content'"),
]  # fmt: skip

OPEN_HIDDEN_JS = """() => {
  // what a reader can open (solutions, hidden code, dropdowns) is measured and checked open, without animation
  const style = document.createElement("style");
  style.textContent = "*, *::before, *::after { transition: none !important; animation: none !important; }";
  document.head.appendChild(style);
  document.querySelectorAll(".toggle-hidden").forEach(e => e.classList.remove("toggle-hidden"));
  document.querySelectorAll("details").forEach(d => { d.open = true; });
}"""

OVERFLOW_JS = r"""() => {
  const column = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const cs = getComputedStyle(column), box = column.getBoundingClientRect();
  const left = box.left + parseFloat(cs.paddingLeft), right = box.right - parseFloat(cs.paddingRight);
  const tex = e => {
    try { const items = MathJax.startup.document.getMathItemsWithin(e); return items.length ? String(items[0].math) : ""; }
    catch (err) { return ""; }
  };
  const text = e => (tex(e) || e.getAttribute("aria-label") || e.getAttribute("alt") || e.textContent ||
                     e.getAttribute("src") || "").replace(/\s+/g, " ").trim().slice(0, 80);
  const section = e => { const s = e.closest("section[id]"); return s ? " in section #" + s.id : ""; };
  const name = e => (e.tagName === "MJX-CONTAINER" ? "equation" : e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
                     Array.from(e.classList).slice(0, 2).map(c => "." + c).join("")) + section(e);
  const WIDE = 'mjx-container[display="true"], div.math, .cell_output pre, .cell_output table, ' +
               '.cell_output .plotly-graph-div, .pst-scrollable-table-container, .table-wrapper';
  const BOXES = WIDE + ', .cell_output img, article img, article table';
  const found = new Map();
  column.querySelectorAll(WIDE).forEach(e => {
    if (e.getClientRects().length && e.scrollWidth > e.clientWidth + 1) {
      found.set(e, {element: name(e), scrollWidth: e.scrollWidth, clientWidth: e.clientWidth, text: text(e)});
    }
  });
  column.querySelectorAll(BOXES).forEach(e => {
    const r = e.getBoundingClientRect();
    if (!found.has(e) && r.width > 0 && (r.right > right + 1 || r.left < left - 1)) {
      found.set(e, {element: name(e) + " (sticks out of the text column)", scrollWidth: Math.round(r.width),
                    clientWidth: Math.round(right - left), text: text(e)});
    }
  });
  const elements = Array.from(found.keys());
  // keep the innermost: an equation, not also the div.math around it
  const innermost = elements.filter(e => !elements.some(o => o !== e && e.contains(o)));
  const root = document.documentElement;
  return {elements: innermost.map(e => found.get(e)),
          page: {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth}};
}"""

# MathJax's output is drawn in the colour of the text around it (whose contrast axe checks) and carries its
# own accessible MathML; it is 60-90% of a chapter's nodes and makes axe 5-10 times slower, so it is replaced
# by empty spans before axe runs (after the layout was measured).
STRIP_MATH_JS = """() => document.querySelectorAll("mjx-container").forEach(m => m.replaceWith(document.createElement("span")))"""

DARK_MODE_JS = """() => {
  document.documentElement.dataset.theme = "dark";
  document.documentElement.dataset.mode = "dark";
  const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;  // brightness of the page background, 0..255
}"""

AXE_RUN_JS = """async ([context, options, known]) => {
  const result = await axe.run(context, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({
      target: n.target.map(String).join(" "),
      impact: n.impact,
      html: n.html.replace(/\\s+/g, " ").slice(0, 160),
      summary: (n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 240),
      known: known.findIndex(([rule, selector]) => rule === v.id && n.element && n.element.matches(selector)),
    })),
  }));
}"""


def axe_context(theme_page: bool) -> dict:
    """The axe context: the whole page, without the code input cells except on the page that checks them."""
    return {"exclude": [] if theme_page else [[CODE_INPUT]]}


def known_findings() -> list[list[str]]:
    """``[rule, selector]`` pairs for :data:`AXE_RUN_JS`."""
    return [[rule, selector] for rule, selector, _why in KNOWN_FINDINGS]


def failing(violations: list[dict]) -> list[str]:
    """One line per node that fails the test: critical, or a rule of :data:`FAILING_RULES`, and not known."""
    lines = []
    for v in violations:
        for n in v["nodes"]:
            if n["known"] < 0 and (v["id"] in FAILING_RULES or (n["impact"] or v["impact"]) == "critical"):
                lines.append(f"{v['id']} [{n['impact'] or v['impact']}] {n['target']}: {n['summary']} -- {n['html']}")
    return lines


def used_findings(violations: list[dict]) -> set[int]:
    """Indices into :data:`KNOWN_FINDINGS` that explain at least one node of ``violations``."""
    return {n["known"] for v in violations for n in v["nodes"] if n["known"] >= 0}


def overflow_lines(docname: str, overflow: dict) -> list[str]:
    """One line per overflowing element (and one if the page scrolls sideways)."""
    lines = [f"{docname}: {e['element']} content {e['scrollWidth']} px > box {e['clientWidth']} px: {e['text']!r}"
             for e in overflow["elements"]]  # fmt: skip
    page = overflow["page"]
    if page["scrollWidth"] > page["clientWidth"]:
        lines.append(f"{docname}: the page scrolls sideways ({page['scrollWidth']} px > {page['clientWidth']} px)")
    return lines
