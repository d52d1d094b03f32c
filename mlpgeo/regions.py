"""Exact linear regions of piecewise-linear MLPs in 1-D and 2-D, region statistics and counting bounds.

A ReLU (or LeakyReLU) MLP is affine on each cell of a partition of its input space; the cell of an input is
fixed by its *code*, the signs ``[z > 0]`` of every hidden neuron's pre-activation (layer order). Each cell
is convex (layer by layer it is an intersection of half-spaces, since the pre-activations are affine on a
cell of the previous layers). This module computes these cells exactly on a 2-D input (or a 2-D affine
slice ``x = origin + s u + t v`` of a higher-dimensional one) and on a 1-D input, for any
``nn.Sequential(Linear, act, ..., Linear)`` with ReLU or LeakyReLU activations, float32 or float64.

**Algorithm (2-D).** Start from one polygon (a box, or the whole plane) with the network's input map. For
each hidden layer ``l`` every polygon carries the affine map ``z_l = M v`` from its homogeneous 2-D
coordinates ``v = (s, t, 1)`` to the layer's pre-activations. For each neuron ``j`` of the layer, every
polygon whose vertices lie strictly on both sides of the neuron's line ``M_j v = 0`` is cut in two
(half-plane clipping, vectorised over all polygons at once). After the layer, each polygon's mask
``D = diag(1[z_l > 0] + slope 1[z_l <= 0])`` is read at an interior point and the map moves on:
``z_{l+1} = W_{l+1} D z_l + b_{l+1}``. The cost is about (regions x width) per layer.

**Geometry on the sphere.** Points are stored as unit vectors of homogeneous coordinates ``(s, t, w)``
(finite points have ``w > 0``, points at infinity ``w = 0``) and lines as unit normals, so the bounded
box and the whole plane (the hemisphere ``w >= 0``) use the same code: a cut of the whole plane is exact,
unbounded regions included. Every polygon edge is kept shorter than 90 degrees of arc (a vertex is
inserted in the middle of longer cut edges), so every cut is well conditioned.

**Tolerance.** A vertex whose (spherical) distance to a neuron's line is at most ``tol`` (default
``1e-11``; for a finite point at radius ``r`` this is a Euclidean distance of about ``tol (1 + r^2)``) counts
as lying on the line: a polygon is cut only if some vertex lies farther than ``tol`` on each side, so no
region thinner than ``tol`` is ever created. A neuron whose pre-activation is identically zero on a region
(a dead upstream path) gets the bit ``False``, as in a forward pass.

A "region" here is an *activation region* (a maximal set of inputs sharing a code). Two neighbouring
activation regions can carry the same affine map in degenerate cases (e.g. a neuron with zero outgoing
weights); they are still counted separately, as every exact-counting paper does.

**Precision and types.** The geometry is exact polygon clipping, so it runs in float64 numpy whatever the
model's dtype (float32 weights are converted exactly): a :class:`Regions` / :class:`Regions1D` and
everything computed from one (vertices, codes, maps, areas, adjacency, masks and segments over regions)
are numpy arrays (``torch.from_numpy`` converts them without a copy). Functions that take a model and
inputs (:func:`local_complexity`) return tensors; they too evaluate signs in float64.

**Cost.** Enumeration grows with the number of regions, which can explode (``n`` lines already make
``~n^2/2`` regions). Every enumeration checks the partition as it grows: past ``max_regions`` regions
(default :data:`MAX_REGIONS`) or past the memory budget of :mod:`mlpgeo.validate` (the per-region maps
take about ``88 x width`` bytes per region) it stops at once with an error that names the count, the
estimated memory and the argument that lowers it (a smaller box, a narrower model). Local complexity,
grid counts and point location work in chunks within the budget.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.collections import LineCollection, PolyCollection
from torch import Tensor, nn

from mlpgeo import plotting
from mlpgeo.models import weights
from mlpgeo.validate import (
    check_budget,
    check_generator,
    check_int,
    check_model,
    check_number,
    check_tensor,
    chunk_rows,
    require_piecewise_linear,
)

TOL = 1e-11
"""Default tolerance: the spherical distance below which a vertex counts as lying on a neuron's line."""

MAX_TOL = 1e-6
"""Largest accepted tolerance: beyond it whole regions would vanish into the tolerance."""

MAX_REGIONS = 1_000_000
"""Default cap on the number of regions an enumeration may build before it stops with an error."""

MAX_COORDINATE = 1e12
"""Largest accepted magnitude of a box coordinate (the homogeneous geometry is float64 on the unit sphere)."""

MAX_GRID_POINTS = 10**8
"""Largest grid :func:`grid_code_count` evaluates (``resolution <= 10,000``)."""

SCALE_LIMIT = 1e150
"""Largest magnitude (and inverse of the smallest non-zero one) of a neuron's affine map that the float64
geometry accepts: beyond it the squared norms overflow (or underflow) and lines would silently vanish."""

MAX_TERMS = 100_000
"""Largest number of binomial terms a counting bound sums (beyond it the integers have ~10^5+ digits)."""

__all__ = [
    "TOL",
    "MAX_TOL",
    "MAX_REGIONS",
    "MAX_COORDINATE",
    "MAX_GRID_POINTS",
    "MAX_TERMS",
    "SCALE_LIMIT",
    "Region",
    "Regions",
    "Regions1D",
    "linear_regions_2d",
    "linear_regions_1d",
    "count_regions_plane",
    "enclosing_bounds",
    "zaslavsky",
    "montufar_lower_bound",
    "deep_upper_bound",
    "local_complexity",
    "output_line",
    "boundary_regions",
    "decision_boundary",
    "region_summary",
    "code_statistics",
    "grid_code_count",
    "plot_regions",
    "plot_lines",
    "plot_boundary",
    "plot_partition",
]


# ----------------------------------------------------------------------------------------------------------
# Validation of this module's arguments (on top of mlpgeo.validate)
# ----------------------------------------------------------------------------------------------------------


def _check_tol(tol: Any, name: str = "tol") -> float:
    """A tolerance in ``[0, MAX_TOL]``."""
    tol = check_number(tol, name)
    if not 0 <= tol <= MAX_TOL:
        raise ValueError(
            f"{name}={tol!r} is outside [0, {MAX_TOL}]: it is the distance below which a point counts as lying on "
            f"a neuron's line, so a large value merges whole regions; keep the default ({TOL:g}) or lower it."
        )
    return tol


def _check_max_regions(max_regions: Any) -> int:
    return check_int(max_regions, "max_regions", low=1)


