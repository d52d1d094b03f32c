"""VQ-kernels: the Hamming geometry of activation patterns (Roddenberry et al., "VQ-Kernels").

Hidden layer ``l`` of a ReLU MLP cuts its input by ``D_l`` hyperplanes; the sign pattern
``s_l(x) in {-1, +1}^{D_l}`` of its pre-activation says on which side of each one ``x`` lies. The VQ
distance is the weighted sum of per-layer Hamming distances

    d(x, y) = sum_l w_l * #{j : s_l(x)_j != s_l(y)_j},     w_l = 1 by default,

a pseudodistance (0 inside one linear region). With +/-1 codes the Hamming distance of layer ``l`` is
``(D_l - <s_l(x), s_l(y)>) / 2``, so a whole (n, m) kernel is one matrix product.

Also here: heat kernels of a distance matrix (both forms the paper writes), their cosine similarity,
classical MDS (and its exact shortcut through the codes), measures of separability and rank, the
partition distance of exact 2-D regions (Lemmas 1-2) and the appendix's width-1 skip-connection chain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor, nn

from mlpgeo.patterns import activation_patterns

if TYPE_CHECKING:  # regions is only needed for the lemma checks
    from matplotlib.figure import Figure

    from mlpgeo.regions import Regions

HEAT_FORMS = {
    "linear": "h = exp(-d / sigma^2)  (section 3.1 of the paper)",
    "squared": "h = exp(-d^2 / sigma^2)  (appendix A.2 of the paper)",
}


# --------------------------------------------------------------------------------------------------
# VQ distance
# --------------------------------------------------------------------------------------------------


def check_layer_weights(layer_weights: Sequence[float] | Tensor | None, n_layers: int) -> Tensor | None:
    """Validate per-layer weights ``w_l``.

    Args:
        layer_weights: ``None`` (all ones) or ``n_layers`` finite non-negative numbers.
        n_layers: number of hidden layers.

    Returns:
        ``None`` when every weight is 1 (the exact-integer path), else a float64 tensor ``(n_layers,)``.

    Raises:
        ValueError: wrong length, negative or non-finite weights.
    """
    if layer_weights is None:
        return None
    w = torch.as_tensor(layer_weights, dtype=torch.float64).flatten()
    if w.numel() != n_layers:
        raise ValueError(
            f"layer_weights has {w.numel()} entries but the model has {n_layers} hidden layers; "
            f"give one weight per hidden layer."
        )
    if not torch.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"layer_weights must be finite and >= 0 (the paper uses w_l > 0), got {w.tolist()}.")
    if bool((w == 1).all()):
        return None
    return w


def sign_codes(patterns: Sequence[Tensor], layer_weights: Tensor | None = None) -> Tensor:
    """Concatenated +/-1 codes, each layer's columns scaled by ``sqrt(w_l)``.

    Args:
        patterns: per-layer bool patterns ``(n, D_l)``.
        layer_weights: ``None`` or float64 ``(L,)`` (see :func:`check_layer_weights`).

    Returns:
        ``(n, N)`` codes: float32 +/-1 for unit weights, float64 ``+/-sqrt(w_l)`` otherwise, so that
        ``<c(x), c(y)> = sum_l w_l <s_l(x), s_l(y)>``.
    """
    if layer_weights is None:
        return torch.cat([p.float() * 2 - 1 for p in patterns], dim=1)
    return torch.cat([(p.double() * 2 - 1) * w.sqrt() for p, w in zip(patterns, layer_weights)], dim=1)


def code_distance(
    patterns_x: Sequence[Tensor],
    patterns_y: Sequence[Tensor] | None = None,
    layer_weights: Sequence[float] | Tensor | None = None,
    block_size: int = 2048,
) -> Tensor:
    """Weighted Hamming distance between per-layer patterns, as blocked matrix products.

    ``d_ij = sum_l w_l (D_l - <s_l(x_i), s_l(y_j)>) / 2``, computed ``block_size`` rows at a time, so the
    only memory beyond the ``(n, m)`` result is one ``(block_size, m)`` block.

    Args:
        patterns_x: per-layer bool patterns ``(n, D_l)``.
        patterns_y: per-layer bool patterns ``(m, D_l)``; ``None`` means ``patterns_x``.
        layer_weights: ``None`` (all 1) or one weight ``>= 0`` per layer.
        block_size: rows per block (>= 1).

    Returns:
        float32 ``(n, m)`` on the CPU (each block is computed on the device of ``patterns_x`` and copied
        back, so a GPU holds only one block). For unit weights every entry is an exact integer (float32
        holds integers up to 2^24 exactly and the products of +/-1 entries are summed exactly below that).

    Raises:
        ValueError: different layer counts or widths, bad weights or block size.
    """
    if patterns_y is None:
        patterns_y = patterns_x
    if len(patterns_x) != len(patterns_y) or not patterns_x:
        raise ValueError(f"x has {len(patterns_x)} layers of patterns and y has {len(patterns_y)}; they must match.")
    widths = [p.shape[1] for p in patterns_x]
    if widths != [p.shape[1] for p in patterns_y]:
        raise ValueError(f"layer widths differ between x {widths} and y {[p.shape[1] for p in patterns_y]}.")
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}.")
    w = check_layer_weights(layer_weights, len(widths))
    device = patterns_x[0].device
    w_device = None if w is None else w.to(device)
    cx = sign_codes([p.to(device) for p in patterns_x], w_device)
    cy = sign_codes([p.to(device) for p in patterns_y], w_device)
    total = float(sum(widths)) if w is None else float((w * torch.tensor(widths, dtype=torch.float64)).sum())
    out = torch.empty(cx.shape[0], cy.shape[0], dtype=torch.float32)
    cy_t = cy.T.contiguous()
    for start in range(0, cx.shape[0], block_size):
        block = cx[start : start + block_size] @ cy_t
        block.mul_(-0.5).add_(total / 2)
        out[start : start + block_size] = block.clamp_(min=0).cpu()
    return out


def vq_distance(
    model: nn.Sequential,
    x: Tensor,
    y: Tensor | None = None,
    layer_weights: Sequence[float] | Tensor | None = None,
    block_size: int = 2048,
) -> Tensor:
    """The VQ-kernel: ``K_ij = d(x_i, y_j) = sum_l w_l Hamming(s_l(x_i), s_l(y_j))``.

    Args:
        model: an MLP ``nn.Sequential(Linear, act, ..., Linear)``; patterns are ``[pre-activation > 0]``.
        x: inputs ``(n, d_in)``.
        y: inputs ``(m, d_in)``; ``None`` means ``x`` (the square kernel of the sample).
        layer_weights: ``None`` (``w_l = 1``) or one weight ``>= 0`` per hidden layer.
        block_size: rows per matrix-product block (20,000 x 20,000 needs only the result in memory).

    Returns:
        float32 ``(n, m)`` on the CPU (computed on the model's device); exact integers for unit weights.

    Raises:
        TypeError / ValueError: unsupported model, mismatched feature sizes, non-finite input, bad weights.
    """
    if y is not None and isinstance(x, Tensor) and isinstance(y, Tensor) and x.dim() == 2 and y.dim() == 2:
        if x.shape[1] != y.shape[1]:
            raise ValueError(
                f"x has {x.shape[1]} features and y has {y.shape[1]}; both must match the model's input size."
            )
        if not torch.isfinite(y).all():
            raise ValueError("y holds NaN or infinite values; clean or drop those rows first.")
    px = activation_patterns(model, x)
    py = None if y is None else activation_patterns(model, y)
    return code_distance(px, py, layer_weights, block_size)


# --------------------------------------------------------------------------------------------------
# Heat kernels and their comparison
# --------------------------------------------------------------------------------------------------


def check_distance_matrix(d: Tensor) -> None:
    """Raise ``ValueError`` unless ``d`` is a 2-D finite non-negative tensor."""
    if not isinstance(d, Tensor) or d.dim() != 2:
        raise ValueError(f"expected a distance matrix (n, m), got {getattr(d, 'shape', type(d))}.")
    if not torch.isfinite(d).all():
        raise ValueError("the distance matrix holds NaN or infinite values.")
    if (d < 0).any():
        raise ValueError("the distance matrix has negative entries; a VQ kernel is a distance (>= 0).")


def off_diagonal(d: Tensor) -> Tensor:
    """Strict upper-triangle entries of a square matrix ``(n, n)`` (all entries of a rectangular one)."""
    if d.shape[0] == d.shape[1]:
        i, j = torch.triu_indices(d.shape[0], d.shape[1], offset=1)
        return d[i, j]
    return d.flatten()


def median_sigma2(d: Tensor | Sequence[Tensor], form: str = "linear") -> float:
    """The default scale rule: the median pair sits at ``h = exp(-1)``.

    ``m`` = median of the off-diagonal entries of ``d`` (pooled over all matrices when a sequence of
    kernels is given, so that kernels being compared share one scale); ``sigma^2 = m`` for the linear
    form and ``sigma^2 = m^2`` for the squared form.

    Raises:
        ValueError: unknown form, or a median of 0 (most pairs share one region: give sigma2).
    """
    if form not in HEAT_FORMS:
        raise ValueError(f"unknown heat-kernel form {form!r}; use one of {sorted(HEAT_FORMS)}.")
    matrices = [d] if isinstance(d, Tensor) else list(d)
    for matrix in matrices:
        check_distance_matrix(matrix)
    m = float(torch.cat([off_diagonal(matrix).float() for matrix in matrices]).median())
    if m <= 0:
        raise ValueError("the median distance is 0 (most pairs share a region); pass sigma2 explicitly.")
    return m if form == "linear" else m * m


def heat_kernel(d: Tensor, sigma2: float | None = None, form: str = "linear") -> Tensor:
    """Heat kernel of a distance matrix, element-wise.

    Forms (the paper writes both): ``"linear"``: ``h = exp(-d / sigma^2)`` (section 3.1);
    ``"squared"``: ``h = exp(-d^2 / sigma^2)`` (appendix A.2).

    Args:
        d: distances ``(n, m)``, finite and ``>= 0``.
        sigma2: the scale ``sigma^2 > 0``; ``None`` applies :func:`median_sigma2`.
        form: ``"linear"`` or ``"squared"``.

    Returns:
        float32 ``(n, m)`` in (0, 1].
    """
    if form not in HEAT_FORMS:
        raise ValueError(f"unknown heat-kernel form {form!r}; use one of {sorted(HEAT_FORMS)}.")
    check_distance_matrix(d)
    if sigma2 is None:
        sigma2 = median_sigma2(d, form)
    if not (math.isfinite(sigma2) and sigma2 > 0):
        raise ValueError(f"sigma2 must be a finite number > 0, got {sigma2}.")
    d = d.float()
    return torch.exp(-(d if form == "linear" else d * d) / sigma2)


def kernel_cosine(a: Tensor, b: Tensor) -> float:
    """Cosine similarity of two matrices, ``<A, B>_F / (||A||_F ||B||_F)``, accumulated in float64."""
    if a.shape != b.shape:
        raise ValueError(f"kernels must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}.")
    a, b = a.double(), b.double()
    na, nb = a.norm(), b.norm()
    if na == 0 or nb == 0:
        raise ValueError("cosine similarity of a zero matrix is undefined.")
    return float((a * b).sum() / (na * nb))


def cosine_table(kernels: Sequence[Tensor]) -> Tensor:
    """All pairwise :func:`kernel_cosine` values: float64 ``(k, k)`` with ones on the diagonal.

    One Gram matrix of the flattened kernels, in float64 (a float32 Gram of 2000 x 2000 kernels is off by
    up to ~1e-3 in the cosine).
    """
    shapes = {tuple(k.shape) for k in kernels}
    if len(shapes) != 1:
        raise ValueError(f"kernels must share one shape, got {sorted(shapes)}.")
    flat = torch.stack([k.double().flatten() for k in kernels])
    gram = flat @ flat.T
    norms = gram.diagonal().sqrt()
    if (norms == 0).any():
        raise ValueError("cosine similarity of a zero matrix is undefined.")
    table = gram / (norms[:, None] * norms[None, :])
    table.fill_diagonal_(1.0)
    return table


def joint_histograms(distances: Sequence[Tensor], max_value: int = 4096) -> Tensor | None:
    """Joint counts of integer distances: ``C[a, b, u, v] = #{(i, j) : d_a[i, j] = u and d_b[i, j] = v}``.

    Args:
        distances: ``k`` distance matrices of one shape, ``(n, m)`` each.
        max_value: the largest distance handled (``V = max + 1`` bins per axis).

    Returns:
        float64 ``(k, k, V, V)``, or ``None`` when some entry is not an integer in ``[0, max_value]``
        (weighted kernels): the caller then works on the matrices themselves.
    """
    flat = [d.flatten() for d in distances]
    for d in flat:
        if not bool(((d >= 0) & (d <= max_value) & (d == d.round())).all()):
            return None
    size = int(max(float(d.max()) for d in flat)) + 1
    codes = [d.long() for d in flat]
    out = torch.zeros(len(flat), len(flat), size, size, dtype=torch.float64)
    for a in range(len(flat)):
        for b in range(a, len(flat)):
            counts = torch.bincount(codes[a] * size + codes[b], minlength=size * size).reshape(size, size).double()
            out[a, b], out[b, a] = counts, counts.T
    return out


def heat_cosine_sweep(distances: Sequence[Tensor], sigma2s: Sequence[float], form: str = "linear") -> Tensor:
    """Cosine tables of heat kernels for each ``sigma^2``: float64 ``(len(sigma2s), k, k)``.

    For integer distances (unit-weight VQ kernels) the heat kernel takes one value ``h(u)`` per distance
    ``u``, so ``<H_a, H_b>_F = sum_{u, v} C[a, b, u, v] h(u) h(v)`` with the :func:`joint_histograms`
    ``C``: the matrices are read once and every ``sigma^2`` costs ``O(k^2 V^2)`` (exact, float64).
    Otherwise each heat kernel is formed (:func:`heat_kernel`, :func:`cosine_table`).
    """
    if form not in HEAT_FORMS:
        raise ValueError(f"unknown heat-kernel form {form!r}; use one of {sorted(HEAT_FORMS)}.")
    for d in distances:
        check_distance_matrix(d)
    if len({tuple(d.shape) for d in distances}) != 1:
        raise ValueError(f"kernels must share one shape, got {sorted({tuple(d.shape) for d in distances})}.")
    counts = joint_histograms(distances)
    if counts is None:
        return torch.stack([cosine_table([heat_kernel(d, s, form) for d in distances]) for s in sigma2s])
    values = torch.arange(counts.shape[-1], dtype=torch.float64)
    tables = []
    for sigma2 in sigma2s:
        if not (math.isfinite(sigma2) and sigma2 > 0):
            raise ValueError(f"sigma2 must be a finite number > 0, got {sigma2}.")
        h = torch.exp(-(values if form == "linear" else values * values) / sigma2)
        gram = torch.einsum("u,abuv,v->ab", h, counts, h)
        norms = gram.diagonal().sqrt()
        table = gram / (norms[:, None] * norms[None, :])
        table.fill_diagonal_(1.0)
        tables.append(table)
    return torch.stack(tables)


def kernel_correlation(a: Tensor, b: Tensor) -> float:
    """Pearson correlation of the off-diagonal entries of two kernels of the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"kernels must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}.")
    u, v = off_diagonal(a).double(), off_diagonal(b).double()
    u, v = u - u.mean(), v - v.mean()
    return float((u * v).sum() / (u.norm() * v.norm()))


