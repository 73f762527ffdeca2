"""Moving the sliders of the website's in-browser (Plotly) figures as a reader would, for ``tests/test_website.py``.

For the figures with their own update rule (stairs, gap versus depth, training runs) the drawn values are compared
with the closed forms, written out here with numpy (not with the ``utils`` functions the figures use). For the
generic kind ``precomputed`` (``utils.precomputed_figure``: ``layout.meta = {kind, shape, updates, alt}``) the drawn
traces and layout are compared with the stored update of the slider position, looked up here by the row-major
flat index of the slider indices (independently of the page's JavaScript).
"""

from __future__ import annotations

import math

import numpy as np


def _stairs(sigma: np.ndarray, L: int) -> np.ndarray:
    """``[P^2, ..., P^L]``, ``P^l = (L/2) ||A||_{S_{2/l}}^{2/L} = (L/2) (sum_i sigma_i^(2/l))^(l/L)``."""
    return np.array([0.5 * L * np.sum(sigma ** (2.0 / l)) ** (l / L) for l in range(2, L + 1)])


def expected_trace_values(kind: str, params: dict) -> list[np.ndarray]:
    """What ``utils.figures.interactive`` must show for these slider values, from the closed forms.

    The figures' singular values are ``sigma_i = exp(-decay (i - 1))``, i = 1..rank. The stairs figure plots
    ``P^2, ..., P^L``; the gap figure plots, for each depth L, ``D_lin = (L/2) (sum_i sigma_i)^(2/L)`` and
    ``P_lin = (L/2) sum_i sigma_i^(2/L)``.
    """
    if kind == "duality-stairs":
        sigma = np.exp(-params["decay"] * np.arange(params["rank"]))
        return [_stairs(sigma, params["L"])]
    if kind == "duality-gap-versus-depth":
        sigma = np.exp(-params["decay"] * np.arange(params["rank"]))
        depths = np.asarray(params["depths"], dtype=float)
        dual = 0.5 * depths * np.sum(sigma) ** (2.0 / depths)
        primal = 0.5 * depths * np.sum(sigma[None, :] ** (2.0 / depths[:, None]), axis=1)
        return [dual, primal]
    if kind == "training-runs":
        # the figure's data are the runs' relative gaps (layout.meta), drawn at max(gap, floor); NaN: diverged
        iw = [int(w) for w in params["widths"]].index(int(params["width"]))
        return [np.array([np.nan if v is None else max(v, params["floor"]) for v in per_width[iw]], dtype=float)
                for per_width in params["gaps"]]
    raise AssertionError(f"unknown interactive figure kind {kind!r}")


def assert_same(actual, expected, where: str) -> None:
    """``actual == expected`` for JSON values: numbers to 1e-12 (``None`` and NaN alike), lists elementwise."""
    if isinstance(expected, (list, tuple)):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r} != {expected!r}"
        for k, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{where}[{k}]")
    elif expected is None or (isinstance(expected, (int, float)) and not isinstance(expected, bool)):
        gap = expected is None or math.isnan(expected)
        ok = (actual is None or (isinstance(actual, float) and math.isnan(actual))) if gap else (
            isinstance(actual, (int, float)) and not isinstance(actual, bool)
            and math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-300))
        assert ok, f"{where}: drawn {actual!r}, stored {expected!r}"
    else:
        assert actual == expected, f"{where}: drawn {actual!r}, stored {expected!r}"


_FIGURE_STATE = """gd => ({
  y: gd.data.map(t => Array.from(t.y)),
  sliders: gd.layout.sliders.map(s => ({name: s.name, active: s.active || 0, labels: s.steps.map(st => st.label)})),
  depths: gd.layout.meta.depths,
  widths: gd.layout.meta.widths,
  gaps: gd.layout.meta.gaps,
  floor: gd.layout.meta.floor,
  title: gd.layout.title.text,
})"""

_PRECOMPUTED_TABLES = """gd => ({shape: gd.layout.meta.shape, updates: gd.layout.meta.updates,
  sliders: gd.layout.sliders.map(s => ({name: s.name, active: s.active || 0, labels: s.steps.map(st => st.label)}))})"""

# the drawn value of every attribute an update sets: trace attributes per trace, layout paths ("title.text")
_DRAWN = """(gd, [keys, paths]) => {
  const plain = v => ArrayBuffer.isView(v) ? Array.from(v) : Array.isArray(v) ? v.map(plain) : v;
  const get = (o, path) => path.split(/[.\\[\\]]+/).filter(Boolean).reduce((x, k) => x == null ? undefined : x[k], o);
  return {traces: gd.data.map(t => Object.fromEntries(keys.map(k => [k, plain(get(t, k))]))),
          layout: Object.fromEntries(paths.map(p => [p, plain(get(gd.layout, p))])),
          active: gd.layout.sliders.map(s => s.active || 0)};
}"""