def _as_tensor(value: Any, name: str, dtype: torch.dtype | None = torch.float64) -> Tensor:
    """A tensor from a tensor, a numpy array of real numbers or a list of numbers (``dtype``; no copy of
    tensors or arrays)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiub":
            raise TypeError(f"{name} is a numpy array of dtype {value.dtype}; pass real numbers (float64).")
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, (list, tuple)):
        try:
            return torch.as_tensor(value, dtype=dtype)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{name} must be numbers (a tensor, array or list of numbers), got {value!r}.") from None
    raise TypeError(f"{name} must be a torch.Tensor (or a numpy array), got {type(value).__name__}.")


def _points(x: Any, name: str, d: int) -> np.ndarray:
    """Validated float64 points ``(p, d)`` from a float tensor or array (NaN, inf, complex, ints refused)."""
    x = check_tensor(_as_tensor(x, name), name, dims=2, kind="float")
    if x.shape[1] != d:
        raise ValueError(f"{name} has shape {tuple(x.shape)}; expected (n, {d}) ({d}-D coordinates).")
    return x.detach().cpu().double().numpy()


def _vector(value: Any, name: str, d: int) -> np.ndarray:
    """A validated finite float64 vector ``(d,)``."""
    v = check_tensor(_as_tensor(value, name), name, dims=1, kind="float")
    if v.shape != (d,):
        raise ValueError(f"{name} has shape {tuple(v.shape)}; the model expects ({d},).")
    return v.detach().cpu().double().numpy()


# ----------------------------------------------------------------------------------------------------------
# The network as float64 arrays
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    """One affine layer in float64: ``z = W h + b``, followed (for hidden layers) by a ReLU-like activation
    with slope ``1`` where ``z > 0`` and ``negative_slope`` elsewhere (0 for ReLU)."""

    W: np.ndarray
    b: np.ndarray
    negative_slope: float | None  # None for the output layer


def _network_layers(model: nn.Module) -> list[_Layer]:
    """The MLP's effective affine layers (:func:`mlpgeo.models.weights`) as float64 numpy arrays.

    Raises:
        TypeError: not an MLP, or a curved activation (GELU, tanh, ...).
        ValueError: NaN or infinite weights (also after merging LoRA factors), a non-finite LeakyReLU slope.
    """
    require_piecewise_linear(model)
    hidden = check_model(model)
    out: list[_Layer] = []
    for index, (weight, bias) in enumerate(weights(model)):
        W = weight.cpu().double().numpy().copy()
        b = bias.cpu().double().numpy().copy()
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ValueError(
                f"layer {index + 1} of the model holds NaN or infinite (merged) weights; regions are undefined. "
                "Check the training run that produced them."
            )
        if index < len(hidden):
            act = hidden[index][1]
            slope = 0.0
            if isinstance(act, nn.LeakyReLU):
                slope = check_number(act.negative_slope, f"negative_slope of hidden layer {index + 1}")
            out.append(_Layer(W, b, slope))
        else:
            out.append(_Layer(W, b, None))
    return out


def _check_plane(d_in: int, plane: Any) -> np.ndarray:
    """The input embedding ``E: (d_in, 3)`` with ``x = E (s, t, 1)``, from ``plane=(origin, u, v)``.

    Raises:
        TypeError: ``plane`` not a triple, vectors that are not real numbers.
        ValueError: a non-2-D input without a plane, wrong shapes, non-finite or parallel ``u``, ``v``.
    """
    if plane is None:
        if d_in != 2:
            raise ValueError(
                f"the model's input has {d_in} dimensions; pass plane=(origin, u, v) (each of shape "
                f"({d_in},)) to slice it along x = origin + s u + t v."
            )
        return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    if isinstance(plane, (str, bytes, Tensor, np.ndarray)) or not isinstance(plane, Sequence):
        raise TypeError(f"plane must be a triple (origin, u, v) of vectors of shape ({d_in},), "
                        f"got {type(plane).__name__}.")
    if len(plane) != 3:
        raise ValueError(f"plane must be a triple (origin, u, v) of vectors of shape ({d_in},), "
                         f"got {len(plane)} items.")
    origin, u, v = (_vector(p, f"plane {name}", d_in) for p, name in zip(plane, ("origin", "u", "v")))
    if np.linalg.matrix_rank(np.stack([u, v]), tol=1e-12) < 2:
        raise ValueError("plane directions u and v are parallel (or zero); choose two independent directions.")
    E = np.stack([u, v, origin], axis=1)
    if np.abs(E).max() > MAX_COORDINATE:
        raise ValueError(f"plane vectors reach {np.abs(E).max():.3g}; keep their entries within {MAX_COORDINATE:g} "
                         "(rescale u and v and the box together).")
    return E


def _check_bounds(bounds: Any) -> tuple[float, float, float, float]:
    """Validate ``(xmin, xmax, ymin, ymax)``: four finite numbers with ``xmin < xmax``, ``ymin < ymax``."""
    if isinstance(bounds, Tensor):
        bounds = bounds.tolist() if bounds.dim() == 1 else bounds
    if isinstance(bounds, np.ndarray):
        bounds = bounds.tolist() if bounds.ndim == 1 else bounds
    if isinstance(bounds, (str, bytes)) or not isinstance(bounds, Sequence):
        raise TypeError(f"bounds must be (xmin, xmax, ymin, ymax), got {type(bounds).__name__}.")
    if len(bounds) != 4:
        raise ValueError(f"bounds must be (xmin, xmax, ymin, ymax), got {bounds!r}.")
    values = []
    for i, b in enumerate(bounds):
        if isinstance(b, (int, float, np.floating, np.integer)) and not isinstance(b, bool) and not math.isfinite(b):
            raise ValueError(f"bounds must be finite, got {bounds!r}; use count_regions_plane for the whole plane.")
        values.append(check_number(b, f"bounds[{i}]"))
    xmin, xmax, ymin, ymax = values
    if xmin >= xmax or ymin >= ymax:
        raise ValueError(f"bounds {tuple(bounds)!r} need xmin < xmax and ymin < ymax.")
    if max(abs(b) for b in values) > MAX_COORDINATE:
        raise ValueError(f"bounds {tuple(values)!r} reach beyond {MAX_COORDINATE:g}; the float64 geometry cannot "
                         "resolve regions there. Use a smaller box, or count_regions_plane for the whole plane.")
    return xmin, xmax, ymin, ymax


def _forward_codes(layers: list[_Layer], E: np.ndarray, st: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and outputs of the network at 2-D (slice) coordinates, in float64.

    Args:
        layers: from :func:`_network_layers`.
        E: ``(d_in, 3)`` input embedding (see :func:`_check_plane`).
        st: ``(p, 2)`` coordinates.

    Returns:
        ``(code, out)``: bool ``(p, N)`` (pre-activation > 0, every hidden neuron in layer order) and
        ``(p, d_out)`` outputs.
    """
    h = st @ E[:, :2].T + E[:, 2]
    bits = []
    for layer in layers[:-1]:
        z = h @ layer.W.T + layer.b
        if not np.isfinite(z).all():
            raise ValueError("the model's pre-activations overflow float64 at these points; rescale its weights.")
        bits.append(z > 0)
        h = np.where(z > 0, z, layer.negative_slope * z)
    out = h @ layers[-1].W.T + layers[-1].b
    code = np.concatenate(bits, axis=1) if bits else np.zeros((len(st), 0), dtype=bool)
    return code, out


def _row_bytes(layers: list[_Layer]) -> int:
    """Bytes one input needs in a float64 forward pass (a few arrays of the widest layer, and its code)."""
    widest = max([layers[0].W.shape[1]] + [layer.W.shape[0] for layer in layers])
    return 8 * 4 * widest + sum(layer.W.shape[0] for layer in layers)


def _chunked_codes(layers: list[_Layer], E: np.ndarray, st: np.ndarray) -> np.ndarray:
    """:func:`_forward_codes`'s codes, computed in chunks of rows within the memory budget."""
    size = chunk_rows(_row_bytes(layers), len(st))
    if size >= len(st):
        return _forward_codes(layers, E, st)[0]
    return np.concatenate([_forward_codes(layers, E, st[i : i + size])[0] for i in range(0, len(st), size)])


# ----------------------------------------------------------------------------------------------------------
# Polygon cutting on the sphere (homogeneous coordinates)
# ----------------------------------------------------------------------------------------------------------