# --------------------------------------------------------------------------------------------------
# Classical MDS and spectra
# --------------------------------------------------------------------------------------------------


@dataclass
class MDS:
    """Classical multidimensional scaling of a distance matrix.

    Attributes:
        eigenvalues: ``(k,)`` dominant eigenvalues of ``B = -1/2 (I - J/n) K (I - J/n)``, descending.
        normalised: ``eigenvalues / eigenvalues[0]`` (the paper's normalisation by the leading one).
        eigenvectors: ``(n, k)`` orthonormal, sign fixed so each column's largest-magnitude entry is > 0.
        embedding: ``(n, k)`` coordinates ``eigenvectors * sqrt(max(eigenvalues, 0))``.
    """

    eigenvalues: Tensor
    normalised: Tensor
    eigenvectors: Tensor
    embedding: Tensor


def fix_signs(vectors: Tensor) -> Tensor:
    """Flip each column so that its largest-magnitude entry is positive (a deterministic sign)."""
    index = vectors.abs().argmax(dim=0)
    signs = torch.sign(vectors[index, torch.arange(vectors.shape[1])])
    signs[signs == 0] = 1
    return vectors * signs


def dominant_eigenpairs(
    b: Tensor, k: int, iterations: int = 8, seed: int = 0, dense_limit: int = 2500
) -> tuple[Tensor, Tensor]:
    """The ``k`` algebraically largest eigenpairs of a symmetric positive semi-definite matrix.

    Dense ``eigh`` for ``n <= dense_limit``; above, randomised subspace iteration (range finder with
    ``k + 10`` columns and ``iterations`` power steps, then Rayleigh-Ritz), float64.

    Returns:
        ``(values (k,), vectors (n, k))``, values descending.
    """
    n = b.shape[0]
    if b.dim() != 2 or b.shape[1] != n:
        raise ValueError(f"expected a square matrix, got {tuple(b.shape)}.")
    if not 1 <= k <= n:
        raise ValueError(f"k must be in [1, {n}], got {k}.")
    b = b.double()
    if n <= dense_limit:
        values, vectors = torch.linalg.eigh(b)
        return values.flip(0)[:k], vectors.flip(1)[:, :k]
    generator = torch.Generator().manual_seed(seed)
    q = torch.randn(n, min(n, k + 10), generator=generator, dtype=torch.float64)
    for _ in range(iterations):
        q, _ = torch.linalg.qr(b @ q)
    values, small = torch.linalg.eigh(q.T @ b @ q)
    return values.flip(0)[:k], (q @ small.flip(1))[:, :k]


def double_centre(d: Tensor) -> Tensor:
    """``B = -1/2 (I - J/n) D (I - J/n)`` for a square ``D`` (float64)."""
    d = d.double()
    return -0.5 * (d - d.mean(0, keepdim=True) - d.mean(1, keepdim=True) + d.mean())


def classical_mds(d: Tensor, k: int = 2) -> MDS:
    """Classical MDS of a squared-distance matrix.

    A VQ kernel holds squared Euclidean distances between 0/1 codes (Hamming = ||a - b||^2), so it is
    double-centred as it is: ``B = -1/2 (I - J/n) K (I - J/n)``. The paper's Fig. 1 writes
    ``(I - J/N) K (I - J/N)`` normalised by its leading eigenvalue: the same eigenvectors, and the same
    normalised eigenvalues (the factor -1/2 cancels).

    Args:
        d: square distance matrix ``(n, n)``.
        k: number of dominant eigenpairs.

    Returns:
        :class:`MDS`.
    """
    check_distance_matrix(d)
    if d.shape[0] != d.shape[1]:
        raise ValueError(f"classical MDS needs a square distance matrix, got {tuple(d.shape)}.")
    values, vectors = dominant_eigenpairs(double_centre(d), k)
    return make_mds(values, vectors)


def make_mds(values: Tensor, vectors: Tensor) -> MDS:
    """Assemble an :class:`MDS` from dominant eigenpairs."""
    if values[0] <= 0:
        raise ValueError("the leading MDS eigenvalue is <= 0: all points are at distance 0.")
    vectors = fix_signs(vectors)
    return MDS(values, values / values[0], vectors, vectors * values.clamp(min=0).sqrt())


def code_mds(
    model: nn.Sequential, x: Tensor, k: int = 3, layer_weights: Sequence[float] | Tensor | None = None
) -> MDS:
    """Classical MDS of the VQ kernel of ``x`` without forming the ``(n, n)`` kernel.

    With codes ``C`` scaled by ``sqrt(w_l)``, ``K = (total - C C^T) / 2``, so
    ``B = -1/2 J K J = 1/4 (J C)(J C)^T``: its eigenpairs are the left singular vectors of the centred
    codes and ``s_i^2 / 4``. Equal to :func:`classical_mds` of :func:`vq_distance` (up to round-off).
    """
    patterns = [p.cpu() for p in activation_patterns(model, x)]
    w = check_layer_weights(layer_weights, len(patterns))
    codes = sign_codes(patterns, w).double()
    codes = codes - codes.mean(0, keepdim=True)
    u, s, _ = torch.linalg.svd(codes, full_matrices=False)
    if k > s.numel():
        raise ValueError(f"k={k} exceeds the rank bound min(n, N) = {s.numel()}.")
    return make_mds(s[:k] ** 2 / 4, u[:, :k])


def mds_spectrum(d: Tensor) -> Tensor:
    """All eigenvalues of ``B = -1/2 J D J``, descending (float64 ``(n,)``); for small ``n``."""
    check_distance_matrix(d)
    return torch.linalg.eigvalsh(double_centre(d)).flip(0)


