"""Deep linear networks as flat parameter vectors, for the augmented-Lagrangian trainer (internal).

:class:`Net` maps a flat vector to the layers of a standard, parallel or partially parallel network and gives
the weight penalty with its gradient and the interpolation residual ``X net - Y`` with its vector-Jacobian
product (analytic, batched over branches).
"""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


def chain(H, mats):
    """The product ``H M_1 M_2 ...`` (batched over a leading branch axis when the matrices have one)."""
    for M in mats:
        H = H @ M
    return H


# ------------------------------------------------------------------------------------ network layout
def layout(arch, d, k, L, m, K, s, penalty):
    """Return (shared, branch) lists of (shape, kind); kind in {"sq", "pow", "sphere"}."""
    free = "sq" if penalty == "weight_decay" else "pow"
    if arch == "standard":
        dims = [d] + [m] * (L - 1) + [k]
        return [((dims[i], dims[i + 1]), free) for i in range(L)], []
    if arch == "parallel":
        dims = [d] + [m] * (L - 2) + [1, k]
        return [], [((K, dims[i], dims[i + 1]), free) for i in range(L)]
    # partial: s shared scaled layers, then per branch scaled layers s+1..L-2, a vector and an output row
    dims = [d] + [m] * (L - 2) + [1, k]
    shared = [((dims[i], dims[i + 1]), "sphere") for i in range(s)]
    branch = [((K, dims[i], dims[i + 1]), "sphere") for i in range(s, L - 2)]
    branch += [((K, dims[L - 2], 1), "sq"), ((K, 1, k), "sq")]
    return shared, branch


def fro(W):
    """Frobenius norm per branch (keepdims) for 3-D arrays, a scalar for 2-D."""
    return np.sqrt(np.sum(W * W, axis=(-2, -1), keepdims=True))


class Net:
    def __init__(self, X, Y, L, shared, branch, t):
        self.X, self.Y, self.L, self.t = X, Y, L, t
        self.specs = shared + branch
        self.n_shared = len(shared)
        self.shapes = [sh for sh, _ in self.specs]
        self.kinds = [kd for _, kd in self.specs]
        self.sizes = [int(np.prod(sh)) for sh in self.shapes]

    def unpack(self, x):
        out, i = [], 0
        for sh, size in zip(self.shapes, self.sizes, strict=True):
            out.append(x[i:i + size].reshape(sh))
            i += size
        return out

    def weights(self, x):
        """Actual layer weights (sphere layers mapped to norm exactly t)."""
        return [self.t * V / fro(V) if kd == "sphere" else V
                for V, kd in zip(self.unpack(x), self.kinds, strict=True)]

    def objective(self, x):
        f, grads = 0.0, []
        for V, kd in zip(self.unpack(x), self.kinds, strict=True):
            if kd == "sq":
                f += 0.5 * float(np.sum(V * V))
                grads.append(V)
            elif kd == "pow":
                nrm = fro(V)
                f += float(np.sum(nrm ** self.L)) / self.L
                grads.append(nrm ** (self.L - 2) * V)
            else:
                grads.append(np.zeros_like(V))
        return f, np.concatenate([g.ravel() for g in grads])

    def constraint(self, x):
        Vs = self.unpack(x)
        Ws = self.weights(x)
        S, B = Ws[:self.n_shared], Ws[self.n_shared:]
        pre = [self.X]
        for M in S:
            pre.append(pre[-1] @ M)
        H = pre[-1]
        if B:
            q = len(B)
            P = [None] * (q + 1)  # P[i] = B[0] @ ... @ B[i-1] (batched over branches); P[0] = identity
            Q = [None] * (q + 1)  # Q[i] = B[i] @ ... @ B[q-1]; Q[q] = identity
            P[1] = B[0]
            for i in range(2, q + 1):
                P[i] = P[i - 1] @ B[i - 1]
            Q[q - 1] = B[q - 1]
            for i in range(q - 2, -1, -1):
                Q[i] = B[i] @ Q[i + 1]
            Mb = P[q].sum(axis=0)
            out = H @ Mb
        else:
            out = H
        c = out - self.Y

        def vjp(V):
            grads = [None] * len(Ws)
            if B:
                G = H.T @ V
                for i in range(q):  # layer B[i]: prefix P[i] = B[0..i-1], suffix Q[i+1] = B[i+1..q-1]
                    left = G[None] if P[i] is None else np.swapaxes(P[i], 1, 2) @ G
                    g = left if Q[i + 1] is None else left @ np.swapaxes(Q[i + 1], 1, 2)
                    grads[self.n_shared + i] = np.broadcast_to(g, B[i].shape)
                dH = V @ Mb.T
            else:
                dH = V
            suffix = None  # S_{i+1}...S_s
            for i in range(self.n_shared - 1, -1, -1):
                right = dH if suffix is None else dH @ suffix.T
                grads[i] = pre[i].T @ right
                suffix = S[i] if suffix is None else S[i] @ suffix
            flat = []
            for g, Vr, kd in zip(grads, Vs, self.kinds, strict=True):
                if kd == "sphere":
                    nrm = fro(Vr)
                    u = Vr / nrm
                    g = (self.t / nrm) * (g - np.sum(g * u, axis=(-2, -1), keepdims=True) * u)
                flat.append(np.asarray(g).ravel())
            return np.concatenate(flat)

        return c, vjp