def _move_slider(page, figure, k: int, target: int) -> None:
    """Click step ``target`` of slider ``k`` on its rail, as a reader would.

    Plotly draws a tick for every step (``rect.slider-tick-rect``) but labels only every few steps when they
    are many, so the click goes to the tick.
    """
    group = figure.locator("g.slider-container > g.slider-group").nth(k)
    rail = group.locator("rect.slider-rail-touch-rect").bounding_box()
    tick = group.locator("rect.slider-tick-rect").nth(target).bounding_box()
    page.mouse.click(tick["x"] + tick["width"] / 2, rail["y"] + rail["height"] / 2)


def _wait_active(page, figure, k: int, target: int) -> None:
    page.wait_for_function(
        "([gd, k, t]) => (gd.layout.sliders[k].active || 0) === t", arg=[figure.element_handle(), k, target]
    )


def precomputed_target(updates: list, shape: list[int], active: list[int], k: int) -> int | None:
    """A position of slider ``k`` whose stored update differs from the current one (3 or 1 steps on first)."""
    n = shape[k]
    current = updates[int(np.ravel_multi_index(active, shape))]
    order = [(active[k] + 3) % n, (active[k] + 1) % n] + list(range(n))
    for t in order:
        idx = list(active)
        idx[k] = t
        if t != active[k] and updates[int(np.ravel_multi_index(idx, shape))] != current:
            return t
    return None


def _assert_drawn_is_stored(drawn: dict, shape: list[int], updates: list, when: str) -> None:
    """The drawn traces and layout are the stored update of the sliders' position (row-major flat index)."""
    restyle, relayout = updates[int(np.ravel_multi_index(drawn["active"], shape))]
    for key, per_trace in restyle.items():
        for i, value in enumerate(per_trace):
            assert_same(drawn["traces"][i][key], value, f"precomputed: trace {i} {key} {when}")
    for path, value in relayout.items():
        assert_same(drawn["layout"][path], value, f"precomputed: layout {path} {when}")


def _check_precomputed_sliders(page, figure) -> list[str]:
    tables = figure.evaluate(_PRECOMPUTED_TABLES)
    shape, updates = tables["shape"], tables["updates"]
    assert len(updates) == math.prod(shape), f"precomputed: {len(updates)} updates for slider grid {shape}"
    keys = sorted({key for restyle, _ in updates for key in restyle})
    paths = sorted({path for _, relayout in updates for path in relayout})
    _assert_drawn_is_stored(figure.evaluate(_DRAWN, [keys, paths]), shape, updates,
                            "before any slider moved")  # fmt: skip
    moved = []
    for k, slider in enumerate(tables["sliders"]):
        before = figure.evaluate(_DRAWN, [keys, paths])
        target = precomputed_target(updates, shape, before["active"], k)
        assert target is not None, f"precomputed: slider {slider['name']} changes nothing at any position"
        _move_slider(page, figure, k, target)
        _wait_active(page, figure, k, target)
        drawn = figure.evaluate(_DRAWN, [keys, paths])
        _assert_drawn_is_stored(drawn, shape, updates, f"after moving {slider['name']}")
        changed = (drawn["traces"], drawn["layout"]) != (before["traces"], before["layout"])
        assert changed, f"precomputed: moving slider {slider['name']} did not change the plot"
        moved.append(f"{slider['name']} -> {slider['labels'][target]}")
    return moved


def check_all_sliders(page, figure, kind: str) -> list[str]:
    """Move every slider of ``figure`` once and check what is drawn; returns one line per move.

    Raises ``AssertionError`` when the drawing is not what it should be. (Console errors are recorded by the
    page, see ``website_visit.new_page``.)
    """
    figure.scroll_into_view_if_needed()
    page.wait_for_function("gd => gd._fullLayout", arg=figure.element_handle())
    if kind == "precomputed":
        return _check_precomputed_sliders(page, figure)
    before = figure.evaluate(_FIGURE_STATE)
    moved = []
    for k, slider in enumerate(before["sliders"]):
        target = (slider["active"] + (3 if len(slider["labels"]) > 3 else 1)) % len(slider["labels"])
        old_y = figure.evaluate(_FIGURE_STATE)["y"]
        _move_slider(page, figure, k, target)
        _wait_active(page, figure, k, target)
        state = figure.evaluate(_FIGURE_STATE)
        params = {s["name"]: float(s["labels"][s["active"]]) for s in state["sliders"]}
        params = {name: int(v) if name in ("L", "rank", "width") else v for name, v in params.items()}
        params.update(depths=state["depths"], widths=state["widths"], gaps=state["gaps"], floor=state["floor"])
        for i, expected in enumerate(expected_trace_values(kind, params)):
            np.testing.assert_allclose(
                np.array([np.nan if v is None else v for v in state["y"][i]], dtype=float),
                expected,
                rtol=1e-12,
                err_msg=f"{kind}: trace {i} after moving {slider['name']}",
            )
        assert state["y"] != old_y, f"{kind}: moving slider {slider['name']} did not change the plot"
        moved.append(f"{slider['name']} -> {slider['labels'][target]}: {state['title']}")
    return moved