def effective_rank(values: Tensor) -> float:
    """Effective rank ``exp(H(p))``, ``p_i = lambda_i / sum lambda`` over the positive eigenvalues."""
    v = values.double()
    v = v[v > 0]
    if v.numel() == 0:
        raise ValueError("no positive eigenvalue: the effective rank is undefined.")
    p = v / v.sum()
    return float(torch.exp(-(p * p.log()).sum()))


def subspace_similarity(u: Tensor, v: Tensor) -> float:
    """``||U^T V||_F^2 / k`` for orthonormal ``U, V: (n, k)``: mean squared cosine of the principal angles."""
    if u.shape != v.shape:
        raise ValueError(f"subspaces must have the same shape, got {tuple(u.shape)} and {tuple(v.shape)}.")
    return float((u.double().T @ v.double()).pow(2).sum() / u.shape[1])


def eigenvector_correlations(u: Tensor, v: Tensor) -> Tensor:
    """``|corr(u_i, v_i)|`` for matching columns (signs of eigenvectors are arbitrary): ``(k,)``."""
    if u.shape != v.shape:
        raise ValueError(f"shapes differ: {tuple(u.shape)} and {tuple(v.shape)}.")
    a, b = u.double() - u.double().mean(0), v.double() - v.double().mean(0)
    return ((a * b).sum(0) / (a.norm(dim=0) * b.norm(dim=0))).abs()


# --------------------------------------------------------------------------------------------------
# Separability
# --------------------------------------------------------------------------------------------------


def silhouette(d: Tensor, labels: Tensor) -> float:
    """Mean silhouette ``(b_i - a_i) / max(a_i, b_i)`` of a labelled sample under distances ``d: (n, n)``.

    ``a_i`` = mean distance to the other members of ``i``'s class, ``b_i`` = smallest mean distance to
    another class. In [-1, 1]; higher = better separated.
    """
    check_distance_matrix(d)
    labels = torch.as_tensor(labels).long()
    classes = labels.unique()
    if classes.numel() < 2:
        raise ValueError("silhouette needs at least two classes.")
    index = torch.searchsorted(classes, labels)
    onehot = (labels[:, None] == classes[None, :]).double()
    sums = d.double() @ onehot
    counts = onehot.sum(0)
    rows = torch.arange(len(labels))
    own_count = counts[index] - 1
    a = sums[rows, index] / own_count.clamp(min=1)
    means = sums / counts
    means[rows, index] = float("inf")
    b = means.min(1).values
    s = torch.where(own_count > 0, (b - a) / torch.maximum(a, b).clamp(min=1e-12), torch.zeros_like(a))
    return float(s.mean())


def linear_probe_accuracy(z: Tensor, labels: Tensor, folds: int = 5, seed: int = 0, steps: int = 200) -> float:
    """Cross-validated accuracy of logistic regression on an embedding ``z: (n, k)``.

    Features are standardised on each training fold; full-batch L-BFGS, no regularisation beyond a
    small weight decay (1e-4). Folds come from a permutation drawn with ``seed``.
    """
    z = torch.as_tensor(z).double()
    labels = torch.as_tensor(labels).long()
    n = z.shape[0]
    classes = int(labels.max()) + 1
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    correct = 0
    for fold in range(folds):
        test = order[fold::folds]
        train = torch.ones(n, dtype=torch.bool)
        train[test] = False
        mean, std = z[train].mean(0), z[train].std(0).clamp(min=1e-12)
        zt, zs = (z[train] - mean) / std, (z[test] - mean) / std
        weight = torch.zeros(z.shape[1], classes, dtype=torch.float64, requires_grad=True)
        bias = torch.zeros(classes, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([weight, bias], max_iter=steps, line_search_fn="strong_wolfe")

        def closure() -> Tensor:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(zt @ weight + bias, labels[train]) + 1e-4 * weight.pow(2).sum()
            loss.backward()
            return loss

        opt.step(closure)
        with torch.no_grad():
            correct += int(((zs @ weight + bias).argmax(1) == labels[test]).sum())
    return correct / n


# --------------------------------------------------------------------------------------------------
# Partition distance (Lemmas 1-2)
# --------------------------------------------------------------------------------------------------


def region_graph_distances(n_regions: int, adjacency: Tensor, sources: Tensor) -> Tensor:
    """Breadth-first shortest-path lengths in the region adjacency graph.

    All sources expand together: each step multiplies the frontier ``(R, s)`` by the sparse adjacency.

    Args:
        n_regions: number of regions ``R``.
        adjacency: int ``(e, 2)`` pairs of regions that share a face (either order).
        sources: int ``(s,)`` region indices.

    Returns:
        int64 ``(s, R)`` path lengths; ``-1`` where a region is unreachable.
    """
    adjacency = torch.as_tensor(adjacency, dtype=torch.long).reshape(-1, 2)
    sources = torch.as_tensor(sources, dtype=torch.long).flatten()
    if adjacency.numel() and (adjacency.min() < 0 or adjacency.max() >= n_regions):
        raise ValueError(f"adjacency refers to regions outside [0, {n_regions}).")
    edges = torch.cat([adjacency, adjacency.flip(1)])
    graph = torch.sparse_coo_tensor(
        edges.T, torch.ones(len(edges)), (n_regions, n_regions), check_invariants=True
    ).coalesce()
    dist = torch.full((n_regions, sources.numel()), -1, dtype=torch.long)
    frontier = torch.zeros(n_regions, sources.numel())
    frontier[sources, torch.arange(sources.numel())] = 1
    dist[sources, torch.arange(sources.numel())] = 0
    step = 0
    while frontier.any():
        step += 1
        reached = (torch.sparse.mm(graph, frontier) > 0) & (dist < 0)
        dist[reached] = step
        frontier = reached.float()
    return dist.T.contiguous()


def partition_distance(regions: Regions, x: Tensor, y: Tensor | None = None, adjacency: Tensor | None = None) -> Tensor:
    """The partition distance ``d_Omega(x_i, y_j)``: fewest face crossings between the points' regions.

    Args:
        regions: exact regions (``mlpgeo.regions.Regions``: ``locate(points)``, ``adjacency()``, ``len``).
        x: points ``(n, 2)``.
        y: points ``(m, 2)`` or ``None`` (= ``x``).
        adjacency: ``(e, 2)`` region pairs sharing a face; ``None`` uses ``regions.adjacency()``.

    Returns:
        int64 ``(n, m)``.

    Raises:
        ValueError: a point outside every region, or regions that the adjacency graph does not connect.
    """
    ix = torch.as_tensor(regions.locate(x), dtype=torch.long)
    iy = ix if y is None else torch.as_tensor(regions.locate(y), dtype=torch.long)
    if (ix < 0).any() or (iy < 0).any():
        raise ValueError("some points lie outside the regions' bounds; sample inside them.")
    sources, inverse = ix.unique(return_inverse=True)
    edges = regions.adjacency() if adjacency is None else adjacency
    table = region_graph_distances(len(regions), edges, sources)
    out = table[inverse][:, iy]
    if (out < 0).any():
        raise ValueError("the region adjacency graph does not connect some pairs of regions.")
    return out


def region_codes(regions: Regions) -> Tensor:
    """Bool codes of all regions stacked: ``(R, N)``."""
    return torch.stack([torch.as_tensor(r.code, dtype=torch.bool) for r in regions])


# --------------------------------------------------------------------------------------------------
# The appendix's width-1 chain with skip connections
# --------------------------------------------------------------------------------------------------


@dataclass
class ChainPartition:
    """The exact partition of [0, 1] by ``L`` layers ``f(z) = skip*z + scale*relu(slope*z + shift)``.

    Attributes:
        breakpoints: float64 ``(p + 1,)`` from 0 to 1; interval ``i`` is ``[breakpoints[i], breakpoints[i+1]]``.
        codes: bool ``(p, L)``: sign of each layer's pre-activation on each interval.
    """

    breakpoints: Tensor
    codes: Tensor

    def __len__(self) -> int:
        return self.codes.shape[0]

    def vq_distance(self) -> Tensor:
        """Hamming distance between the intervals' codes: ``(p, p)``."""
        c = self.codes.float() * 2 - 1
        return (self.codes.shape[1] - c @ c.T) / 2

    def partition_distance(self) -> Tensor:
        """``|i - j|``: the number of breakpoints between intervals ``i`` and ``j`` (a path graph)."""
        i = torch.arange(len(self), dtype=torch.float32)
        return (i[:, None] - i[None, :]).abs()


def skip_chain_partition(
    depth: int, skip: float = 2.0, scale: float = -1.0, slope: float = 2.0, shift: float = -1.0
) -> ChainPartition:
    """Exact linear pieces of ``F = f o ... o f`` (``depth`` times) on [0, 1], one neuron per layer.

    Each layer is ``f(z) = skip*z + scale*relu(slope*z + shift)``. The paper prints
    ``f(z) = 2z - relu(2z - 1)`` (the defaults); the tent map ``2z - 2 relu(2z - 1)`` is ``scale=-2``.
    Pieces are tracked exactly: on each current piece ``F`` is affine, so the pre-activation crosses 0 at
    most once there and the crossing is solved in closed form (float64; exact for dyadic values).

    Returns:
        :class:`ChainPartition` with adjacent intervals of equal code merged.
    """
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}.")
    left = torch.tensor([0.0], dtype=torch.float64)
    right = torch.tensor([1.0], dtype=torch.float64)
    f_left, f_right = left.clone(), right.clone()
    codes = torch.zeros(1, 0, dtype=torch.bool)
    for _ in range(depth):
        g_left, g_right = slope * f_left + shift, slope * f_right + shift
        cross = g_left * g_right < 0
        t = torch.where(cross, g_left / (g_left - g_right), torch.zeros_like(g_left))
        x_mid = left + t * (right - left)
        f_mid = f_left + t * (f_right - f_left)
        # split every crossing piece into [left, x_mid] and [x_mid, right]
        new_left = torch.stack([left, torch.where(cross, x_mid, left)], 1)
        new_right = torch.stack([torch.where(cross, x_mid, right), right], 1)
        new_f_left = torch.stack([f_left, torch.where(cross, f_mid, f_left)], 1)
        new_f_right = torch.stack([torch.where(cross, f_mid, f_right), f_right], 1)
        keep = torch.stack([torch.ones_like(cross), cross], 1).flatten()
        left, right = new_left.flatten()[keep], new_right.flatten()[keep]
        f_left, f_right = new_f_left.flatten()[keep], new_f_right.flatten()[keep]
        codes = codes.repeat_interleave(1 + cross.long(), dim=0)
        g_mid = slope * (f_left + f_right) / 2 + shift
        codes = torch.cat([codes, (g_mid > 0)[:, None]], 1)
        pre_left, pre_right = slope * f_left + shift, slope * f_right + shift
        f_left = skip * f_left + scale * pre_left.clamp(min=0)
        f_right = skip * f_right + scale * pre_right.clamp(min=0)
    change = torch.ones(len(codes), dtype=torch.bool)
    change[1:] = (codes[1:] != codes[:-1]).any(1)
    starts = change.nonzero().flatten()
    breakpoints = torch.cat([left[starts], right[-1:]])
    return ChainPartition(breakpoints, codes[starts])


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