def _normalize(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def _compact(points: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move the kept slots of each row to the front, preserving order: ``(m, S, 3)`` -> ``(m, K', 3)``."""
    order = np.argsort(~keep, axis=1, kind="stable")
    count = keep.sum(axis=1)
    width = int(count.max()) if len(count) else 0
    order = order[:, :width]
    out = np.take_along_axis(points, order[:, :, None], axis=1)
    out[np.arange(width)[None, :] >= count[:, None]] = 0.0
    return out, count


def _insert_midpoints(H: np.ndarray, count: np.ndarray, normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split the fresh cut edge (both ends on the cut line) by a point on the line if it spans > 90 degrees.

    Args:
        H: ``(m, K, 3)`` unit vertices; count: ``(m,)``; normal: ``(m, 3)`` the cut line of each row.
    """
    m, K, _ = H.shape
    k = np.arange(K)[None, :]
    nxt = np.where(k + 1 < count[:, None], k + 1, 0)
    Hn = np.take_along_axis(H, nxt[:, :, None], axis=1)
    dots = np.einsum("mkd,mkd->mk", H, Hn)
    on_line = np.abs(np.einsum("mkd,md->mk", H, normal)) <= 1e-9
    on_next = np.take_along_axis(on_line, nxt, axis=1)
    long_edge = (dots < 0) & on_line & on_next & (k < count[:, None])
    rows = np.nonzero(long_edge.any(axis=1))[0]
    if len(rows) == 0:
        return H, count
    edge = long_edge[rows].argmax(axis=1)
    P = H[rows, edge]
    Q = Hn[rows, edge]
    t = _normalize(np.cross(normal[rows], P))
    score = np.einsum("md,md->m", t, Q) + t[:, 2]
    t = np.where((score >= 0)[:, None], t, -t)
    if K <= int(count.max()):
        H = np.concatenate([H, np.zeros((m, 1, 3))], axis=1)
    Hr = H[rows]
    idx = np.arange(H.shape[1])[None, :]
    src = np.where(idx <= edge[:, None], idx, idx - 1)
    src = np.clip(src, 0, H.shape[1] - 1)
    Hr_new = np.take_along_axis(Hr, src[:, :, None], axis=1)
    Hr_new[np.arange(len(rows)), edge + 1] = t
    count = count.copy()
    count[rows] += 1
    Hr_new[idx >= count[rows][:, None]] = 0.0
    H[rows] = Hr_new
    return H, count


def _cut(
    H: np.ndarray, count: np.ndarray, normal: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut every polygon crossed by its line.

    Args:
        H: ``(P, K, 3)`` unit homogeneous vertices (counter-clockwise, zero-padded).
        count: ``(P,)`` vertex counts.
        normal: ``(P, 3)`` unit line normal per polygon (zero rows never cut).
        tol: on-line tolerance.

    Returns:
        ``(cut_rows, pos_H, pos_count, neg_H, neg_count)``: the rows that were cut and their two pieces
        (the side where ``normal . v > 0`` and the side where it is ``< 0``).
    """
    P, K, _ = H.shape
    vals = np.einsum("pkd,pd->pk", H, normal)
    valid = np.arange(K)[None, :] < count[:, None]
    pos = (vals > tol) & valid
    neg = (vals < -tol) & valid
    rows = np.nonzero(pos.any(axis=1) & neg.any(axis=1))[0]
    if len(rows) == 0:
        empty = np.zeros((0, K, 3))
        return rows, empty, rows, empty, rows
    Hc, vc, cc = H[rows], vals[rows], count[rows]
    sign = np.where(pos[rows], 1, np.where(neg[rows], -1, 0))
    k = np.arange(K)[None, :]
    nxt = np.where(k + 1 < cc[:, None], k + 1, 0)
    vn = np.take_along_axis(vc, nxt, axis=1)
    sn = np.take_along_axis(sign, nxt, axis=1)
    Hn = np.take_along_axis(Hc, nxt[:, :, None], axis=1)
    ok = k < cc[:, None]
    cross = ok & (sign * sn < 0)
    X = _normalize(np.abs(vn)[:, :, None] * Hc + np.abs(vc)[:, :, None] * Hn)
    slots = np.stack([Hc, X], axis=2).reshape(len(rows), 2 * K, 3)
    pieces = []
    for side in (1, -1):
        keep = np.stack([ok & (sign * side >= 0), cross], axis=2).reshape(len(rows), 2 * K)
        piece, piece_count = _compact(slots, keep)
        piece, piece_count = _insert_midpoints(piece, piece_count, normal[rows])
        pieces.extend([piece, piece_count])
    return rows, pieces[0], pieces[1], pieces[2], pieces[3]


def _fit(H: np.ndarray, width: int) -> np.ndarray:
    """Zero-pad (or keep) the vertex axis of ``H`` to ``width``."""
    if H.shape[1] >= width:
        return H
    return np.concatenate([H, np.zeros((H.shape[0], width - H.shape[1], 3))], axis=1)


def _interior(H: np.ndarray, count: np.ndarray) -> np.ndarray:
    """A strictly interior (unit, homogeneous) point of each convex polygon: the mean of its vertices."""
    mean = H.sum(axis=1) / count[:, None]
    small = np.linalg.norm(mean, axis=1) < 1e-9  # only the uncut whole plane
    mean[small] = [0.0, 0.0, 1.0]
    return _normalize(mean)


@dataclass
class _Partition:
    """Raw result of the splitting: homogeneous polygons, codes and output maps."""

    H: np.ndarray  # (R, K, 3) unit homogeneous vertices, counter-clockwise, zero padded
    count: np.ndarray  # (R,)
    code: np.ndarray  # (R, N) bool
    out_map: np.ndarray  # (R, d_out, 3): output = out_map @ (s, t, 1)


def _check_growth(regions: int, vertices: int, width: int, bits: int, max_regions: int, layer: int, done: int,
                  caller: str, fix: str) -> None:
    """Stop an enumeration that passed ``max_regions`` or whose arrays would pass the memory budget.

    The arrays of hidden layer ``layer`` (width ``width``) for ``regions`` regions: the per-region maps
    ``z_l`` of the parents, of the children and the masked maps (3 x 24 bytes per region and neuron), the
    norms and values (2 x 8), the polygons (``vertices`` x 24 bytes, a few copies) and the codes (``bits``).
    """
    where = f"hidden layer {layer} ({done} of its {width} neurons placed)"
    if regions > max_regions:
        raise ValueError(
            f"{caller}: the partition passed max_regions={max_regions:,} with {regions:,} regions at {where}; "
            f"{fix}, or raise max_regions if you can afford the time and memory."
        )
    nbytes = regions * (88 * width + 96 * vertices + bits + 64)
    check_budget(nbytes, f"{caller}: the partition at {where}, with {regions:,} regions so far,", fix)


def _check_scale(z_maps: np.ndarray, layer: int, caller: str) -> None:
    """Refuse maps whose lines cannot be normalised in float64 (their squares overflow or underflow)."""
    size = np.abs(z_maps).max(axis=2)
    if not np.isfinite(size).all() or size.max(initial=0.0) > SCALE_LIMIT:
        problem = "overflow"
    elif ((size > 0) & (size < 1 / SCALE_LIMIT)).any():
        problem = "underflow"
    else:
        return
    raise ValueError(
        f"{caller}: the pre-activations of hidden layer {layer} {problem} float64 (entries beyond "
        f"{SCALE_LIMIT:g} or below {1 / SCALE_LIMIT:g}); rescale the model's weights (multiplying a layer's W "
        "and b by one positive number does not change the regions) or the plane vectors."
    )


def _partition(layers: list[_Layer], E: np.ndarray, H0: np.ndarray, tol: float, max_regions: int,
               caller: str, fix: str) -> _Partition:
    """Split the polygon ``H0: (k, 3)`` along every hidden neuron, layer by layer (see the module doc),
    checking the partition's size after every neuron (:func:`_check_growth`)."""
    H = H0[None].copy()
    count = np.array([len(H0)])
    maps = E[None]  # (Q, d, 3): the previous layer's (masked) output as a map of (s, t, w)
    codes = np.zeros((1, 0), dtype=bool)
    e_w = np.array([0.0, 0.0, 1.0])
    bits = sum(layer.W.shape[0] for layer in layers[:-1])
    for index, layer in enumerate(layers[:-1], start=1):
        width = layer.W.shape[0]
        _check_growth(len(H), H.shape[1], width, bits, max_regions, index, 0, caller, fix)
        z_maps = np.matmul(layer.W, maps) + layer.b[:, None] * e_w  # (Q, width, 3)
        _check_scale(z_maps, index, caller)
        parent = np.arange(len(H))
        for j in range(width):
            normal = _normalize(z_maps[parent, j])
            rows, pH, pc, nH, nc = _cut(H, count, normal, tol)
            if len(rows) == 0:
                continue
            size = max(H.shape[1], pH.shape[1], nH.shape[1])
            H = _fit(H, size)
            H[rows] = _fit(pH, size)
            count[rows] = pc
            H = np.concatenate([H, _fit(nH, size)], axis=0)
            count = np.concatenate([count, nc])
            parent = np.concatenate([parent, parent[rows]])
            _check_growth(len(H), H.shape[1], width, bits, max_regions, index, j + 1, caller, fix)
        point = _interior(H, count)
        z_parent = z_maps[parent]
        z = np.einsum("pjd,pd->pj", z_parent, point)
        scale = np.linalg.norm(z_parent, axis=2)
        on = z > tol * np.maximum(scale, 1e-300)
        codes = np.concatenate([codes[parent], on], axis=1)
        mask = np.where(on, 1.0, layer.negative_slope)
        maps = mask[:, :, None] * z_parent
    out_map = np.matmul(layers[-1].W, maps) + layers[-1].b[:, None] * e_w
    if not np.isfinite(out_map).all():
        raise ValueError(f"{caller}: the output maps overflow float64; the model's weights are too large. "
                         "Rescale them.")
    if len(layers) == 1:
        out_map = np.broadcast_to(out_map, (len(H),) + out_map.shape[1:]).copy()
    return _Partition(H, count, codes, out_map)


def _box_polygon(bounds: tuple[float, float, float, float]) -> np.ndarray:
    xmin, xmax, ymin, ymax = bounds
    corners = np.array([[xmin, ymin, 1.0], [xmax, ymin, 1.0], [xmax, ymax, 1.0], [xmin, ymax, 1.0]])
    return _normalize(corners)


PLANE_POLYGON = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
"""The whole plane as a spherical polygon: four points at infinity (the hemisphere ``w >= 0``)."""


# ----------------------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """One linear region of a 2-D (slice of the) input (float64 numpy arrays).

    Attributes:
        vertices: ``(k, 2)``, counter-clockwise, in the 2-D (slice) coordinates.
        code: ``(N,)`` bool, every hidden neuron of every layer in layer order, pre-activation > 0.
        A: ``(d_out, 2)`` and c: ``(d_out,)``: the network's output on the region is ``A (s, t) + c``.
        area: the polygon's area.
    """

    vertices: np.ndarray
    code: np.ndarray
    A: np.ndarray
    c: np.ndarray
    area: float


def _shoelace(vertices: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Areas of zero-padded polygons ``(R, K, 2)`` with ``count`` vertices each."""
    K = vertices.shape[1]
    k = np.arange(K)[None, :]
    nxt = np.where(k + 1 < count[:, None], k + 1, 0)
    x, y = vertices[:, :, 0], vertices[:, :, 1]
    xn = np.take_along_axis(x, nxt, axis=1)
    yn = np.take_along_axis(y, nxt, axis=1)
    term = np.where(k < count[:, None], x * yn - xn * y, 0.0)
    return 0.5 * term.sum(axis=1)


class Regions(Sequence):
    """The linear regions of a piecewise-linear MLP on a box of a 2-D input (or of a 2-D slice).

    A sequence of :class:`Region` (``len()`` is the region count), backed by float64 / bool / int numpy
    arrays (exact geometry; see the module doc):

    Attributes:
        bounds: ``(xmin, xmax, ymin, ymax)`` of the box.
        codes: ``(R, N)`` bool codes, one row per region (all distinct).
        A: ``(R, d_out, 2)``, c: ``(R, d_out)``: per-region affine output maps.
        areas: ``(R,)`` polygon areas (they sum to the box's area).
        counts: ``(R,)`` number of vertices of each polygon; ``vertex_array``: ``(R, K, 2)`` zero-padded.
        tol: the tolerance used.
    """

    def __init__(self, partition: _Partition, layers: list[_Layer], E: np.ndarray,
                 bounds: tuple[float, float, float, float], tol: float) -> None:
        self.bounds = bounds
        self.tol = tol
        self._layers = layers
        self._E = E
        H, count = partition.H, partition.count
        w = H[:, :, 2]
        safe = np.where(w > 0, w, 1.0)
        self.vertex_array = np.where((np.arange(H.shape[1])[None, :] < count[:, None])[:, :, None],
                                     H[:, :, :2] / safe[:, :, None], 0.0)
        self.counts = count
        self.codes = partition.code
        self.A = partition.out_map[:, :, :2]
        self.c = partition.out_map[:, :, 2]
        self.areas = _shoelace(self.vertex_array, count)
        self._lookup: dict[bytes, int] | None = None
        self._adjacency: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.counts)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = range(len(self))[index]
        return Region(
            vertices=self.vertex_array[i, : self.counts[i]].copy(),
            code=self.codes[i].copy(),
            A=self.A[i].copy(),
            c=self.c[i].copy(),
            area=float(self.areas[i]),
        )

    def __repr__(self) -> str:
        return f"Regions({len(self)} regions in box {self.bounds}, {self.codes.shape[1]} neurons)"

    @property
    def box_area(self) -> float:
        """Area of the box."""
        xmin, xmax, ymin, ymax = self.bounds
        return (xmax - xmin) * (ymax - ymin)

    def centroids(self) -> np.ndarray:
        """``(R, 2)`` area centroids of the regions (interior points)."""
        V, count = self.vertex_array, self.counts
        K = V.shape[1]
        k = np.arange(K)[None, :]
        nxt = np.where(k + 1 < count[:, None], k + 1, 0)
        x, y = V[:, :, 0], V[:, :, 1]
        xn, yn = np.take_along_axis(x, nxt, axis=1), np.take_along_axis(y, nxt, axis=1)
        cross = np.where(k < count[:, None], x * yn - xn * y, 0.0)
        a = cross.sum(axis=1)
        safe = np.where(a != 0, 3 * a, 1.0)
        cx = ((x + xn) * cross).sum(axis=1) / safe
        cy = ((y + yn) * cross).sum(axis=1) / safe
        mean = V.sum(axis=1) / count[:, None]
        ok = np.abs(a) > 1e-6 * self.box_area  # tiny slivers: the vertex mean is numerically safer
        return np.where(ok[:, None], np.stack([cx, cy], axis=1), mean)

    def _key(self, codes: np.ndarray) -> list[bytes]:
        packed = np.packbits(codes, axis=1)
        return [row.tobytes() for row in packed]

    def locate(self, x: Any) -> np.ndarray:
        """The region holding each point.

        Args:
            x: ``(p, 2)`` 2-D (slice) coordinates, a float tensor or array.

        Returns:
            ``(p,)`` int64 region index; ``-1`` for points outside the box (or, in a degenerate case, on a
            boundary whose forward-pass code matches no region).

        Raises:
            TypeError / ValueError: not float coordinates of shape ``(p, 2)``, empty, NaN or infinite.
        """
        st = _points(x, "x", 2)
        if self._lookup is None:
            self._lookup = {key: i for i, key in enumerate(self._key(self.codes))}
        code = _chunked_codes(self._layers, self._E, st)
        index = np.array([self._lookup.get(key, -1) for key in self._key(code)], dtype=np.int64)
        xmin, xmax, ymin, ymax = self.bounds
        inside = (st[:, 0] >= xmin) & (st[:, 0] <= xmax) & (st[:, 1] >= ymin) & (st[:, 1] <= ymax)
        index[~inside] = -1
        return index

    def data_counts(self, x: Any) -> np.ndarray:
        """``(R,)`` int64 number of the points ``x: (p, 2)`` that fall in each region."""
        index = self.locate(x)
        return np.bincount(index[index >= 0], minlength=len(self))

    def adjacency(self) -> np.ndarray:
        """Pairs of regions sharing an edge of positive length.

        Candidates are code pairs at Hamming distance 1 (crossing one neuron's line flips one bit); each
        candidate is kept if the two polygons have collinear edges overlapping by more than ``tol``.

        Returns:
            ``(e, 2)`` int pairs ``i < j``, sorted.
        """
        if self._adjacency is None:
            self._adjacency = _adjacency(self.codes, self.vertex_array, self.counts, self.tol, self.bounds)
        return self._adjacency

    def degrees(self) -> np.ndarray:
        """``(R,)`` number of neighbours of each region."""
        edges = self.adjacency()
        return np.bincount(edges.ravel(), minlength=len(self))


def _hamming_one_pairs(codes: np.ndarray) -> np.ndarray:
    """All pairs ``i < j`` of rows of ``codes`` that differ in exactly one bit."""
    R, N = codes.shape
    if R < 2 or N == 0:
        return np.zeros((0, 2), dtype=np.int64)
    packed = np.packbits(codes, axis=1)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    order = np.argsort(keys)
    sorted_keys = keys[order]
    pairs = []
    for bit in range(N):
        flipped = codes.copy()
        flipped[:, bit] = ~flipped[:, bit]
        fk = np.packbits(flipped, axis=1).view(np.dtype((np.void, packed.shape[1]))).ravel()
        pos = np.searchsorted(sorted_keys, fk)
        pos = np.clip(pos, 0, R - 1)
        hit = sorted_keys[pos] == fk
        i = np.nonzero(hit)[0]
        j = order[pos[hit]]
        keep = i < j
        pairs.append(np.stack([i[keep], j[keep]], axis=1))
    return np.concatenate(pairs, axis=0)


def _edge_offsets(Bp: np.ndarray, A0: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signed distances of the points ``Bp: (m, Kb, 2)`` to the edge lines through ``A0: (m, Ka, 2)`` with unit
    directions ``u: (m, Ka, 2)``, and their positions along those lines: two ``(m, Ka, Kb)`` arrays."""
    rel = Bp[:, None, :, :] - A0[:, :, None, :]
    return u[:, :, None, 0] * rel[..., 1] - u[:, :, None, 1] * rel[..., 0], (
        u[:, :, None, 0] * rel[..., 0] + u[:, :, None, 1] * rel[..., 1]
    )


def _adjacency(codes: np.ndarray, V: np.ndarray, count: np.ndarray, tol: float,
               bounds: tuple[float, float, float, float]) -> np.ndarray:
    pairs = _hamming_one_pairs(codes)
    if len(pairs) == 0:
        return pairs
    xmin, xmax, ymin, ymax = bounds
    scale = max(xmax - xmin, ymax - ymin)
    eps = max(tol, 1e-12) * scale * 1e3
    K = V.shape[1]
    k = np.arange(K)
    keep = np.zeros(len(pairs), dtype=bool)
    for start in range(0, len(pairs), 4096):
        pr = pairs[start : start + 4096]
        a, b = pr[:, 0], pr[:, 1]
        Pa, ca = V[a], count[a]
        Pb, cb = V[b], count[b]
        na = np.where(k[None] + 1 < ca[:, None], k[None] + 1, 0)
        nb = np.where(k[None] + 1 < cb[:, None], k[None] + 1, 0)
        A0, A1 = Pa, np.take_along_axis(Pa, na[:, :, None], axis=1)
        B0, B1 = Pb, np.take_along_axis(Pb, nb[:, :, None], axis=1)
        d = A1 - A0  # (m, K, 2)
        length = np.linalg.norm(d, axis=2)
        u = d / np.where(length > 0, length, 1.0)[:, :, None]
        d0, t0 = _edge_offsets(B0, A0, u)
        d1, t1 = _edge_offsets(B1, A0, u)
        collinear = (np.abs(d0) <= eps) & (np.abs(d1) <= eps)
        lo = np.maximum(0.0, np.minimum(t0, t1))
        hi = np.minimum(length[:, :, None], np.maximum(t0, t1))
        overlap = collinear & (hi - lo > eps)
        va = k[None, :, None] < ca[:, None, None]
        vb = k[None, None, :] < cb[:, None, None]
        keep[start : start + 4096] = (overlap & va & vb).any(axis=(1, 2))
    return pairs[keep]


# ----------------------------------------------------------------------------------------------------------
# Public entry points (2-D)
# ----------------------------------------------------------------------------------------------------------

_BOX_FIX = "narrow the box (bounds) or use a model with fewer or narrower hidden layers"
_PLANE_FIX = ("count in a box with linear_regions_2d (its bounds limit the partition) or use a model with fewer "
              "or narrower hidden layers")


def linear_regions_2d(
    model: nn.Sequential,
    bounds: Sequence[float] = (-1.0, 1.0, -1.0, 1.0),
    plane: tuple[Any, Any, Any] | None = None,
    tol: float = TOL,
    max_regions: int = MAX_REGIONS,
) -> Regions:
    """Every linear region of a ReLU / LeakyReLU MLP on a box of its 2-D input (or of a 2-D slice).

    Computed in float64 whatever the model's dtype (see the module doc).

    Args:
        model: ``nn.Sequential(Linear, act, ..., Linear)``, activations ReLU or LeakyReLU.
        bounds: ``(xmin, xmax, ymin, ymax)`` of the box, in the 2-D (slice) coordinates: finite, ordered,
            of magnitude at most :data:`MAX_COORDINATE`.
        plane: ``(origin, u, v)`` each ``(d_in,)``: the slice ``x = origin + s u + t v``; required when the
            input is not 2-D.
        tol: on-line tolerance in ``[0, 1e-6]`` (see the module doc).
        max_regions: stop with an error once the partition has more regions than this.

    Returns:
        :class:`Regions` (a sequence of :class:`Region`): the polygons tile the box, each has a distinct code.

    Raises:
        TypeError: not an MLP, a curved activation, arguments of the wrong type.
        ValueError: non-2-D input without a plane, a box with min >= max or non-finite, NaN weights or
            tolerance, a partition past ``max_regions`` or past the memory budget (``BudgetError``).
    """
    layers = _network_layers(model)
    E = _check_plane(layers[0].W.shape[1], plane)
    box = _check_bounds(bounds)
    tol = _check_tol(tol)
    max_regions = _check_max_regions(max_regions)
    partition = _partition(layers, E, _box_polygon(box), tol, max_regions, "linear_regions_2d", _BOX_FIX)
    return Regions(partition, layers, E, box, tol)


def _plane_partition(model: nn.Sequential, plane: Any, tol: float, max_regions: int, caller: str) -> _Partition:
    layers = _network_layers(model)
    E = _check_plane(layers[0].W.shape[1], plane)
    tol = _check_tol(tol)
    max_regions = _check_max_regions(max_regions)
    return _partition(layers, E, PLANE_POLYGON, tol, max_regions, caller, _PLANE_FIX)


def count_regions_plane(
    model: nn.Sequential, plane: tuple[Any, Any, Any] | None = None, tol: float = TOL,
    max_regions: int = MAX_REGIONS,
) -> int:
    """The number of linear regions of the whole (slice) plane, unbounded regions included.

    Exact: the plane is cut as a spherical polygon (points at infinity included), so no box is involved.

    Args:
        model: a ReLU / LeakyReLU MLP.
        plane: as in :func:`linear_regions_2d`.
        tol: on-line tolerance in ``[0, 1e-6]``.
        max_regions: stop with an error once the partition has more regions than this.

    Returns:
        The region count.

    Raises:
        TypeError / ValueError: as :func:`linear_regions_2d`.
    """
    return len(_plane_partition(model, plane, tol, max_regions, "count_regions_plane").count)


def enclosing_bounds(
    model: nn.Sequential, plane: tuple[Any, Any, Any] | None = None, margin: float = 0.1, tol: float = TOL,
    max_regions: int = MAX_REGIONS,
) -> tuple[float, float, float, float]:
    """A box that contains every vertex of the whole-plane partition and meets every region.

    The whole plane is partitioned exactly (see :func:`count_regions_plane`); the box holds every finite
    vertex (region corners, and one point of each region bounded only by full lines), enlarged by
    ``margin`` times its size (plus 1e-3). Every region then meets the box's interior, and no two regions
    meet outside it, so ``len(linear_regions_2d(model, enclosing_bounds(model)))`` equals
    ``count_regions_plane(model)`` (up to floating point on very large boxes).

    Args:
        model: a ReLU / LeakyReLU MLP.
        plane: as in :func:`linear_regions_2d`.
        margin: relative enlargement, a finite number >= 0.
        tol: on-line tolerance in ``[0, 1e-6]``.
        max_regions: as in :func:`count_regions_plane`.

    Returns:
        ``(xmin, xmax, ymin, ymax)``.
    """
    margin = check_number(margin, "margin", low=0)
    partition = _plane_partition(model, plane, tol, max_regions, "enclosing_bounds")
    tol = float(tol)
    H, count = partition.H, partition.count
    valid = np.arange(H.shape[1])[None, :] < count[:, None]
    finite = valid & (H[:, :, 2] > tol)
    if not finite.any():
        return (-1.0, 1.0, -1.0, 1.0)
    pts = H[finite][:, :2] / H[finite][:, 2:3]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = margin * (hi - lo).max() + 1e-3
    return (float(lo[0] - pad), float(hi[0] + pad), float(lo[1] - pad), float(hi[1] + pad))


# ----------------------------------------------------------------------------------------------------------
# 1-D
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Regions1D:
    """The linear pieces of a scalar-input MLP on an interval (float64 / bool numpy arrays).

    Attributes:
        breakpoints: ``(r + 1,)`` increasing, first and last are the interval's ends.
        codes: ``(r, N)`` bool code of each piece.
        slopes: ``(r, d_out)`` and intercepts: ``(r, d_out)``: output = slope x + intercept on each piece.
    """

    breakpoints: np.ndarray
    codes: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray

    def __iter__(self):
        return iter((self.breakpoints, self.codes, self.slopes, self.intercepts))

    def __len__(self) -> int:
        return len(self.codes)


def linear_regions_1d(
    model: nn.Sequential, interval: Sequence[float] = (-1.0, 1.0), tol: float = 1e-12,
    max_regions: int = MAX_REGIONS,
) -> Regions1D:
    """Exact linear pieces of a scalar-input ReLU / LeakyReLU MLP on ``interval = (a, b)``.

    Layer by layer each piece carries the map ``z_l = alpha x + beta`` of the layer's pre-activations; each
    neuron's root ``-beta/alpha`` strictly inside a piece (by more than ``tol (b - a)``) becomes a
    breakpoint; the new pieces read their mask at their midpoints. Computed in float64.

    Args:
        model: a ReLU / LeakyReLU MLP with one input.
        interval: ``(a, b)``, finite, ``a < b``.
        tol: relative tolerance in ``[0, 1e-6]``.
        max_regions: stop with an error once there are more pieces than this.

    Returns:
        :class:`Regions1D` ``(breakpoints (r+1,), codes (r, N), slopes (r, d_out), intercepts (r, d_out))``;
        it unpacks as a 4-tuple.

    Raises:
        ValueError: non-scalar input, ``a >= b``, NaN weights or bounds, too many pieces.
        TypeError: curved activations, arguments of the wrong type.
    """
    layers = _network_layers(model)
    if layers[0].W.shape[1] != 1:
        raise ValueError(
            f"linear_regions_1d needs a scalar-input model, this one takes {layers[0].W.shape[1]} inputs; "
            "use linear_regions_2d(..., plane=...) for slices of higher-dimensional inputs."
        )
    if isinstance(interval, (str, bytes)) or not isinstance(interval, (Sequence, Tensor, np.ndarray)):
        raise TypeError(f"interval must be (a, b), got {type(interval).__name__}.")
    if len(interval) != 2:
        raise ValueError(f"interval must be (a, b), got {interval!r}.")
    a, b = check_number(interval[0], "interval[0]"), check_number(interval[1], "interval[1]")
    if a >= b:
        raise ValueError(f"interval {tuple(interval)!r} needs finite a < b.")
    tol = _check_tol(tol)
    max_regions = _check_max_regions(max_regions)
    eps = tol * (b - a)
    bp = np.array([a, b])
    maps = np.array([[[1.0, 0.0]]])  # (r, d, 2): h = maps[..., 0] x + maps[..., 1]
    codes = np.zeros((1, 0), dtype=bool)
    for index, layer in enumerate(layers[:-1], start=1):
        width = layer.W.shape[0]
        check_budget(len(bp) * width * 16 * 4, f"linear_regions_1d: the maps of hidden layer {index} "
                     f"({len(bp) - 1:,} pieces so far)", "shorten the interval or use a narrower model")
        z = np.matmul(layer.W, maps) + np.stack([np.zeros_like(layer.b), layer.b], axis=1)  # (r, w, 2)
        if not np.isfinite(z).all():
            raise ValueError(f"linear_regions_1d: the pre-activations of hidden layer {index} overflow float64; "
                             "the model's weights are too large. Rescale them.")
        alpha, beta = z[:, :, 0], z[:, :, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            root = -beta / alpha
        lo, hi = bp[:-1, None], bp[1:, None]
        inside = (alpha != 0) & (root > lo + eps) & (root < hi - eps)
        new_bp = np.unique(np.concatenate([bp, root[inside]]))
        # merge roots closer than the tolerance (roots already keep eps away from existing breakpoints)
        new_bp = new_bp[np.concatenate([[True], np.diff(new_bp) > eps])]
        if len(new_bp) - 1 > max_regions:
            raise ValueError(
                f"linear_regions_1d: {len(new_bp) - 1:,} pieces at hidden layer {index}, past "
                f"max_regions={max_regions:,}; shorten the interval, use a narrower model, or raise max_regions."
            )
        check_budget(len(new_bp) * width * 16 * 3, f"linear_regions_1d: the maps of hidden layer {index} "
                     f"({len(new_bp) - 1:,} pieces)", "shorten the interval or use a narrower model")
        mid = 0.5 * (new_bp[:-1] + new_bp[1:])
        parent = np.clip(np.searchsorted(bp, mid, side="right") - 1, 0, len(bp) - 2)
        zp = z[parent]
        value = zp[:, :, 0] * mid[:, None] + zp[:, :, 1]
        on = value > 0
        codes = np.concatenate([codes[parent], on], axis=1)
        maps = np.where(on, 1.0, layer.negative_slope)[:, :, None] * zp
        bp = new_bp
    out = np.matmul(layers[-1].W, maps) + np.stack([np.zeros_like(layers[-1].b), layers[-1].b], axis=1)
    out = np.broadcast_to(out, (len(bp) - 1,) + out.shape[1:])
    return Regions1D(bp, codes, out[:, :, 0].copy(), out[:, :, 1].copy())


# ----------------------------------------------------------------------------------------------------------
# Counting bounds
# ----------------------------------------------------------------------------------------------------------


def _binomial_sum(n: int, k: int, name: str) -> int:
    """``sum_{i=0}^{k} C(n, i)`` (``2^n`` when ``k >= n``), exactly."""
    if k >= n:
        return 1 << n
    if k > MAX_TERMS:
        raise ValueError(f"{name}: the bound sums {k + 1:,} binomial terms (integers of up to ~{n:,} bits); keep "
                         f"the dimension at most {MAX_TERMS:,}, or estimate it on a log scale.")
    total = term = 1
    for i in range(1, k + 1):
        term = term * (n - i + 1) // i
        total += term
    return total


def _check_widths(hidden_widths: Any, name: str = "hidden_widths") -> list[int]:
    if isinstance(hidden_widths, (str, bytes)) or not isinstance(hidden_widths, Sequence):
        raise TypeError(f"{name} must be a list of hidden-layer widths such as [16, 16], "
                        f"got {type(hidden_widths).__name__}.")
    widths = [check_int(w, f"{name}[{i}]", low=1) for i, w in enumerate(hidden_widths)]
    if not widths:
        raise ValueError(f"{name} is empty; pass at least one hidden-layer width.")
    return widths


def zaslavsky(n: int, d: int, through_origin: bool = False) -> int:
    """Regions of ``n`` hyperplanes in general position in ``R^d`` (Zaslavsky's theorem).

    ``sum_{i=0}^{d} C(n, i)`` for affine hyperplanes; ``2 sum_{i=0}^{d-1} C(n-1, i)`` for a central
    arrangement (every hyperplane through the origin, i.e. no biases). Both equal ``2^n`` when ``n <= d``.
    For 5 neurons: d=1: 6 (2), d=2: 16 (10), d=3: 26 (22), d=4: 31 (30), d>=5: 32 (32).

    Args:
        n: hyperplanes, an integer >= 0.
        d: dimension, an integer >= 1.
        through_origin: whether the arrangement is central.

    Raises:
        TypeError: non-integer ``n`` or ``d``, non-bool ``through_origin``.
        ValueError: ``n < 0`` or ``d < 1``, or a sum of more than :data:`MAX_TERMS` terms.
    """
    n = check_int(n, "n", low=0)
    d = check_int(d, "d", low=1)
    if not isinstance(through_origin, (bool, np.bool_)):
        raise TypeError(f"through_origin must be True or False, got {through_origin!r}.")
    if through_origin:
        if n == 0:
            return 1
        return 2 * _binomial_sum(n - 1, d - 1, "zaslavsky")
    return _binomial_sum(n, d, "zaslavsky")


def montufar_lower_bound(hidden_widths: Sequence[int], d_in: int) -> int:
    """Montufar, Pascanu, Cho, Bengio (2014) lower bound on the maximal region count of a deep ReLU MLP.

    ``(prod_{l=1}^{L-1} floor(n_l / n_0)^{n_0}) * sum_{j=0}^{n_0} C(n_L, j)`` with ``n_0 = d_in`` and hidden
    widths ``n_1, ..., n_L`` (each ``>= n_0``): some network of this shape has at least this many regions.

    Raises:
        TypeError: non-integer widths or ``d_in``.
        ValueError: empty widths, a width below ``d_in``, ``d_in < 1``.
    """
    d_in = check_int(d_in, "d_in", low=1)
    widths = _check_widths(hidden_widths)
    if min(widths) < d_in:
        raise ValueError(f"montufar_lower_bound needs hidden widths >= d_in={d_in}, got {widths}.")
    product = 1
    for n_l in widths[:-1]:
        product *= (n_l // d_in) ** d_in
    return product * _binomial_sum(widths[-1], d_in, "montufar_lower_bound")


def deep_upper_bound(hidden_widths: Sequence[int], d_in: int) -> int:
    """A simple upper bound on the region count of a deep ReLU MLP (Raghu et al. 2017 / Serra et al. 2018).

    ``prod_l sum_{j=0}^{d_l} C(n_l, j)`` with ``d_l = min(n_0, n_1, ..., n_{l-1})``: each region of the
    first ``l-1`` layers is cut by ``n_l`` hyperplanes living in (at most) ``d_l`` dimensions.

    Raises:
        TypeError: non-integer widths or ``d_in``.
        ValueError: empty or non-positive widths, ``d_in < 1``.
    """
    d_in = check_int(d_in, "d_in", low=1)
    widths = _check_widths(hidden_widths)
    bound, dim = 1, d_in
    for n_l in widths:
        bound *= _binomial_sum(n_l, dim, "deep_upper_bound")
        dim = min(dim, n_l)
    return bound


# ----------------------------------------------------------------------------------------------------------
# Local complexity
# ----------------------------------------------------------------------------------------------------------


def local_complexity(
    model: nn.Sequential,
    x: Tensor,
    radius: float,
    n_directions: int | None = None,
    generator: torch.Generator | None = None,
    directions: Tensor | None = None,
) -> Tensor:
    """Local complexity (Humayun, Balestriero, Baraniuk 2024): neurons whose sign changes near each point.

    Around each point ``x_i`` take ``P`` orthonormal directions ``v_p`` and the cross-polytope with
    vertices ``x_i +/- radius v_p``; a hidden neuron counts if its pre-activation sign is not the same at all
    ``2P`` vertices (deeper layers evaluated by a forward pass at the vertices: exact for the first layer,
    an approximation deeper). The count is summed over layers. Signs are evaluated in float64 whatever the
    model's dtype; the points are processed in chunks within the memory budget.

    Args:
        model: a ReLU / LeakyReLU MLP.
        x: ``(n, d_in)`` float points.
        radius: the cross-polytope radius, a finite number > 0.
        n_directions: ``P`` in ``[1, d_in]`` (default ``d_in``) when the directions are drawn.
        generator: the random source of the drawn directions (``None``: a fresh generator with torch's
            default seed): the Q factor of a standard normal ``(d_in, P)`` matrix.
        directions: ``(P, d_in)`` orthonormal rows to use instead of drawing them (then ``n_directions``
            and ``generator`` must be ``None``).

    Returns:
        int64 ``(n,)`` counts (average them for the paper's LC).

    Raises:
        TypeError / ValueError: bad model, points, radius, direction count or directions (not orthonormal).
    """
    layers = _network_layers(model)
    d_in = layers[0].W.shape[1]
    pts = _points(x, "x", d_in)
    radius = check_number(radius, "radius", low=0, low_open=True)
    if directions is not None:
        if n_directions is not None or generator is not None:
            raise ValueError("pass either directions or (n_directions, generator), not both.")
        q_t = check_tensor(_as_tensor(directions, "directions"), "directions", dims=2, kind="float")
        if q_t.shape[1] != d_in or not 1 <= q_t.shape[0] <= d_in:
            raise ValueError(f"directions has shape {tuple(q_t.shape)}; expected (P, {d_in}) with 1 <= P <= {d_in}.")
        q_t = q_t.detach().cpu().double().numpy()
        if not np.allclose(q_t @ q_t.T, np.eye(len(q_t)), atol=1e-6):
            raise ValueError("directions must have orthonormal rows (e.g. the Q factor of a QR decomposition, "
                             "transposed).")
    else:
        P = d_in if n_directions is None else check_int(n_directions, "n_directions")
        if not 1 <= P <= d_in:
            raise ValueError(f"n_directions must lie in [1, {d_in}] (the input dimension), got {P}.")
        generator = check_generator(generator) or torch.Generator()
        gaussian = torch.randn(d_in, P, generator=generator, dtype=torch.float64)
        q_t = torch.linalg.qr(gaussian)[0].T.numpy()
    P = len(q_t)
    offsets = radius * np.concatenate([q_t, -q_t], axis=0)  # (2P, d_in)
    total = np.zeros(len(pts), dtype=np.int64)
    size = chunk_rows(2 * P * _row_bytes(layers), len(pts))
    for start in range(0, len(pts), size):
        chunk = pts[start : start + size]
        h = (chunk[:, None, :] + offsets[None]).reshape(-1, d_in)
        for layer in layers[:-1]:
            z = h @ layer.W.T + layer.b
            if not np.isfinite(z).all():
                raise ValueError("local_complexity: the model's pre-activations overflow float64 near x; rescale "
                                 "its weights (or x).")
            s = (z > 0).reshape(len(chunk), 2 * P, -1)
            total[start : start + size] += (s.any(axis=1) & ~s.all(axis=1)).sum(axis=1)
            h = np.where(z > 0, z, layer.negative_slope * z)
    return torch.from_numpy(total)


# ----------------------------------------------------------------------------------------------------------
# Decision boundaries and statistics of a partition
# ----------------------------------------------------------------------------------------------------------


def _check_regions(regions: Any) -> Regions:
    if not isinstance(regions, Regions):
        raise TypeError(f"regions must be the Regions returned by linear_regions_2d, got {type(regions).__name__}.")
    return regions


def _check_output(regions: Regions, output: Any) -> tuple[int, int | None]:
    """``output``: an output unit ``i`` or a pair ``(i, j)`` of distinct units, within ``[0, d_out)``."""
    d_out = regions.A.shape[1]
    if isinstance(output, tuple):
        if len(output) != 2:
            raise ValueError(f"output must be an int or a pair (i, j), got {output!r}.")
        i, j = (check_int(o, "output", low=0, high=d_out - 1) for o in output)
        if i == j:
            raise ValueError(f"output=({i}, {j}) compares a unit with itself (f_i - f_i = 0); pick two units.")
        return i, j
    return check_int(output, "output", low=0, high=d_out - 1), None


def output_line(regions: Regions, output: int | tuple[int, int] = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per-region affine map of one output (``int``) or of a logit difference ``f_i - f_j`` (``(i, j)``).

    Returns:
        ``(A (R, 2), c (R,))`` float64: the chosen output is ``A (s, t) + c`` on each region.

    Raises:
        TypeError / ValueError: not a :class:`Regions`, an output unit out of ``[0, d_out)``.
    """
    i, j = _check_output(_check_regions(regions), output)
    if j is not None:
        return regions.A[:, i] - regions.A[:, j], regions.c[:, i] - regions.c[:, j]
    return regions.A[:, i], regions.c[:, i]


def boundary_regions(regions: Regions, output: int | tuple[int, int] = 0, threshold: float = 0.0) -> np.ndarray:
    """Which regions the decision boundary ``f_output(x) = threshold`` crosses (exact, 2-D).

    On each region the output is affine, so the boundary crosses it iff the output takes values strictly
    on both sides of ``threshold`` at the polygon's vertices. ``output=(i, j)`` uses ``f_i - f_j`` (the
    boundary between two classes of a multi-logit network).

    Returns:
        ``(R,)`` bool.

    Raises:
        TypeError / ValueError: not a :class:`Regions`, a bad output, a non-finite threshold.
    """
    A, c = output_line(regions, output)
    threshold = check_number(threshold, "threshold")
    V, count = regions.vertex_array, regions.counts
    values = np.einsum("rkd,rd->rk", V, A) + c[:, None] - threshold
    valid = np.arange(V.shape[1])[None, :] < count[:, None]
    return ((values > 0) & valid).any(axis=1) & ((values < 0) & valid).any(axis=1)


def decision_boundary(
    regions: Regions, output: int | tuple[int, int] = 0, threshold: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """The exact decision boundary ``f_output = threshold`` as straight segments, one per crossed region.

    Returns:
        ``(segments (m, 2, 2), region (m,))``: each segment's end points (float64) and the region it
        crosses (int64).

    Raises:
        TypeError / ValueError: as :func:`boundary_regions`.
    """
    crossed = np.nonzero(boundary_regions(regions, output, threshold))[0]
    A, c = output_line(regions, output)
    threshold = float(threshold)
    segments = np.zeros((len(crossed), 2, 2))
    for row, i in enumerate(crossed):  # one small polygon per crossed region: clarity over speed
        v = regions.vertex_array[i, : regions.counts[i]]
        f = v @ A[i] + c[i] - threshold
        fn, vn = np.roll(f, -1), np.roll(v, -1, axis=0)
        hit = (f > 0) != (fn > 0)
        t = f[hit] / (f[hit] - fn[hit])
        pts = v[hit] + t[:, None] * (vn[hit] - v[hit])
        segments[row] = pts[:2] if len(pts) >= 2 else np.stack([pts[0], pts[0]])
    return segments, crossed


def region_summary(regions: Regions, x: Any | None = None) -> dict[str, Any]:
    """Headline statistics of a partition: count, areas, adjacency degree and (optionally) data occupancy.

    Args:
        regions: from :func:`linear_regions_2d`.
        x: optional ``(p, 2)`` data points.

    Returns:
        ``{"regions", "area_min", "area_median", "area_max", "edges", "mean_degree"}`` plus, with ``x``,
        ``"with_data"`` (regions holding >= 1 point), ``"max_per_region"`` and ``"singletons"`` (regions
        holding exactly one point).
    """
    _check_regions(regions)
    areas = regions.areas
    edges = regions.adjacency()
    out: dict[str, Any] = {
        "regions": len(regions),
        "area_min": float(areas.min()),
        "area_median": float(np.median(areas)),
        "area_max": float(areas.max()),
        "edges": int(len(edges)),
        "mean_degree": float(2 * len(edges) / max(len(regions), 1)),
    }
    if x is not None:
        counts = regions.data_counts(x)
        out.update(
            with_data=int((counts > 0).sum()),
            max_per_region=int(counts.max()),
            singletons=int((counts == 1).sum()),
        )
    return out


def code_statistics(code: Tensor, labels: Tensor | None = None) -> dict[str, Any]:
    """How a set of inputs spreads over hash codes (one code = one activation region).

    Args:
        code: ``(n, N)`` bool (or 0/1 integer) codes, e.g. from :func:`mlpgeo.patterns.codes`.
        labels: optional ``(n,)`` integer class labels.

    Returns:
        ``{"n", "bits" (N; 2^N codes are possible), "distinct", "max_per_code", "codes_single"
        (share of used codes holding exactly one input), "inputs_alone" (share of inputs alone in their
        code)}`` plus, with labels, ``"mixed_codes"`` (share of used codes holding > 1 class) and
        ``"inputs_in_mixed"`` (share of inputs in such codes).

    Raises:
        TypeError: codes that are not bool / 0-1 integers, non-integer labels.
        ValueError: wrong shapes, empty codes, labels of another length.
    """
    code = check_tensor(code, "code", dims=2, kind="binary").detach().cpu().bool().numpy()
    packed = np.packbits(code, axis=1)
    _, inverse, counts = np.unique(packed, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    out: dict[str, Any] = {
        "n": int(len(code)),
        "bits": int(code.shape[1]),
        "distinct": int(len(counts)),
        "max_per_code": int(counts.max()),
        "codes_single": float((counts == 1).mean()),
        "inputs_alone": float((counts[inverse] == 1).mean()),
    }
    if labels is not None:
        labels = check_tensor(labels, "labels", dims=1, kind="int")
        if len(labels) != len(code):
            raise ValueError(f"labels has {len(labels)} entries but code has {len(code)} rows; they must match.")
        labels = labels.detach().cpu().numpy().astype(np.int64)
        pairs = np.unique(np.stack([inverse, labels], axis=1), axis=0)
        classes_per_code = np.bincount(pairs[:, 0], minlength=len(counts))
        mixed = classes_per_code > 1
        out.update(mixed_codes=float(mixed.mean()), inputs_in_mixed=float(mixed[inverse].mean()))
    return out


def grid_code_count(model: nn.Sequential, bounds: Sequence[float], resolution: int, plane: Any = None) -> int:
    """Distinct codes seen on a ``resolution x resolution`` grid of the box (a lower bound on the regions).

    The grid is evaluated in float64, in chunks of rows within the memory budget.

    Args:
        model: a ReLU / LeakyReLU MLP.
        bounds: ``(xmin, xmax, ymin, ymax)`` (as in :func:`linear_regions_2d`).
        resolution: grid points per axis, an integer in ``[2, 10000]`` (at most :data:`MAX_GRID_POINTS`
            points in all).
        plane: as in :func:`linear_regions_2d`.

    Returns:
        The number of distinct codes.

    Raises:
        TypeError / ValueError: bad model, box, plane or resolution (too large: the message names the grid size).
    """
    layers = _network_layers(model)
    E = _check_plane(layers[0].W.shape[1], plane)
    xmin, xmax, ymin, ymax = _check_bounds(bounds)
    resolution = check_int(resolution, "resolution", low=2)
    if resolution**2 > MAX_GRID_POINTS:
        raise ValueError(
            f"resolution={resolution} means {resolution**2:,} grid points, over the {MAX_GRID_POINTS:,} this "
            f"function evaluates; lower resolution (at most {math.isqrt(MAX_GRID_POINTS):,}), or count the "
            "regions exactly with linear_regions_2d."
        )
    s_axis, t_axis = np.linspace(xmin, xmax, resolution), np.linspace(ymin, ymax, resolution)
    rows = chunk_rows(resolution * _row_bytes(layers), resolution)
    seen = []
    for start in range(0, resolution, rows):
        s, t = np.meshgrid(s_axis, t_axis[start : start + rows])
        code, _ = _forward_codes(layers, E, np.stack([s.ravel(), t.ravel()], axis=1))
        seen.append(np.unique(np.packbits(code, axis=1), axis=0))
    return len(np.unique(np.concatenate(seen), axis=0))


# ----------------------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------------------


def plot_regions(
    regions: Regions,
    ax: Any = None,
    values: Any = None,
    cmap: str = "tab20",
    edgecolor: str = "white",
    linewidth: float = 0.4,
    labels: bool = False,
    generator: torch.Generator | None = None,
) -> Any:
    """Draw the regions as filled polygons.

    Args:
        regions: from :func:`linear_regions_2d`.
        ax: matplotlib axes (a new figure if ``None``).
        values: ``(R,)`` finite numbers to colour by (default: a random colour per region).
        cmap: colormap name. edgecolor, linewidth: region borders.
        labels: write each region's code (as a bit string) at its centroid (small partitions only).
        generator: the random source of the default colours (``None``: torch's default seed).

    Returns:
        The axes.
    """
    _check_regions(regions)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    polys = [regions.vertex_array[i, : regions.counts[i]] for i in range(len(regions))]
    if values is None:
        generator = check_generator(generator) or torch.Generator()
        values = torch.randperm(len(regions), generator=generator).numpy() % 20
    else:
        values = check_tensor(_as_tensor(values, "values"), "values", dims=1, kind="any")
        values = values.detach().cpu().double().numpy()
        if len(values) != len(regions):
            raise ValueError(f"values has {len(values)} entries; pass one per region ({len(regions)}).")
    collection = PolyCollection(polys, array=np.asarray(values, dtype=float), cmap=cmap,
                                edgecolors=edgecolor, linewidths=linewidth,
                                antialiaseds=False)  # crisp fills: the PNG compresses several times better
    ax.add_collection(collection)
    xmin, xmax, ymin, ymax = regions.bounds
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.grid(False)
    if labels:
        for point, code in zip(regions.centroids(), regions.codes):
            ax.text(point[0], point[1], "".join("1" if b else "0" for b in code), ha="center", va="center",
                    fontsize=6)
    return ax


def plot_lines(model: nn.Sequential, bounds: Sequence[float], ax: Any = None, layer: int = 1, **kwargs: Any) -> Any:
    """Draw the lines ``w_j . x + b_j = 0`` of the neurons of one hidden layer acting on the 2-D input.

    Only the first hidden layer's neurons are straight lines of the input (deeper neurons bend at every
    earlier line: draw them with :func:`plot_regions`); ``layer`` must be 1 (hidden layers are 1-based).
    Neurons with a zero weight vector have no line and are skipped.

    Args:
        model: a ReLU MLP with a 2-D input.
        bounds: ``(xmin, xmax, ymin, ymax)``.
        ax: matplotlib Axes (default: a new figure).
        layer: hidden layer, 1-based; only 1 is supported.
        **kwargs: passed to ``ax.plot``.

    Returns:
        The Axes.

    Raises:
        ValueError: ``layer`` other than 1, or an input that is not 2-D.
    """
    if isinstance(layer, bool) or layer != 1:
        raise ValueError(
            f"only the first hidden layer's neurons are straight lines of the input; use layer=1 "
            f"(hidden layers are 1-based), got layer={layer!r}."
        )
    layers = _network_layers(model)
    if layers[0].W.shape[1] != 2:
        raise ValueError("plot_lines needs a 2-D input.")
    if len(layers) < 2:
        raise ValueError("the model has no hidden layer: there are no neuron lines to draw.")
    xmin, xmax, ymin, ymax = _check_bounds(bounds)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    W, b = layers[0].W, layers[0].b
    kwargs.setdefault("color", "black")
    kwargs.setdefault("linewidth", 1.0)
    for j in range(len(b)):
        w0, w1 = W[j]
        if w0 == 0 and w1 == 0:
            continue
        if abs(w1) > abs(w0):
            xs = np.array([xmin, xmax])
            ys = -(w0 * xs + b[j]) / w1
        else:
            ys = np.array([ymin, ymax])
            xs = -(w1 * ys + b[j]) / w0
        ax.plot(xs, ys, **kwargs)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    return ax


def plot_boundary(
    regions: Regions, ax: Any = None, output: int | tuple[int, int] = 0, threshold: float = 0.0, **kwargs: Any
) -> Any:
    """Draw the exact decision boundary ``f_output = threshold`` (one straight segment per crossed region).

    Returns:
        The Axes.
    """
    segments, _ = decision_boundary(regions, output, threshold)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    kwargs.setdefault("colors", "black")
    kwargs.setdefault("linewidths", 1.8)
    ax.add_collection(LineCollection(segments, **kwargs))
    return ax


def plot_partition(
    regions: Regions, x: Any, y: Any, ax: Any = None, output: int | tuple[int, int] = (1, 0), size: float = 3,
    **kwargs: Any,
) -> Any:
    """Regions (:func:`plot_regions`), the exact decision boundary (:func:`plot_boundary`) and the data.

    Args:
        regions: exact regions in a box.
        x: ``(n, 2)`` data.
        y: ``(n,)`` integer labels (one palette colour per class).
        ax: matplotlib Axes (default: a new figure).
        output: the boundary's output (an int, or ``(i, j)`` for ``f_i - f_j = 0``; the default suits a
            two-logit classifier).
        size: marker size of the data.
        **kwargs: passed to :func:`plot_regions` (e.g. ``linewidth``, ``labels``, ``cmap``).

    Returns:
        The Axes (axis labels set; set the title yourself).
    """
    _check_regions(regions)
    points = _points(x, "x", 2)
    labels = check_tensor(_as_tensor(y, "y", dtype=None), "y", dims=1, kind="int")
    if len(labels) != len(points):
        raise ValueError(f"y has {len(labels)} labels but x has {len(points)} rows; they must match.")
    kwargs.setdefault("linewidth", 0.3)
    ax = plot_regions(regions, ax=ax, **kwargs)
    plot_boundary(regions, ax=ax, output=output)
    ax.scatter(*points.T, c=[plotting.color(int(c)) for c in labels], s=size, zorder=3)
    ax.set(xlabel="$x_1$", ylabel="$x_2$")
    return ax
