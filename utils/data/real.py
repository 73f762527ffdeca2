"""Real regression data that ship inside scikit-learn, standardised for the book's experiments.

Two bundled data sets are available (read from files installed with scikit-learn; nothing is downloaded):

* ``"diabetes"``: 442 patients, 10 baseline features (age, sex, bmi, bp, s1..s6), one label: a measure of disease
  progression one year later (Efron et al., *Least angle regression*, 2004);
* ``"linnerud"``: 20 middle-aged men, 3 exercise features (Chins, Situps, Jumps), 3 physiological labels
  (Weight, Waist, Pulse) (Tenenhaus, 1998): a multi-output task.

**Standardisation.** The raw values (scikit-learn's ``scaled=False`` diabetes features) are used. After the rows
are chosen, every feature column and every label column is centred and divided by its standard deviation over
those rows (the population standard deviation, ``ddof = 0``), so each column has mean 0 and ``(1/n) sum_j z_j^2
= 1``; ``bias=True`` then appends a column of ones, and ``whiten=True`` replaces the standardised features ``F`` by
``F C^{-1/2}``, ``C = F^T F / n`` their correlation matrix (ZCA whitening: then ``X^T X = n I``, and every
column still has mean 0 and standard deviation 1). Standardising makes the weight decay ``beta`` mean the same
for every data set (labels of unit variance) and the loaded data do not depend on the units of the raw files.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .._validation import as_matrix, check_count, check_seed

__all__ = ["REAL_DATASETS", "RealDataset", "standardise", "load_real_dataset"]

#: Names accepted by :func:`load_real_dataset`.
REAL_DATASETS = ("diabetes", "linnerud")


@dataclass(frozen=True)
class RealDataset:
    """A standardised real data set (module doc).

    Attributes
    ----------
    name : str
        ``"diabetes"`` or ``"linnerud"``.
    X : ndarray, shape (n, d)
        Standardised (optionally whitened) features, then the bias column of ones when ``bias=True``.
    y : ndarray, shape (n,) or (n, k)
        Standardised labels: a vector for one label, a matrix for several.
    feature_names : tuple of str
        One name per column of ``X`` (the bias column is ``"bias"``).
    target_names : tuple of str
        One name per label column.
    rows : ndarray of int, shape (n,)
        Indices of the rows used, in the raw data set (ascending).
    x_mean, x_std : ndarray, shape (d0,)
        Mean and standard deviation of the raw features used (``d0`` features, without the bias column).
    y_mean, y_std : ndarray, shape (k,)
        The same for the labels: ``raw label = y_mean + y_std * y``.
    whitening : ndarray, shape (d0, d0), or None
        ``C^{-1/2}`` when the features were whitened (``X[:, :d0] = standardised @ whitening``).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple
    target_names: tuple
    rows: np.ndarray
    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: np.ndarray
    y_std: np.ndarray
    whitening: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        """Number of rows n."""
        return int(self.X.shape[0])