def plot_kernel(
    k: Tensor, labels: Tensor | None = None, ax=None, title: str = "", cmap: str = "magma", max_pixels: int = 200,
    colorbar_label: str = "distance",
):
    """Show a kernel as an image, rows and columns ordered by label (stable) when ``labels`` is given.

    Kernels larger than ``max_pixels`` are block-averaged (factor ``ceil(n / max_pixels)``) to keep figures
    light; ``colorbar_label`` names the colour scale.
    """
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    if labels is not None:
        order = torch.as_tensor(labels).argsort(stable=True)
        k = k[order][:, order]
    factor = max(1, math.ceil(max(k.shape) / max_pixels))
    if factor > 1:
        k = torch.nn.functional.avg_pool2d(k.float()[None, None], factor, ceil_mode=True)[0, 0]
    extent = (0, k.shape[1] * factor, k.shape[0] * factor, 0)
    image = ax.imshow(k.numpy(), cmap=cmap, interpolation="nearest", extent=extent)
    ax.set_title(title)
    ax.set_xlabel("sample j (ordered by label)" if labels is not None else "sample j")
    ax.set_ylabel("sample i")
    ax.grid(False)
    plt.colorbar(image, ax=ax, shrink=0.8, label=colorbar_label)
    return ax


def plot_disc_field(points: Tensor, values: Tensor, ax=None, title: str = "", cmap: str = "RdBu_r", resolution: int = 96):
    """Colour the points of a :func:`disc_grid` ``(n, 2)`` by ``values: (n,)`` as an image (symmetric scale about 0)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    index = ((points + 1) / 2 * (resolution - 1)).round().long()
    image = torch.full((resolution, resolution), float("nan"))
    image[index[:, 1], index[:, 0]] = values.float()
    limit = float(values.abs().max())
    ax.imshow(image.numpy(), origin="lower", extent=(-1, 1, -1, 1), cmap=cmap, vmin=-limit, vmax=limit,
              interpolation="nearest")
    ax.set_title(title)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.grid(False)
    return ax


def plot_embedding(z: Tensor, labels: Tensor, ax=None, title: str = ""):
    """Scatter a 2-D embedding ``(n, 2)`` coloured by class."""
    import matplotlib.pyplot as plt

    from mlpgeo.plotting import color

    ax = ax or plt.gca()
    labels = torch.as_tensor(labels)
    for c in labels.unique().tolist():
        mask = labels == c
        ax.scatter(z[mask, 0], z[mask, 1], s=10, color=color(int(c)), label=f"class {c}")
    ax.set_title(title)
    ax.set_xlabel("MDS 1")
    ax.set_ylabel("MDS 2")
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_cosine_table(table: Tensor, names: Sequence[str], ax=None, title: str = ""):
    """A 4 x 4 (or k x k) cosine table as an annotated heatmap."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    t = np.asarray(table, dtype=float)
    ax.imshow(t, vmin=0, vmax=1, cmap="viridis")
    for i in range(t.shape[0]):
        for j in range(t.shape[1]):
            ax.text(j, i, f"{t[i, j]:.2f}", ha="center", va="center", color="white" if t[i, j] < 0.6 else "black")
    ax.set_xticks(range(len(names)), names, rotation=30)
    ax.set_yticks(range(len(names)), names)
    ax.set_title(title)
    ax.grid(False)
    return ax


# --------------------------------------------------------------------------------------------------
# Experiment helpers used by the report
# --------------------------------------------------------------------------------------------------


def disc_grid(resolution: int = 96) -> Tensor:
    """The points of a ``resolution x resolution`` grid of [-1, 1]^2 that lie in the closed unit disc: ``(p, 2)``."""
    t = torch.linspace(-1, 1, resolution)
    grid = torch.stack(torch.meshgrid(t, t, indexing="xy"), -1).reshape(-1, 2)
    return grid[grid.norm(dim=1) <= 1]


def rotation_commutation(
    model: nn.Sequential, model_rot: nn.Sequential, points: Tensor, angle: float, k: int = 3, pairs_sample: int = 2000
) -> dict[str, float]:
    """How closely the partition learned on rotated data is the rotated partition.

    If the partition commutes with the rotation ``R``, ``d_rot(p, q) = d(R^-1 p, R^-1 q)``. Both kernels are
    evaluated on the same ``points`` (``model`` on the rotated-back points) and compared by the
    correlation of their off-diagonal entries (on ``pairs_sample`` points evenly spaced in the order of
    ``points``, so that a row-by-row grid is covered from end to end) and by their ``k`` dominant MDS
    eigenvectors (on all points): mean squared principal-angle cosine of the two subspaces and ``|corr|``
    of matching eigenvectors.

    Returns:
        ``{"kernel_corr", "subspace", "eigvec_corr_1", ..., "eigvec_corr_k"}``.
    """
    from mlpgeo.data import rotate

    back = rotate(points, -angle)
    mds_rot, mds = code_mds(model_rot, points, k), code_mds(model, back, k)
    sample = torch.linspace(0, len(points) - 1, min(pairs_sample, len(points))).round().long()
    out = {
        "kernel_corr": kernel_correlation(vq_distance(model_rot, points[sample]), vq_distance(model, back[sample])),
        "subspace": subspace_similarity(mds_rot.eigenvectors, mds.eigenvectors),
    }
    for i, c in enumerate(eigenvector_correlations(mds_rot.eigenvectors, mds.eigenvectors).tolist()):
        out[f"eigvec_corr_{i + 1}"] = c
    return out


def depth_kernels(
    x_train: Tensor,
    y_train: Tensor,
    x_test: Tensor,
    depths: Sequence[int] = (4, 6),
    width: int = 16,
    seed: int = 0,
    epochs: int = 20,
    batch_size: int = 128,
    lr: float = 1e-3,
    y_test: Tensor | None = None,
    shared_init: bool = False,
) -> tuple[dict[str, Tensor], dict[str, float]]:
    """VQ kernels on ``x_test`` of ReLU MLPs with ``depth`` hidden layers of ``width``, before and after training.

    Each net ``[d_in, width x depth, n_classes]`` starts from ``mlp(..., seed=seed + 1000 * depth)``
    (independent initialisations; with ``shared_init`` every depth uses ``seed``, so the nets share their
    first layers' initial weights) and is trained with Adam and cross-entropy (``epochs``, ``batch_size``,
    ``lr``, shuffling seed ``seed``).

    Returns:
        ``(kernels, accuracies)``: ``kernels["Trained(4)"]``, ``kernels["Init(4)"]``, ... float32 ``(n, n)``
        ordered trained first then init; ``accuracies["Trained(4)"]`` test accuracy when ``y_test`` is given.
    """
    from mlpgeo.models import accuracy, mlp, train

    n_classes = int(y_train.max()) + 1
    trained, init, acc = {}, {}, {}
    for depth in depths:
        model = mlp([x_train.shape[1]] + [width] * depth + [n_classes], seed=seed if shared_init else seed + 1000 * depth)
        init[f"Init({depth})"] = vq_distance(model, x_test)
        train(model, x_train, y_train, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=False)
        trained[f"Trained({depth})"] = vq_distance(model, x_test)
        if y_test is not None:
            acc[f"Trained({depth})"] = accuracy(model, x_test, y_test)
    return {**trained, **init}, acc


def probed_adjacency(regions: Regions, probes: int = 9, eps: float = 1e-7, relative: float = 1e-4) -> Tensor:
    """Geometric adjacency of 2-D regions, found without looking at their codes.

    From ``probes`` points along every polygon edge (at ``t = 1/(probes+1), ..., probes/(probes+1)`` of
    its length ``L``), step ``min(eps * box width, relative * L)`` across the edge along its outward normal
    and locate the region there. Pairs found this way share an edge. The step shrinks with the edge: near
    an end of a short edge (a tiny region where lines almost meet in one point), a fixed step could cross
    a second line through that vertex and report a region that only touches at the vertex (a pair whose
    codes differ in two bits). With the relative step a probe at ``t L`` from a vertex stays on the right
    side of every line through that vertex at an angle above ``asin(relative / t)`` to the edge.

    Returns:
        int64 ``(e, 2)`` unique pairs ``i < j``.
    """
    xmin, xmax, _, _ = regions.bounds
    t = (torch.arange(probes, dtype=torch.float64) + 1) / (probes + 1)
    points, owners = [], []
    for index, region in enumerate(regions):
        v = torch.as_tensor(region.vertices, dtype=torch.float64)
        w = torch.roll(v, -1, 0)
        edge = w - v
        length = edge.norm(dim=1, keepdim=True).clamp(min=1e-300)
        normal = torch.stack([edge[:, 1], -edge[:, 0]], 1) / length  # outward for counter-clockwise polygons
        step = torch.clamp(relative * length, max=eps * (xmax - xmin))  # (edges, 1)
        p = v[:, None, :] + t[None, :, None] * edge[:, None, :] + (step * normal)[:, None, :]
        points.append(p.reshape(-1, 2))
        owners.append(torch.full((p.shape[0] * probes,), index, dtype=torch.long))
    points, owners = torch.cat(points), torch.cat(owners)
    found = torch.as_tensor(regions.locate(points), dtype=torch.long)
    keep = (found >= 0) & (found != owners)
    pairs = torch.stack([torch.minimum(owners[keep], found[keep]), torch.maximum(owners[keep], found[keep])], 1)
    return pairs.unique(dim=0)


