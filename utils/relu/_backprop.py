"""Internals of the deep ReLU trainers: stacked parameters, forward pass, backpropagation, penalties,
random initialisation, and an augmented-Lagrangian loop that survives L-BFGS line-search failures at ReLU kinks.

Internal representation ("params", a list of arrays):

* standard: ``[W1 (d, m1), ..., W_L (m_{L-1}, k)]``;
* parallel: ``[W1 (K, d, m1), ..., W_{L-2} (K, m_{L-3}, m_{L-2}), w_{L-1} (K, m_{L-2}), w_L (K, k)]``
  (branches stacked along axis 0, so that all branches are computed with one matmul per layer).

Public wrappers with validation live in :mod:`utils.relu.deep_training`.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_matrix

__all__: list[str] = []

def _to_params(weights, architecture: str) -> list[np.ndarray]:
    """Validate public ``weights`` (see module docstring) and return the internal stacked params."""
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)) or len(weights) == 0:
        raise TypeError("weights must be a non-empty list (of layer matrices, or of branches for 'parallel')")
    if architecture == "standard":
        params = [as_matrix(f"weights[{i}]", W) for i, W in enumerate(weights)]
        if len(params) < 2:
            raise ValueError("a standard network needs at least 2 weight matrices (L >= 2)")
        for i in range(1, len(params)):
            if params[i].shape[0] != params[i - 1].shape[1]:
                raise ValueError(f"weights[{i}] has {params[i].shape[0]} rows but weights[{i - 1}] has "
                                 f"{params[i - 1].shape[1]} columns: consecutive layers must match")
        return params
    branches = []
    for j, br in enumerate(weights):
        if isinstance(br, np.ndarray) or not isinstance(br, (list, tuple)) or len(br) < 2:
            raise TypeError(f"weights[{j}] must be a branch: a list [W1, ..., w_(L-1), w_L] of >= 2 arrays")
        mats = [as_matrix(f"weights[{j}][{i}]", W) for i, W in enumerate(br[:-2])]
        vecs = [np.asarray(v, dtype=float) for v in br[-2:]]
        for i, v in zip((len(br) - 2, len(br) - 1), vecs, strict=True):
            if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
                raise ValueError(f"weights[{j}][{i}] must be a finite non-empty 1-D array, got shape {v.shape}")
        layers = mats + vecs
        dims_in = [a.shape[0] for a in layers[:-1]]
        dims_out = [br0.shape[1] for br0 in mats]
        for i in range(1, len(layers) - 1):
            if dims_in[i] != dims_out[i - 1]:
                raise ValueError(f"weights[{j}][{i}] has {dims_in[i]} rows but the previous layer has "
                                 f"{dims_out[i - 1]} outputs")
        branches.append(layers)
    shapes = [[a.shape for a in br] for br in branches]
    if any(s != shapes[0] for s in shapes):
        raise ValueError("all branches of a parallel network must have the same layer shapes")
    return [np.stack([br[i] for br in branches]) for i in range(len(branches[0]))]


def _from_params(params: list[np.ndarray], architecture: str) -> list:
    if architecture == "standard":
        return [p.copy() for p in params]
    K = params[0].shape[0]
    return [[p[j].copy() for p in params] for j in range(K)]


def _forward(X: np.ndarray, params: list[np.ndarray], architecture: str):
    """Forward pass; returns (output (n, k), cache for the backward pass)."""
    if architecture == "standard":
        Zs, Hs = [], [X]
        for W in params[:-1]:
            Z = Hs[-1] @ W
            Zs.append(Z)
            Hs.append(np.maximum(Z, 0.0))
        return Hs[-1] @ params[-1], (Zs, Hs)
    mats, w_last, w_out = params[:-2], params[-2], params[-1]
    Zs, Hs = [], [X]
    for W in mats:  # (K, m_prev, m): X (n, d) @ (K, d, m) broadcasts to (K, n, m)
        Z = Hs[-1] @ W
        Zs.append(Z)
        Hs.append(np.maximum(Z, 0.0))
    if mats:
        z = np.einsum("bnm,bm->bn", Hs[-1], w_last)
    else:
        z = np.einsum("nd,bd->bn", X, w_last)
    phi = np.maximum(z, 0.0)
    return np.einsum("bn,bk->nk", phi, w_out), (Zs, Hs, z, phi)


def _backward(V: np.ndarray, params: list[np.ndarray], cache, architecture: str) -> list[np.ndarray]:
    """``J^T V`` for the output map, V of shape (n, k); returns gradients shaped like ``params``."""
    grads = [None] * len(params)
    if architecture == "standard":
        Zs, Hs = cache
        G = V
        grads[-1] = Hs[-1].T @ G
        G = G @ params[-1].T
        for l in range(len(params) - 2, -1, -1):
            G = G * (Zs[l] > 0)
            grads[l] = Hs[l].T @ G
            if l > 0:
                G = G @ params[l].T
        return grads
    Zs, Hs, z, phi = cache
    mats, w_last, w_out = params[:-2], params[-2], params[-1]
    grads[-1] = np.einsum("bn,nk->bk", phi, V)
    gz = np.einsum("nk,bk->bn", V, w_out) * (z > 0)
    if not mats:
        grads[-2] = np.einsum("nd,bn->bd", Hs[0], gz)
        return grads
    grads[-2] = np.einsum("bnm,bn->bm", Hs[-1], gz)
    G = gz[:, :, None] * w_last[:, None, :]
    for l in range(len(mats) - 1, -1, -1):
        G = G * (Zs[l] > 0)
        grads[l] = (Hs[0].T @ G) if l == 0 else np.swapaxes(Hs[l], 1, 2) @ G
        if l > 0:
            G = G @ np.swapaxes(mats[l], 1, 2)
    return grads


def _penalty(params: list[np.ndarray], architecture: str, penalty: str, L: int):
    """(value, gradients) of the penalty on internal params."""
    if penalty == "weight_decay":
        return 0.5 * sum(float(np.sum(p * p)) for p in params), [p.copy() for p in params]
    value, grads = 0.0, []
    for p in params:
        if architecture == "standard":
            nrm = float(np.linalg.norm(p))
            value += nrm ** L / L
            grads.append(nrm ** (L - 2) * p)
        else:
            axes = tuple(range(1, p.ndim))
            nrm = np.sqrt(np.sum(p * p, axis=axes))  # one norm per branch
            value += float(np.sum(nrm ** L)) / L
            grads.append((nrm ** (L - 2)).reshape((-1,) + (1,) * (p.ndim - 1)) * p)
    return value, grads


def _shapes(d: int, k: int, L: int, architecture: str, widths: list[int], K: int):
    if architecture == "standard":
        dims = [d] + widths + [k]
        return [(dims[i], dims[i + 1]) for i in range(L)]
    dims = [d] + widths
    shapes = [(K, dims[i], dims[i + 1]) for i in range(L - 2)]
    return shapes + [(K, dims[-1]), (K, k)]


def _alive(X: np.ndarray, params: list[np.ndarray], architecture: str) -> bool:
    """True when every sample activates at least one unit of every hidden layer (of some branch)."""
    _, cache = _forward(X, params, architecture)
    if architecture == "standard":
        return all(bool(np.all(np.any(Z > 0, axis=1))) for Z in cache[0])
    return bool(np.all(np.any(cache[3] > 0, axis=0)))


def _random_params(rng, X, Y, L, architecture, widths, K, attempts: int = 50):
    """Gaussian (variance 1/fan_in) weights with no dead sample, rescaled (equally over the layers) so that
    the output has the norm of Y."""
    d, k = X.shape[1], Y.shape[1]
    shapes = _shapes(d, k, L, architecture, widths, K)
    if architecture == "standard":
        fan_in = [s[0] for s in shapes]
    else:  # matrices (K, a, b): a inputs; w_{L-1} (K, m): m inputs; w_L (K, k): one input (phi)
        fan_in = [s[1] for s in shapes[:-2]] + [shapes[-2][1], 1]
    for _ in range(attempts):
        params = [rng.standard_normal(s) / np.sqrt(f) for s, f in zip(shapes, fan_in, strict=True)]
        nrm = np.linalg.norm(_forward(X, params, architecture)[0])
        if nrm > 1e-8 and _alive(X, params, architecture):
            break
    y_norm = np.linalg.norm(Y)
    scale = (y_norm / nrm) ** (1.0 / L) if y_norm > 0 and nrm > 1e-8 else 0.1
    return [p * scale for p in params]