def standardise(A) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre every column and divide it by its standard deviation (``ddof = 0``).

    Parameters
    ----------
    A : array_like, shape (n, p) or (n,)
        Columns to standardise (a vector is one column).

    Returns
    -------
    Z : ndarray, shape of ``A``
        ``(A - mean) / std``: every column has mean 0 and ``(1/n) sum_j Z_jc^2 = 1``.
    mean : ndarray, shape (p,)
    std : ndarray, shape (p,)
        ``sqrt((1/n) sum_j (A_jc - mean_c)^2)``.

    Raises
    ------
    ValueError
        Fewer than two rows, NaN/inf, or a constant column (standard deviation 0 up to rounding).
    """
    vector = np.ndim(A) == 1
    M = as_matrix("A", A, allow_vector=True)
    if M.shape[0] < 2:
        raise ValueError(f"standardising needs at least two rows, got {M.shape[0]}")
    mean = M.mean(axis=0)
    centred = M - mean
    std = np.sqrt(np.mean(centred * centred, axis=0))
    flat = std <= 1e-12 * np.maximum(np.abs(mean), 1.0)
    if np.any(flat):
        raise ValueError(f"column(s) {np.flatnonzero(flat).tolist()} are constant: they cannot be standardised")
    Z = centred / std
    return (Z[:, 0] if vector else Z), mean, std


@functools.cache
def _raw(name: str) -> tuple[np.ndarray, np.ndarray, tuple, tuple]:
    """Raw features, raw labels (n, k) and names of a bundled data set (read-only arrays, cached)."""
    from sklearn import datasets  # deferred: scikit-learn is needed only to load data

    if name == "diabetes":
        bunch = datasets.load_diabetes(scaled=False)
        data, target, targets = bunch.data, bunch.target[:, None], ("progression",)
    else:
        bunch = datasets.load_linnerud()
        data, target, targets = bunch.data, bunch.target, tuple(bunch.target_names)
    data = np.array(data, dtype=float)
    target = np.array(target, dtype=float)
    data.flags.writeable = False
    target.flags.writeable = False
    return data, target, tuple(bunch.feature_names), targets


def _pick(kind: str, wanted, available: tuple) -> list[int]:
    if wanted is None:
        return list(range(len(available)))
    if isinstance(wanted, str):
        wanted = [wanted]
    wanted = list(wanted)
    unknown = [w for w in wanted if w not in available]
    if unknown or not wanted:
        raise ValueError(f"unknown or no {kind} {unknown}: choose from {list(available)}")
    if len(set(wanted)) != len(wanted):
        raise ValueError(f"{kind} must be distinct, got {wanted}")
    return [available.index(w) for w in wanted]


def _inverse_sqrt(C: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(C)
    if vals.min() <= 1e-10 * vals.max():
        raise ValueError("the features are (nearly) collinear: they cannot be whitened")
    return (vecs / np.sqrt(vals)) @ vecs.T


def load_real_dataset(name: str, features=None, targets=None, *, n_samples: int | None = None, seed=0,
                      bias: bool = False, whiten: bool = False) -> RealDataset:
    """Load a bundled real regression data set, standardised (module doc).

    Parameters
    ----------
    name : {"diabetes", "linnerud"}
    features : str, list of str or None
        Feature columns to keep, in this order (None: all). Diabetes: ``age, sex, bmi, bp, s1, ..., s6``;
        linnerud: ``Chins, Situps, Jumps``.
    targets : str, list of str or None
        Label columns (None: all). Diabetes: ``progression``; linnerud: ``Weight, Waist, Pulse``.
    n_samples : int or None
        Keep a random subset of this many rows (drawn without replacement from ``seed``, kept in ascending
        order), standardised on its own; None keeps every row.
    seed : int, Generator or None
        Seed of the row subset (unused when ``n_samples`` is None).
    bias : bool
        Append a column of ones (a bias input: with one feature, ``X = [x, 1]`` has rank 2).
    whiten : bool
        Decorrelate the standardised features (``X^T X = n I`` before the bias column).

    Returns
    -------
    RealDataset
        Deterministic: the same arguments give the same arrays.

    Raises
    ------
    ValueError
        Unknown data set, feature or label; ``n_samples`` below 2 or above the number of rows; a constant column
        (e.g. a subset in which a feature takes one value) or collinear features with ``whiten=True``.
    """
    if name not in REAL_DATASETS:
        raise ValueError(f"unknown data set {name!r}: choose from {list(REAL_DATASETS)}")
    if not isinstance(bias, (bool, np.bool_)) or not isinstance(whiten, (bool, np.bool_)):
        raise TypeError(f"bias and whiten must be True or False, got {bias!r} and {whiten!r}")
    data, target, feature_names, target_names = _raw(name)
    cols = _pick("features", features, feature_names)
    tcols = _pick("targets", targets, target_names)
    n_all = data.shape[0]
    if n_samples is None:
        rows = np.arange(n_all)
    else:
        n_samples = check_count("n_samples", n_samples, 2, n_all)
        rows = np.sort(check_seed(seed).choice(n_all, size=n_samples, replace=False))
    F, x_mean, x_std = standardise(data[np.ix_(rows, cols)])
    Y, y_mean, y_std = standardise(target[np.ix_(rows, tcols)])
    names = tuple(feature_names[c] for c in cols)
    whitening = None
    if whiten:
        whitening = _inverse_sqrt(F.T @ F / F.shape[0])
        F = F @ whitening
    if bias:
        F = np.hstack([F, np.ones((F.shape[0], 1))])
        names += ("bias",)
    return RealDataset(name=name, X=F, y=Y[:, 0] if Y.shape[1] == 1 else Y, feature_names=names,
                       target_names=tuple(target_names[c] for c in tcols), rows=rows, x_mean=x_mean, x_std=x_std,
                       y_mean=y_mean, y_std=y_std, whitening=whitening)