def lemma_check(model: nn.Sequential, points: Tensor, bounds: Sequence[float] = (-1.0, 1.0, -1.0, 1.0)) -> dict[str, float]:
    """Compare the VQ distance with the partition distance on a 2-D model's exact regions.

    Uses :func:`mlpgeo.regions.linear_regions_2d` and the geometric :func:`probed_adjacency`.

    Returns:
        ``regions``, ``edges``, ``edges_multi_bit`` (neighbours whose codes differ in more than one bit),
        over all pairs of ``points``: ``equal_frac`` (d = d_Omega), ``less_frac`` (d < d_Omega),
        ``greater_frac`` (d > d_Omega, forbidden by Lemma 2), ``max_gap`` (max d_Omega - d), and the
        same three fractions over all pairs of regions (``region_equal_frac`` ...).
    """
    from mlpgeo.regions import linear_regions_2d

    regions = linear_regions_2d(model, tuple(bounds))
    edges = probed_adjacency(regions)
    codes = region_codes(regions)
    bits = (codes[edges[:, 0]] != codes[edges[:, 1]]).sum(1)
    d_omega = partition_distance(regions, points, adjacency=edges).float()
    d = vq_distance(model, points)
    all_regions = region_graph_distances(len(regions), edges, torch.arange(len(regions))).float()
    if (all_regions < 0).any():
        raise ValueError("the probed region graph is not connected; lower eps or raise probes.")
    d_regions = code_distance([codes])
    return {
        "regions": len(regions),
        "edges": len(edges),
        "edges_multi_bit": int((bits > 1).sum()),
        "equal_frac": float((d == d_omega).float().mean()),
        "less_frac": float((d < d_omega).float().mean()),
        "greater_frac": float((d > d_omega).float().mean()),
        "max_gap": float((d_omega - d).max()),
        "region_equal_frac": float((d_regions == all_regions).float().mean()),
        "region_less_frac": float((d_regions < all_regions).float().mean()),
        "region_greater_frac": float((d_regions > all_regions).float().mean()),
    }


def embedding_scores(d: Tensor, labels: Tensor, seed: int = 0) -> dict[str, float]:
    """Separability and rank of a sample under a squared-distance matrix ``d: (n, n)``.

    Returns:
        ``probe_acc``: 5-fold logistic-regression accuracy on the 2-D classical-MDS embedding;
        ``silhouette``: of the labels in that embedding (Euclidean); ``effective_rank`` of the full MDS
        spectrum (:func:`effective_rank`); ``top2_share``: share of the positive spectrum in the top two
        eigenvalues.
    """
    mds = classical_mds(d, 2)
    spectrum = mds_spectrum(d)
    z = mds.embedding
    return {
        "probe_acc": linear_probe_accuracy(z, labels, seed=seed),
        "silhouette": silhouette(torch.cdist(z, z), labels),
        "effective_rank": effective_rank(spectrum),
        "top2_share": float(spectrum[:2].clamp(min=0).sum() / spectrum[spectrum > 0].sum()),
    }


def claim_holds_fraction(tables: Tensor, saturation: float = 0.99) -> tuple[float, int]:
    """Share of cosine tables ``(s, 4, 4)`` (order Trained(a), Trained(b), Init(a), Init(b)) where
    ``cos(T_a, T_b) > max(cos(T_a, I_a), cos(T_b, I_b))``, among tables whose smallest entry is below
    ``saturation`` (at huge sigma^2 every heat kernel tends to all-ones and every cosine to 1).

    Returns:
        ``(fraction, number of unsaturated tables)``.
    """
    live = tables.flatten(1).min(1).values < saturation
    holds = tables[:, 0, 1] > torch.maximum(tables[:, 0, 2], tables[:, 1, 3])
    count = int(live.sum())
    return (float(holds[live].float().mean()) if count else float("nan")), count


# --------------------------------------------------------------------------------------------------
# The report's experiments and verdict criteria (reports/vq_kernels.ipynb)
# --------------------------------------------------------------------------------------------------


def format_mean_std(values: Sequence[float] | Tensor) -> str:
    """``"mean ± std"`` (sample std, 0 for one value) with three decimals, for printing.

    Args:
        values: numbers ``(s,)``.

    Returns:
        The formatted string.
    """
    a = np.asarray(values, dtype=float)
    return f"{a.mean():.3f} ± {a.std(ddof=1) if a.size > 1 else 0:.3f}"


def train_bce(
    x: Tensor, labels: Tensor, widths: Sequence[int], seed: int, epochs: int, lr: float = 1e-3
) -> tuple[nn.Sequential, float, float]:
    """Train a ReLU MLP ``widths`` (last width 1, a logit) full batch with Adam and binary cross-entropy.

    Args:
        x: inputs ``(n, widths[0])``.
        labels: 0/1 labels ``(n,)``.
        widths: layer widths, e.g. ``[2, 96, 96, 96, 1]``.
        seed: initialisation and training seed.
        epochs: full-batch epochs.
        lr: Adam learning rate.

    Returns:
        ``(model, final epoch loss, training accuracy)``.
    """
    from mlpgeo.models import accuracy, mlp, train

    model = mlp(list(widths), seed=seed)
    history = train(model, x, labels.float(), loss="bce", epochs=epochs, lr=lr, seed=seed, progress=False)
    return model, history.epoch_loss[-1], accuracy(model, x, labels)


@dataclass
class RotationStudy:
    """Per-seed results of the Fig. 1 rotation experiment (see :func:`rotation_study`).

    Attributes:
        aligned: :func:`rotation_commutation` of (original, rotated model) at the rotation angle, per seed.
        unaligned: the same comparison at angle 0 (without rotating back), per seed.
        retrained: original model against one retrained on the same data (seed + 100) at angle 0, per seed.
        loss: final BCE losses, original and rotated model per seed (``2 s`` values).
        acc: training accuracies, same order as ``loss``.
        shown: ``(model, model_rot)`` of the first seed, for the figure.
    """

    aligned: list[dict[str, float]]
    unaligned: list[dict[str, float]]
    retrained: list[dict[str, float]]
    loss: list[float]
    acc: list[float]
    shown: tuple[nn.Sequential, nn.Sequential]

    def values(self, kind: str, key: str) -> list[float]:
        """The per-seed ``key`` (e.g. ``"subspace"``, ``"kernel_corr"``) of ``kind`` (``"aligned"``, ...)."""
        return [m[key] for m in getattr(self, kind)]


def rotation_study(
    x: Tensor,
    labels: Tensor,
    seeds: Sequence[int],
    angle: float,
    epochs: int,
    points: Tensor,
    widths: Sequence[int] = (2, 96, 96, 96, 1),
) -> RotationStudy:
    """Fig. 1: does the partition learned on rotated data equal the rotated partition?

    For each seed, trains (:func:`train_bce`) one model on ``x`` and one on ``R x`` (rotation by ``angle``)
    and a third on ``x`` from seed + 100, and compares their VQ kernels on ``points`` with
    :func:`rotation_commutation`: rotated vs original at ``angle`` (aligned), at 0 (unaligned), and
    retrained vs original at 0.

    Args:
        x: 2-D training points ``(n, 2)``.
        labels: 0/1 labels ``(n,)``.
        seeds: one seed per repetition.
        angle: rotation angle in radians.
        epochs: full-batch training epochs.
        points: evaluation points ``(p, 2)``, e.g. :func:`disc_grid`.
        widths: the MLP's layer widths.

    Returns:
        A :class:`RotationStudy`.
    """
    from mlpgeo.data import rotate

    x_rot = rotate(x, angle)
    study = RotationStudy([], [], [], [], [], None)  # type: ignore[arg-type]
    for seed in seeds:
        model, loss, acc = train_bce(x, labels, widths, seed, epochs)
        model_rot, loss_rot, acc_rot = train_bce(x_rot, labels, widths, seed, epochs)
        model_again, _, _ = train_bce(x, labels, widths, seed + 100, epochs)
        study.aligned.append(rotation_commutation(model, model_rot, points, angle))
        study.unaligned.append(rotation_commutation(model, model_rot, points, 0.0))
        study.retrained.append(rotation_commutation(model, model_again, points, 0.0))
        study.loss += [loss, loss_rot]
        study.acc += [acc, acc_rot]
        if study.shown is None:
            study.shown = (model, model_rot)
    return study


def rotation_verdict(aligned: Sequence[float], unaligned: Sequence[float], retrained: Sequence[float]) -> str:
    """Verdict on "the partition approximately commutes with the rotation" from per-seed similarities.

    Reproduced if ``aligned_s > unaligned_s`` for every seed and ``mean(aligned) >= mean(retrained) - 2
    std(retrained)`` (sample std; 0 for a single seed); partly reproduced if only the first holds;
    otherwise not reproduced.

    Args:
        aligned: per-seed similarity, rotated model vs rotated-back original ``(s,)``.
        unaligned: per-seed similarity without rotating back ``(s,)``.
        retrained: per-seed similarity of two models trained on the same data ``(s,)``.

    Returns:
        The verdict string.
    """
    better_than_unaligned = all(a > u for a, u in zip(aligned, unaligned))
    spread = float(np.std(retrained, ddof=1)) if len(retrained) > 1 else 0.0  # one seed: no spread
    as_good_as_retrained = np.mean(aligned) >= np.mean(retrained) - 2 * spread
    if better_than_unaligned and as_good_as_retrained:
        return "reproduced"
    return "partly reproduced" if better_than_unaligned else "not reproduced"


def rotation_claim(study: RotationStudy) -> tuple[dict, str]:
    """The measured numbers and the :func:`rotation_verdict` (on the eigen-subspace similarity) of Fig. 1.

    Args:
        study: the output of :func:`rotation_study`.

    Returns:
        ``(measured, verdict)`` for :meth:`mlpgeo.report.Recorder.claim`.
    """
    from mlpgeo.report import summarize

    measured = {
        "subspace_aligned": summarize(study.values("aligned", "subspace")),
        "subspace_unaligned": summarize(study.values("unaligned", "subspace")),
        "subspace_retrained_same_data": summarize(study.values("retrained", "subspace")),
        "kernel_corr_aligned": summarize(study.values("aligned", "kernel_corr")),
        "kernel_corr_unaligned": summarize(study.values("unaligned", "kernel_corr")),
    }
    eigvec_keys = sorted(key for key in study.aligned[0] if key.startswith("eigvec_corr_"))
    for key in eigvec_keys:
        measured[f"{key}_aligned"] = summarize(study.values("aligned", key))
    verdict = rotation_verdict(*(study.values(kind, "subspace") for kind in ("aligned", "unaligned", "retrained")))
    return measured, verdict


