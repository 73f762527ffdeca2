"""Neurons from a solution of the two-layer convex program (chapter 01 of the book), for
:meth:`utils.relu.two_layer.TwoLayerConvexResult.network`.

Private module: no validation, arrays only.
"""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


def _merge_and_prune(U, s, c, F):
    """Merge neurons of one sign and (to 1e-6) one direction, then remove neurons while the columns
    ``(s_j (X u_j)_+, 1)`` are linearly dependent, moving along a null vector until a magnitude hits zero
    (Caratheodory): output and cost ``sum c`` are unchanged, at most n + 1 neurons remain."""
    order = np.lexsort((*U.T, s))
    U, s, c, F = U[order], s[order], c[order], F[:, order]
    merged = [0]
    for j in range(1, c.size):
        i = merged[-1]
        if s[i] == s[j] and np.linalg.norm(U[i] - U[j]) < 1e-6:
            c[i] += c[j]
        else:
            merged.append(j)
    U, s, c, F = U[merged], s[merged], c[merged], F[:, merged]
    while c.size > 1:
        A = np.vstack([F, np.ones(c.size)])
        _, sv, vt = np.linalg.svd(A)
        rank = int(np.sum(sv > 1e-10 * sv[0]))
        if rank >= c.size:
            break
        lam = vt[-1]
        if lam.max() <= 0:
            lam = -lam
        pos = lam > 0
        step = np.min(c[pos] / lam[pos])
        c = c - step * lam
        alive = c > 1e-14 * c.max()
        U, s, c, F = U[alive], s[alive], c[alive], F[:, alive]
    return U, s, c, F


def neurons_from_blocks(X: np.ndarray, v: np.ndarray, w: np.ndarray, fitted: np.ndarray, tol: float,
                        prune: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(W1 (d, m), w2 (m,))`` from the blocks ``v``, ``w`` (P, d) of a solution with output ``fitted`` (n,).

    Each block above ``tol * (largest block norm)`` gives the unit neuron ``u = block / ||block||`` with magnitude
    ``c = ||block||`` and sign + (v) or - (w); the magnitudes are then corrected by least squares so that the
    network reproduces ``fitted`` to rounding error, and the neuron is ``(sqrt(c) u, sign sqrt(c))``.
    """
    blocks = np.concatenate([v, w])
    signs = np.concatenate([np.ones(len(v)), -np.ones(len(w))])
    norms = np.linalg.norm(blocks, axis=1)
    keep = norms > tol * max(norms.max(initial=0.0), np.finfo(float).tiny)
    U, s, c = blocks[keep] / norms[keep, None], signs[keep], norms[keep]
    F = np.maximum(X @ U.T, 0.0) * s            # (n, m): signed features of the unit neurons
    if prune:
        U, s, c, F = _merge_and_prune(U, s, c, F)
    live = np.ones(c.size, dtype=bool)
    best_err = np.abs(fitted - F @ c).max(initial=0.0)
    for _ in range(3):              # correct the magnitudes; drop neurons the correction would flip
        if not live.any():
            break
        trial = np.where(live, c, 0.0)
        trial[live] += np.linalg.lstsq(F[:, live], fitted - F @ trial, rcond=1e-10)[0]
        err = np.abs(fitted - F @ trial).max()
        if np.all(trial[live] > 0):
            if err < best_err:
                c, live = trial, trial > 0
            break
        live &= trial > 0
    U, s, c = U[c > 0], s[c > 0], c[c > 0]
    root = np.sqrt(c)
    return (U * root[:, None]).T, s * root