def plot_rotation_eigenvectors(
    models: Sequence[nn.Sequential], datasets: Sequence[Tensor], labels: Tensor, points: Tensor,
    names: Sequence[str] = ("original", "rotated"), k: int = 3,
) -> Figure:
    """Fig. 1: per model, the ``k`` dominant MDS eigenvectors of its VQ kernel over ``points`` and its kernel on its data.

    Args:
        models: one 2-D model per row.
        datasets: the training points ``(n, 2)`` of each model (drawn as black dots).
        labels: labels ``(n,)`` used to order the kernels.
        points: disc points ``(p, 2)`` from :func:`disc_grid`.
        names: row names.
        k: eigenvectors per row.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(models), k + 1, figsize=(3.25 * (k + 1), 3.1 * len(models)), squeeze=False)
    for row, (model, x, name) in enumerate(zip(models, datasets, names)):
        mds = code_mds(model, points, k=k)
        for i in range(k):
            plot_disc_field(points, mds.eigenvectors[:, i].float(), ax=axes[row, i],
                            title=f"{name}: eigvec {i + 1}, λ/λ₁ = {mds.normalised[i]:.2f}")
            axes[row, i].scatter(x[:, 0], x[:, 1], s=3, c="k", alpha=0.5)
        plot_kernel(vq_distance(model, x), labels, ax=axes[row, k], title=f"{name}: VQ kernel, training data",
                    colorbar_label="VQ distance d")
    return fig


def high_dim_study(seed: int, angle: float, epochs: int, n: int = 150, n_test: int = 300) -> tuple[dict, tuple]:
    """Fig. 2 for one seed: embedding scores of VQ kernels and Euclidean distances on high-dimensional moons.

    Data: :func:`mlpgeo.data.high_dim_moons` (``n`` points, seed ``seed``), a copy rotated by ``angle`` in
    the signal plane (first two coordinates), ``n_test`` held-out points (seed ``seed + 1000``) and the
    training labels shuffled (generator seeded by ``seed``). A ReLU MLP ``[100, 64, 64, 64, 1]`` is trained
    (BCE, :func:`train_bce`) on each of: the data, the rotated data, the shuffled labels.

    Args:
        seed: data, initialisation and training seed.
        angle: rotation angle in radians.
        epochs: full-batch training epochs.
        n: training points.
        n_test: held-out points.

    Returns:
        ``(scores, (x, x_rot, y, nets))``: ``scores[kind]`` is :func:`embedding_scores` for kinds ``vq``,
        ``vq_rot``, ``vq_shuffled``, ``euclidean`` (squared distance), ``vq_heldout``,
        ``euclidean_heldout``; ``scores["test_accuracy"]`` is the classifier's held-out accuracy;
        ``nets`` maps ``vq``, ``vq_rot``, ``vq_shuffled`` to the trained models.
    """
    from mlpgeo.data import high_dim_moons, rotate
    from mlpgeo.models import accuracy

    x, y = high_dim_moons(n, seed=seed)
    x_rot = torch.cat([rotate(x[:, :2], angle), x[:, 2:]], 1)
    x_test, y_test = high_dim_moons(n_test, seed=seed + 1000)
    y_shuffled = y[torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))]
    scores, nets = {}, {}
    for name, xx, yy in [("vq", x, y), ("vq_rot", x_rot, y), ("vq_shuffled", x, y_shuffled)]:
        nets[name], _, _ = train_bce(xx, yy, [x.shape[1], 64, 64, 64, 1], seed, epochs)
        scores[name] = embedding_scores(vq_distance(nets[name], xx), yy, seed=seed)
    scores["euclidean"] = embedding_scores(torch.cdist(x, x).pow(2), y, seed=seed)
    scores["vq_heldout"] = embedding_scores(vq_distance(nets["vq"], x_test), y_test, seed=seed)
    scores["euclidean_heldout"] = embedding_scores(torch.cdist(x_test, x_test).pow(2), y_test, seed=seed)
    scores["test_accuracy"] = accuracy(nets["vq"], x_test, y_test)
    return scores, (x, x_rot, y, nets)


def score_values(scores: Sequence[dict], kind: str, metric: str) -> list[float]:
    """Per-seed ``scores[kind][metric]`` from a list of :func:`high_dim_study` scores."""
    return [s[kind][metric] for s in scores]


def mean_score(scores: Sequence[dict], kind: str, metric: str) -> float:
    """Mean over seeds of ``scores[kind][metric]``."""
    return float(np.mean(score_values(scores, kind, metric)))


def high_dim_table(scores: Sequence[dict]) -> str:
    """A text table: mean ± std of the four embedding scores for every kind of kernel."""
    metrics = ("probe_acc", "silhouette", "effective_rank", "top2_share")
    lines = [f"{'kernel':>18} | probe accuracy | silhouette | effective rank | top-2 share"]
    for kind in ("vq", "vq_rot", "euclidean", "vq_heldout", "euclidean_heldout", "vq_shuffled"):
        lines.append(f"{kind:>18} | " + " | ".join(format_mean_std(score_values(scores, kind, m)) for m in metrics))
    return "\n".join(lines)


def high_dim_claims(scores: Sequence[dict]) -> dict[str, tuple[dict, str]]:
    """The three Fig. 2 claims: measured numbers and verdicts from the seed means of :func:`high_dim_study`.

    Criteria (seed means): ``separation``: VQ probe accuracy >= 0.9 and Euclidean <= 0.7 -> reproduced,
    else not. ``low_rank``: effective rank of VQ <= half the Euclidean one -> reproduced, else not.
    ``geometry``: held-out VQ probe >= 0.9 and shuffled-label VQ probe < 0.9 -> reproduced; one of the two
    -> partly; neither -> not reproduced.

    Args:
        scores: per-seed scores.

    Returns:
        ``{"separation" | "low_rank" | "geometry": (measured, verdict)}``.
    """
    from mlpgeo.report import summarize

    def measured(*items: tuple[str, str, str]) -> dict:
        return {name: summarize(score_values(scores, kind, metric)) for name, kind, metric in items}

    separates = mean_score(scores, "vq", "probe_acc") >= 0.9 and mean_score(scores, "euclidean", "probe_acc") <= 0.7
    low_rank = mean_score(scores, "vq", "effective_rank") <= 0.5 * mean_score(scores, "euclidean", "effective_rank")
    geometry = mean_score(scores, "vq_heldout", "probe_acc") >= 0.9
    memorised = mean_score(scores, "vq_shuffled", "probe_acc") >= 0.9
    return {
        "separation": (measured(("probe_acc_vq", "vq", "probe_acc"), ("probe_acc_vq_rotated", "vq_rot", "probe_acc"),
                                ("probe_acc_euclidean", "euclidean", "probe_acc"), ("silhouette_vq", "vq", "silhouette"),
                                ("silhouette_euclidean", "euclidean", "silhouette")),
                       "reproduced" if separates else "not reproduced"),
        "low_rank": (measured(("effective_rank_vq", "vq", "effective_rank"),
                              ("effective_rank_euclidean", "euclidean", "effective_rank"),
                              ("top2_share_vq", "vq", "top2_share"), ("top2_share_euclidean", "euclidean", "top2_share")),
                     "reproduced" if low_rank else "not reproduced"),
        "geometry": ({**measured(("probe_acc_vq_heldout", "vq_heldout", "probe_acc"),
                                 ("probe_acc_vq_shuffled_labels", "vq_shuffled", "probe_acc")),
                      "classifier_test_accuracy": summarize([s["test_accuracy"] for s in scores])},
                     "reproduced" if geometry and not memorised
                     else "partly reproduced" if geometry or not memorised else "not reproduced"),
    }


def plot_high_dim_embeddings(x: Tensor, x_rot: Tensor, y: Tensor, nets: dict[str, nn.Sequential]) -> Figure:
    """Fig. 2: 2-D MDS (top) and the matrix (bottom) of the VQ kernel, its rotated-data twin and the squared Euclidean distance.

    Args:
        x: training points ``(n, d)``.
        x_rot: rotated training points ``(n, d)``.
        y: labels ``(n,)``.
        nets: ``{"vq": model, "vq_rot": model, ...}`` from :func:`high_dim_study`.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(12, 7.5))
    panels = [("VQ kernel", vq_distance(nets["vq"], x)), ("VQ kernel, rotated data", vq_distance(nets["vq_rot"], x_rot)),
              ("squared Euclidean distance", torch.cdist(x, x).pow(2))]
    for col, (name, d) in enumerate(panels):
        plot_embedding(classical_mds(d, 2).embedding, y, ax=axes[0, col], title=f"MDS of the {name}")
        plot_kernel(d, y, ax=axes[1, col], title=name)
    return fig


def plot_high_dim_controls(x: Tensor, y: Tensor, x_test: Tensor, y_test: Tensor, nets: dict[str, nn.Sequential], top: int = 40) -> Figure:
    """Fig. 2 controls: MDS of held-out points, MDS under the shuffled-label net, and MDS spectra ``λ_i / λ_1``.

    Args:
        x: training points ``(n, d)``.
        y: labels ``(n,)``.
        x_test: held-out points ``(m, d)``.
        y_test: held-out labels ``(m,)``.
        nets: ``{"vq": model, "vq_shuffled": model, ...}`` from :func:`high_dim_study`.
        top: eigenvalues shown in the spectrum panel.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    plot_embedding(classical_mds(vq_distance(nets["vq"], x_test), 2).embedding, y_test, ax=axes[0],
                   title="VQ kernel MDS, 300 held-out points")
    plot_embedding(classical_mds(vq_distance(nets["vq_shuffled"], x), 2).embedding, y, ax=axes[1],
                   title="VQ MDS, net trained on shuffled labels\n(coloured by TRUE label)")
    for name, d in [("VQ (train)", vq_distance(nets["vq"], x)), ("VQ (held-out)", vq_distance(nets["vq"], x_test)),
                    ("Euclidean", torch.cdist(x, x).pow(2))]:
        spectrum = mds_spectrum(d)
        axes[2].plot(np.arange(1, top + 1), (spectrum[:top] / spectrum[0]).numpy(), marker=".", label=name)
    axes[2].set(xlabel="eigenvalue index", ylabel="λ / λ₁", title="MDS spectra", yscale="log")
    axes[2].legend()
    return fig


KERNEL_NAMES = ("Trained(4)", "Trained(6)", "Init(4)", "Init(6)")
PAPER_COSINES = torch.tensor(
    [[1.00, 0.55, 0.28, 0.38], [0.55, 1.00, 0.28, 0.40], [0.28, 0.28, 1.00, 0.87], [0.38, 0.40, 0.87, 1.00]],
    dtype=torch.float64,
)  # the paper's Fig. 3 table, order KERNEL_NAMES
TABLE_PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))


@dataclass
class MnistKernelStudy:
    """Per-seed results of the Figs. 3-4 experiment (see :func:`mnist_kernel_study`).

    Attributes:
        primary: cosine tables at the primary reading (linear form, pooled median sigma^2) ``(s, 4, 4)``.
        sweeps: per form, cosine tables over the sweep grid ``(s, g, 4, 4)``.
        fits: per form, cosine tables over the finer fit grid ``(s, g', 4, 4)``.
        accuracies: per seed, test accuracy of each trained net.
        shown_kernels: the four VQ kernels of the first seed, each ``(n, n)``.
        shown_sigma2: the primary sigma^2 of the first seed.
    """

    primary: Tensor
    sweeps: dict[str, Tensor]
    fits: dict[str, Tensor]
    accuracies: list[dict[str, float]]
    shown_kernels: list[Tensor]
    shown_sigma2: float


def mnist_kernel_study(
    x_train: Tensor, y_train: Tensor, x_test: Tensor, y_test: Tensor, seeds: Sequence[int],
    sweep: dict[str, Sequence[float]], fit_grid: dict[str, Sequence[float]], names: Sequence[str] = KERNEL_NAMES,
) -> MnistKernelStudy:
    """Figs. 3-4: cosine tables of heat kernels of 4- and 6-layer nets before and after training, per seed.

    Per seed: :func:`depth_kernels` (depths 4 and 6, width 16); primary table = cosine table of the heat
    kernels ``exp(-d / sigma^2)`` with sigma^2 = :func:`median_sigma2` pooled over the four kernels; and
    the same over ``sweep[form]`` and ``fit_grid[form]`` for each form (all by :func:`heat_cosine_sweep`).

    Args:
        x_train: training inputs ``(n_train, d)``.
        y_train: training labels ``(n_train,)``.
        x_test: inputs the kernels are computed on ``(n, d)``.
        y_test: their labels ``(n,)``.
        seeds: one seed per repetition.
        sweep: sigma^2 grid per form (``"linear"``, ``"squared"``).
        fit_grid: finer sigma^2 grid per form, for :func:`fit_sigma2`.
        names: kernel order of the tables.

    Returns:
        A :class:`MnistKernelStudy`.
    """
    primary, sweeps, fits, accuracies = [], {f: [] for f in sweep}, {f: [] for f in fit_grid}, []
    shown_kernels, shown_sigma2 = [], float("nan")
    for seed in seeds:
        kernels, acc = depth_kernels(x_train, y_train, x_test, depths=(4, 6), width=16, seed=seed, y_test=y_test)
        accuracies.append(acc)
        ds = [kernels[name] for name in names]
        sigma2 = median_sigma2(ds, "linear")
        primary.append(heat_cosine_sweep(ds, [sigma2], "linear")[0])
        for form in sweep:
            sweeps[form].append(heat_cosine_sweep(ds, sweep[form], form))
            fits[form].append(heat_cosine_sweep(ds, fit_grid[form], form))
        if not shown_kernels:
            shown_kernels, shown_sigma2 = ds, sigma2
    return MnistKernelStudy(torch.stack(primary), {f: torch.stack(t) for f, t in sweeps.items()},
                            {f: torch.stack(t) for f, t in fits.items()}, accuracies, shown_kernels, shown_sigma2)


def fit_sigma2(
    tables: Tensor, grid: Sequence[float], target: Tensor = PAPER_COSINES, pairs: Sequence[tuple[int, int]] = TABLE_PAIRS
) -> tuple[float, float, Tensor]:
    """The one sigma^2 of ``grid`` whose seed-mean cosine table best matches ``target`` on ``pairs``.

    ``RMSE(g) = sqrt(mean_{(i,j) in pairs} (mean_s tables[s, g, i, j] - target[i, j])^2)``, minimised over ``g``.

    Args:
        tables: cosine tables ``(s, g, k, k)``.
        grid: the ``g`` sigma^2 values.
        target: the table to match ``(k, k)``.
        pairs: the entries compared.

    Returns:
        ``(best sigma^2, its RMSE, the per-seed tables at it (s, k, k))``.
    """
    mean_tables = tables.mean(0)
    rows, cols = zip(*pairs)
    rmse = torch.stack([(t - target)[list(rows), list(cols)].pow(2).mean().sqrt() for t in mean_tables])
    best = int(rmse.argmin())
    return float(grid[best]), float(rmse[best]), tables[:, best]


def entry_spread(tables: Tensor, pairs: Sequence[tuple[int, int]] = TABLE_PAIRS) -> float:
    """Seed spread of table entries: the sample std over seeds of each entry in ``pairs``, averaged.

    Args:
        tables: per-seed tables ``(s, k, k)``, ``s >= 2``.
        pairs: the entries ``(i, j)``.

    Returns:
        ``mean_{(i,j) in pairs} std_s tables[s, i, j]``.
    """
    if tables.shape[0] < 2:
        raise ValueError("a seed spread needs at least two seeds.")
    rows, cols = zip(*pairs)
    return float(tables[:, list(rows), list(cols)].std(0).mean())


def plot_depth_kernels(kernels: Sequence[Tensor], labels: Tensor, names: Sequence[str] = KERNEL_NAMES) -> Figure:
    """The VQ kernels of Figs. 3-4 side by side, rows and columns ordered by label (:func:`plot_kernel`).

    Args:
        kernels: ``k`` distance matrices ``(n, n)``.
        labels: labels ``(n,)``.
        names: one panel title per kernel.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(kernels), figsize=(3.5 * len(kernels), 3.4), squeeze=False)
    for ax, name, d in zip(axes[0], names, kernels):
        plot_kernel(d, labels, ax=ax, title=name, cmap="viridis", colorbar_label="VQ distance d")
    return fig


def plot_table_comparison(
    tables: Sequence[Tensor], titles: Sequence[str], names: Sequence[str] = KERNEL_NAMES
) -> Figure:
    """Cosine tables side by side (:func:`plot_cosine_table`), e.g. ours at two readings and the paper's.

    Args:
        tables: ``(k, k)`` tables.
        titles: one title per table.
        names: kernel names of the rows and columns.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(tables), figsize=(4.4 * len(tables), 4), squeeze=False)
    for ax, table, title in zip(axes[0], tables, titles):
        plot_cosine_table(table, names, ax=ax, title=title)
    return fig


def best_fits(study: MnistKernelStudy, fit_grid: dict[str, Sequence[float]]) -> tuple[dict[str, tuple[float, float, Tensor]], str]:
    """:func:`fit_sigma2` for each heat-kernel form, and the form with the smallest RMSE.

    Args:
        study: the output of :func:`mnist_kernel_study`.
        fit_grid: the grid each form's ``study.fits`` was computed on.

    Returns:
        ``({form: (sigma2, rmse, tables (s, 4, 4))}, best form)``.
    """
    fits = {form: fit_sigma2(study.fits[form], fit_grid[form]) for form in fit_grid}
    return fits, min(fits, key=lambda form: fits[form][1])


def trained_alike_claim(primary: Tensor, sweeps: dict[str, Tensor]) -> tuple[dict, str]:
    """Verdict on "trained kernels are more alike than each is to its initialisation" (Fig. 3).

    Holds for a table when ``cos(T4, T6) > max(cos(T4, I4), cos(T6, I6))``. Reproduced if it holds for
    every seed at the primary reading *and* the seed-mean tables satisfy it at >= 75% of the unsaturated
    sweep values of both forms (:func:`claim_holds_fraction`); partly if one of the two; else not.

    Args:
        primary: per-seed primary tables ``(s, 4, 4)``.
        sweeps: per form, per-seed sweep tables ``(s, g, 4, 4)``.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    holds_primary = bool((primary[:, 0, 1] > torch.maximum(primary[:, 0, 2], primary[:, 1, 3])).all())
    fractions = {form: claim_holds_fraction(tables.mean(0)) for form, tables in sweeps.items()}
    sweep_ok = all(f >= 0.75 for f, _ in fractions.values())
    verdict = ("reproduced" if holds_primary and sweep_ok
               else "partly reproduced" if holds_primary or sweep_ok else "not reproduced")
    measured = {
        "cos_T4_T6": summarize(primary[:, 0, 1]),
        "cos_T4_I4": summarize(primary[:, 0, 2]),
        "cos_T6_I6": summarize(primary[:, 1, 3]),
        "holds_all_seeds_primary": float(holds_primary),
        **{f"sweep_fraction_{form}": fractions[form][0] for form in sweeps},
    }
    return measured, verdict


def claim_holds_sigma2(tables: Tensor, grid: Sequence[float]) -> list[float]:
    """The ``sigma^2`` values of ``grid`` at which the seed-mean table satisfies the Fig. 3 claim.

    The claim at one ``sigma^2``: ``cos(T_a, T_b) > max(cos(T_a, I_a), cos(T_b, I_b))`` (order Trained(a),
    Trained(b), Init(a), Init(b)), on ``mean_s tables[s, g]``.

    Args:
        tables: per-seed sweep tables ``(s, g, 4, 4)``.
        grid: the ``g`` sigma^2 values.

    Returns:
        The grid values where the claim holds, ascending as in ``grid``.
    """
    if tables.shape[1] != len(grid):
        raise ValueError(f"tables hold {tables.shape[1]} sigma^2 values but grid has {len(grid)}.")
    mean = tables.mean(0)
    holds = mean[:, 0, 1] > torch.maximum(mean[:, 0, 2], mean[:, 1, 3])
    return [float(g) for g, h in zip(grid, holds.tolist()) if h]


def trained_vs_inits_claim(primary: Tensor) -> tuple[dict, str]:
    """Reading (a): ``cos(T4, T6) > cos(I4, I6)`` for every seed -> reproduced, else not reproduced.

    Args:
        primary: per-seed primary tables ``(s, 4, 4)``.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    holds = bool((primary[:, 0, 1] > primary[:, 2, 3]).all())
    measured = {"cos_T4_T6": summarize(primary[:, 0, 1]), "cos_I4_I6": summarize(primary[:, 2, 3])}
    return measured, "reproduced" if holds else "not reproduced"


def entry_tolerance(values: Tensor) -> float:
    """``max(0.05, 2 std)`` (sample std) of per-seed values ``(s,)``; 0.05 for a single seed."""
    return max(0.05, 2 * float(values.std())) if len(values) > 1 else 0.05


def table_entry_verdict(ours: Tensor, fitted: Tensor, paper: float) -> str:
    """Verdict on one table entry: reproduced if ``|mean(ours) - paper| <= tolerance(ours)``; partly if that
    holds for the values at the fitted sigma^2; else not (tolerance: :func:`entry_tolerance`).

    Args:
        ours: per-seed values at the primary reading ``(s,)``.
        fitted: per-seed values at the fitted sigma^2 ``(s,)``.
        paper: the paper's value.

    Returns:
        The verdict string.
    """
    if abs(float(ours.mean()) - paper) <= entry_tolerance(ours):
        return "reproduced"
    return "partly reproduced" if abs(float(fitted.mean()) - paper) <= entry_tolerance(fitted) else "not reproduced"


def plot_sigma_sweep(
    sweeps: dict[str, Tensor], grids: dict[str, Sequence[float]], paper: Tensor = PAPER_COSINES,
    names: Sequence[str] = KERNEL_NAMES, pairs: Sequence[tuple[int, int]] = TABLE_PAIRS,
) -> Figure:
    """Fig. 4: cosine similarity of each pair of heat kernels against sigma^2, one panel per form.

    Args:
        sweeps: per form, per-seed tables ``(s, g, 4, 4)``.
        grids: per form, the ``g`` sigma^2 values.
        paper: the paper's table (dotted lines).
        names: kernel names.
        pairs: the pairs drawn.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    from mlpgeo.plotting import color

    fig, axes = plt.subplots(1, len(sweeps), figsize=(12, 4), squeeze=False)
    for ax, (form, tables) in zip(axes[0], sweeps.items()):
        for k, (i, j) in enumerate(pairs):
            values = tables[:, :, i, j]
            ax.errorbar(grids[form], values.mean(0), yerr=values.std(0) if len(tables) > 1 else None, marker=".",
                        color=color(k), label=f"{names[i]} vs {names[j]}", capsize=2)
            ax.axhline(float(paper[i, j]), color=color(k), ls=":", lw=1)
        ax.set(xscale="log", xlabel="σ²", ylabel="cosine similarity",
               title="h = exp(−d / σ²)  (section 3.1)" if form == "linear" else "h = exp(−d² / σ²)  (appendix A.2)")
    axes[0, 0].legend(fontsize=7, loc="lower right")
    return fig


def lemma_study(
    seeds: Sequence[int], archs: dict[str, Sequence[Sequence[int]]], points: Tensor, x: Tensor, labels: Tensor,
    epochs: int = 300, lr: float = 3e-3,
) -> list[dict]:
    """:func:`lemma_check` for every seed, architecture and state (random, trained on ``(x, labels)`` with BCE).

    Args:
        seeds: initialisation/training seeds.
        archs: ``{kind: [widths, ...]}``, e.g. ``{"shallow": [[2, 16, 1]], "deep": [[2, 8, 8, 1]]}``.
        points: sample points ``(n, 2)`` in [-1, 1]^2.
        x: 2-D training points ``(m, 2)``.
        labels: their 0/1 labels ``(m,)``.
        epochs: full-batch training epochs.
        lr: Adam learning rate.

    Returns:
        One dict per network: ``kind``, ``widths``, ``trained``, ``seed`` and the :func:`lemma_check` numbers.
    """
    from mlpgeo.models import mlp, train

    rows = []
    for seed in seeds:
        for kind, widths_list in archs.items():
            for widths in widths_list:
                for trained in (False, True):
                    model = mlp(list(widths), seed=seed)
                    if trained:
                        train(model, x, labels.float(), loss="bce", epochs=epochs, lr=lr, seed=seed, progress=False)
                    rows.append({"kind": kind, "widths": widths, "trained": trained, "seed": seed,
                                 **lemma_check(model, points)})
    return rows


def lemma_table(rows: Sequence[dict]) -> str:
    """A text table of :func:`lemma_study` rows."""
    lines = [f"{'net':>22} {'trained':>7} | regions | edges | multi-bit edges | d=dΩ (points) | d<dΩ | d>dΩ | max gap | d<dΩ (regions)"]
    for r in rows:
        lines.append(f"{str(r['widths']):>22} {str(r['trained']):>7} | {r['regions']:7d} | {r['edges']:5d} | "
                     f"{r['edges_multi_bit']:15d} | {r['equal_frac']:13.3f} | {r['less_frac']:.3f} | "
                     f"{r['greater_frac']:.3f} | {r['max_gap']:7.0f} | {r['region_less_frac']:.3f}")
    return "\n".join(lines)


def lemma1_claim(rows: Sequence[dict]) -> tuple[dict, str]:
    """Lemma 1 on the ``kind == "shallow"`` rows: reproduced iff d = d_Omega for all point and region pairs of every net.

    Args:
        rows: :func:`lemma_study` rows.

    Returns:
        ``(measured, verdict)``.
    """
    shallow = [r for r in rows if r["kind"] == "shallow"]
    holds = all(r["equal_frac"] == 1.0 and r["region_equal_frac"] == 1.0 for r in shallow)
    measured = {"networks": len(shallow), "min_equal_frac_points": min(r["equal_frac"] for r in shallow),
                "min_equal_frac_regions": min(r["region_equal_frac"] for r in shallow),
                "multi_bit_edges": sum(r["edges_multi_bit"] for r in shallow)}
    return measured, "reproduced" if holds else "not reproduced"


def lemma2_claim(rows: Sequence[dict]) -> tuple[dict, str]:
    """Lemma 2 on the ``kind == "deep"`` rows: d <= d_Omega everywhere (points and regions) and d < d_Omega
    for some pairs -> reproduced; only the bound -> partly; a violation -> not reproduced.

    Args:
        rows: :func:`lemma_study` rows.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    deep = [r for r in rows if r["kind"] == "deep"]
    bound = all(r["greater_frac"] == 0.0 and r["region_greater_frac"] == 0.0 for r in deep)
    measured = {"networks": len(deep), "max_greater_frac": max(max(r["greater_frac"], r["region_greater_frac"]) for r in deep),
                "less_frac_points": summarize([r["less_frac"] for r in deep]),
                "less_frac_regions": summarize([r["region_less_frac"] for r in deep]),
                "max_gap": max(r["max_gap"] for r in deep)}
    verdict = ("reproduced" if bound and any(r["less_frac"] > 0 for r in deep)
               else "partly reproduced" if bound else "not reproduced")
    return measured, verdict


def width1_study(depths: Sequence[int]) -> dict[str, list]:
    """The appendix's width-1 chains for each ``L`` in ``depths``: the printed map ``2z - ReLU(2z - 1)`` and
    the tent map ``2z - 2 ReLU(2z - 1)`` (:func:`skip_chain_partition` with ``scale=-2``).

    Args:
        depths: chain lengths ``L``.

    Returns:
        ``depths``; ``printed`` and ``tent`` interval counts; ``tent_max_d`` and ``tent_max_d_omega``: the
        largest VQ and partition distance between the tent chain's intervals.
    """
    printed = [skip_chain_partition(L) for L in depths]
    tent = [skip_chain_partition(L, scale=-2.0) for L in depths]
    return {
        "depths": list(depths),
        "printed": [len(c) for c in printed],
        "tent": [len(c) for c in tent],
        "tent_max_d": [float(c.vq_distance().max()) for c in tent],
        "tent_max_d_omega": [float(c.partition_distance().max()) for c in tent],
    }


def width1_claim(study: dict[str, list]) -> tuple[dict, str]:
    """Verdict on "L width-1 layers make 2^L intervals": reproduced if the printed map gives ``2^L`` for every
    L; partly if only the tent map does, with ``max d <= L`` and ``max d_Omega = 2^L - 1``; else not.

    Args:
        study: the output of :func:`width1_study`.

    Returns:
        ``(measured, verdict)`` (measured at the largest L).
    """
    powers = [2**L for L in study["depths"]]
    printed_ok = study["printed"] == powers
    tent_ok = study["tent"] == powers and all(
        d <= L and d_omega == 2**L - 1 for L, d, d_omega in zip(study["depths"], study["tent_max_d"], study["tent_max_d_omega"]))
    L = study["depths"][-1]
    measured = {f"intervals_printed_L{L}": study["printed"][-1], f"intervals_tent_L{L}": study["tent"][-1],
                f"max_d_tent_L{L}": study["tent_max_d"][-1], f"max_d_omega_tent_L{L}": study["tent_max_d_omega"][-1]}
    return measured, "reproduced" if printed_ok else "partly reproduced" if tent_ok else "not reproduced"


def plot_width1_chain(study: dict[str, list]) -> Figure:
    """Intervals of the printed and the tent chain against ``L`` (left); the tent chain's max d and d_Omega (right).

    Args:
        study: the output of :func:`width1_study`.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    depths = study["depths"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    axes[0].plot(depths, study["printed"], marker="o", label="printed: 2z − ReLU(2z − 1)")
    axes[0].plot(depths, study["tent"], marker="s", label="tent: 2z − 2 ReLU(2z − 1)")
    axes[0].plot(depths, [2**L for L in depths], ls=":", color="k", label="$2^L$")
    axes[0].set(yscale="log", xlabel="L (layers of one neuron)", ylabel="intervals of [0, 1]", title="pieces of the L-fold composition")
    axes[0].legend()
    axes[1].plot(depths, study["tent_max_d"], marker="o", label="max VQ distance d (tent)")
    axes[1].plot(depths, study["tent_max_d_omega"], marker="s", label="max partition distance $d_\\Omega$ (tent)")
    axes[1].set(yscale="log", xlabel="L", ylabel="distance", title="d ≤ L while $d_\\Omega$ = $2^L$ − 1")
    axes[1].legend()
    return fig


def table_entry_claims(
    primary: Tensor, fitted: Tensor, fit_label: str, names: Sequence[str] = KERNEL_NAMES,
    paper: Tensor = PAPER_COSINES, pairs: Sequence[tuple[int, int]] = TABLE_PAIRS,
) -> list[tuple[str, str, float, dict, str]]:
    """One claim per entry of the paper's Fig. 3 table, judged by :func:`table_entry_verdict`.

    Args:
        primary: per-seed tables at the primary reading ``(s, 4, 4)``.
        fitted: per-seed tables at the fitted sigma^2 ``(s, 4, 4)``.
        fit_label: key of the fitted numbers in ``measured``, e.g. ``"fitted_linear_sigma2_3.1"``.
        names: kernel names in table order.
        paper: the paper's table ``(4, 4)``.
        pairs: the entries judged.

    Returns:
        ``[(claim id, claim, paper value, measured, verdict), ...]`` in the order of ``pairs``.
    """
    from mlpgeo.report import summarize

    claims = []
    for i, j in pairs:
        value = float(paper[i, j])
        claim_id = f"fig3-table-{names[i]}-{names[j]}".lower().replace("(", "").replace(")", "")
        measured = {"primary": summarize(primary[:, i, j]), fit_label: summarize(fitted[:, i, j])}
        claims.append((claim_id, f"Fig. 3 table entry cos({names[i]}, {names[j]}).", value, measured,
                       table_entry_verdict(primary[:, i, j], fitted[:, i, j], value)))
    return claims
