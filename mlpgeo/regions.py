"""Exact linear regions of piecewise-linear MLPs in 1-D and 2-D, region statistics and counting bounds.

A ReLU (or LeakyReLU) MLP is affine on each cell of a partition of its input space; the cell of an input is
fixed by its *code*, the signs ``[z > 0]`` of every hidden neuron's pre-activation (layer order). Each cell
is convex (layer by layer it is an intersection of half-spaces, since the pre-activations are affine on a
cell of the previous layers). This module computes these cells exactly on a 2-D input (or a 2-D affine
slice of a higher-dimensional one) and on a 1-D input.

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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from mlpgeo.models import hidden_layers, require_piecewise_linear
from mlpgeo.report import rule_verdict

TOL = 1e-11
"""Default tolerance: the spherical distance below which a vertex counts as lying on a neuron's line."""

__all__ = [
    "TOL",
    "Region",
    "Regions",
    "Regions1D",
    "linear_regions_2d",
    "linear_regions_1d",
    "count_regions_plane",
    "enclosing_bounds",
    "network_layers",
    "forward_codes",
    "zaslavsky",
    "montufar_lower_bound",
    "deep_upper_bound",
    "local_complexity",
    "boundary_regions",
    "region_summary",
    "grid_code_count",
    "plot_regions",
    "plot_lines",
    "code_statistics",
    "decision_boundary",
    "partition_trajectory",
    "plot_boundary",
    "output_line",
    "mean_over_seeds",
    "summarize_runs",
    "toy_hash_experiment",
    "all_sign_codes",
    "mnist_code_experiment",
    "depth_experiment",
    "bias_experiment",
    "refinement_experiment",
    "snapshot_model",
    "plot_partition",
    "refinement_gif",
    "plot_code_counts",
    "plot_seed_bars",
    "plot_depth_counts",
    "plot_trajectories",
    "format_table",
    "claim_five_neurons",
    "claim_few_hold_data",
    "claim_few_codes_used",
    "claim_one_point_per_region",
    "claim_more_neurons",
    "claim_depth_refines",
    "typical_count_ratios",
    "claim_typical_counts",
    "claim_no_bias_origin",
    "claim_no_bias_regularises",
    "claim_learning_moves",
    "claim_boundary_concentration",
    "depth_study",
    "bias_study",
]


# ----------------------------------------------------------------------------------------------------------
# The network as float64 arrays
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One affine layer in float64: ``z = W h + b``, followed (for hidden layers) by a ReLU-like activation
    with slope ``1`` where ``z > 0`` and ``negative_slope`` elsewhere (0 for ReLU)."""

    W: np.ndarray
    b: np.ndarray
    negative_slope: float | None  # None for the output layer


def network_layers(model: nn.Module) -> list[Layer]:
    """The MLP's affine layers as float64 numpy arrays (hidden layers first, output layer last).

    Args:
        model: ``nn.Sequential(Linear, act, ..., Linear)`` with ReLU or LeakyReLU activations.

    Returns:
        A list of :class:`Layer`; hidden layers carry their activation's negative slope.

    Raises:
        TypeError: unsupported layers or a curved activation (GELU, tanh, ...).
        ValueError: NaN or infinite weights.
    """
    require_piecewise_linear(model)
    hidden = hidden_layers(model)
    out: list[Layer] = []
    linears = [lin for lin, _ in hidden] + [list(model)[-1]]
    for index, linear in enumerate(linears):
        weight = linear.merged_weight() if hasattr(linear, "merged_weight") else linear.weight  # LoRA layers
        W = weight.detach().cpu().double().numpy().copy()
        b = (
            linear.bias.detach().cpu().double().numpy().copy()
            if linear.bias is not None
            else np.zeros(W.shape[0])
        )
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ValueError(
                f"layer {index + 1} of the model holds NaN or infinite weights; regions are undefined. "
                "Check the training run that produced them."
            )
        if index < len(hidden):
            act = hidden[index][1]
            slope = float(act.negative_slope) if isinstance(act, nn.LeakyReLU) else 0.0
            out.append(Layer(W, b, slope))
        else:
            out.append(Layer(W, b, None))
    return out


def check_plane(d_in: int, plane: Any) -> np.ndarray:
    """The input embedding ``E: (d_in, 3)`` with ``x = E (s, t, 1)``, from ``plane=(origin, u, v)``.

    Raises:
        ValueError: a non-2-D input without a plane, wrong shapes, non-finite or parallel ``u``, ``v``.
    """
    if plane is None:
        if d_in != 2:
            raise ValueError(
                f"the model's input has {d_in} dimensions; pass plane=(origin, u, v) (each of shape "
                f"({d_in},)) to slice it along x = origin + s u + t v."
            )
        return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    if len(plane) != 3:
        raise ValueError("plane must be a triple (origin, u, v) of vectors of the input's dimension.")
    origin, u, v = (np.asarray(torch.as_tensor(p).detach().cpu().double(), dtype=np.float64) for p in plane)
    for name, p in (("origin", origin), ("u", u), ("v", v)):
        if p.shape != (d_in,):
            raise ValueError(f"plane {name} has shape {p.shape}; the model expects ({d_in},).")
        if not np.isfinite(p).all():
            raise ValueError(f"plane {name} holds NaN or infinite values.")
    if np.linalg.matrix_rank(np.stack([u, v]), tol=1e-12) < 2:
        raise ValueError("plane directions u and v are parallel (or zero); choose two independent directions.")
    return np.stack([u, v, origin], axis=1)


def check_bounds(bounds: Sequence[float]) -> tuple[float, float, float, float]:
    """Validate ``(xmin, xmax, ymin, ymax)``."""
    if len(bounds) != 4:
        raise ValueError(f"bounds must be (xmin, xmax, ymin, ymax), got {bounds!r}.")
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    if not all(math.isfinite(b) for b in (xmin, xmax, ymin, ymax)):
        raise ValueError(f"bounds must be finite, got {bounds!r}; use count_regions_plane for the whole plane.")
    if xmin >= xmax or ymin >= ymax:
        raise ValueError(f"bounds {bounds!r} need xmin < xmax and ymin < ymax.")
    return xmin, xmax, ymin, ymax


def forward_codes(layers: list[Layer], E: np.ndarray, st: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and outputs of the network at 2-D (slice) coordinates, in float64.

    Args:
        layers: from :func:`network_layers`.
        E: ``(d_in, 3)`` input embedding (see :func:`check_plane`).
        st: ``(p, 2)`` coordinates.

    Returns:
        ``(code, out)``: bool ``(p, N)`` (pre-activation > 0, every hidden neuron in layer order) and
        ``(p, d_out)`` outputs.
    """
    h = st @ E[:, :2].T + E[:, 2]
    bits = []
    for layer in layers[:-1]:
        z = h @ layer.W.T + layer.b
        bits.append(z > 0)
        h = np.where(z > 0, z, layer.negative_slope * z)
    out = h @ layers[-1].W.T + layers[-1].b
    code = np.concatenate(bits, axis=1) if bits else np.zeros((len(st), 0), dtype=bool)
    return code, out


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
class Partition:
    """Raw result of the splitting: homogeneous polygons, codes and output maps."""

    H: np.ndarray  # (R, K, 3) unit homogeneous vertices, counter-clockwise, zero padded
    count: np.ndarray  # (R,)
    code: np.ndarray  # (R, N) bool
    out_map: np.ndarray  # (R, d_out, 3): output = out_map @ (s, t, 1)


def _partition(layers: list[Layer], E: np.ndarray, H0: np.ndarray, tol: float) -> Partition:
    """Split the polygon ``H0: (k, 3)`` along every hidden neuron, layer by layer (see the module doc)."""
    H = H0[None].copy()
    count = np.array([len(H0)])
    maps = E[None]  # (Q, d, 3): the previous layer's (masked) output as a map of (s, t, w)
    codes = np.zeros((1, 0), dtype=bool)
    e_w = np.array([0.0, 0.0, 1.0])
    for layer in layers[:-1]:
        z_maps = np.matmul(layer.W, maps) + layer.b[:, None] * e_w  # (Q, width, 3)
        parent = np.arange(len(H))
        for j in range(layer.W.shape[0]):
            normal = _normalize(z_maps[parent, j])
            rows, pH, pc, nH, nc = _cut(H, count, normal, tol)
            if len(rows) == 0:
                continue
            width = max(H.shape[1], pH.shape[1], nH.shape[1])
            H = _fit(H, width)
            H[rows] = _fit(pH, width)
            count[rows] = pc
            H = np.concatenate([H, _fit(nH, width)], axis=0)
            count = np.concatenate([count, nc])
            parent = np.concatenate([parent, parent[rows]])
        point = _interior(H, count)
        z = np.einsum("pjd,pd->pj", z_maps[parent], point)
        scale = np.linalg.norm(z_maps[parent], axis=2)
        on = z > tol * np.maximum(scale, 1e-300)
        codes = np.concatenate([codes[parent], on], axis=1)
        mask = np.where(on, 1.0, layer.negative_slope)
        maps = mask[:, :, None] * z_maps[parent]
    out_map = np.matmul(layers[-1].W, maps) + layers[-1].b[:, None] * e_w
    if len(layers) == 1:
        out_map = np.broadcast_to(out_map, (len(H),) + out_map.shape[1:]).copy()
    return Partition(H, count, codes, out_map)


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
    """One linear region of a 2-D (slice of the) input.

    Attributes:
        vertices: ``(k, 2)`` float64, counter-clockwise, in the 2-D (slice) coordinates.
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

    A sequence of :class:`Region` (``len()`` is the region count), backed by arrays:

    Attributes:
        bounds: ``(xmin, xmax, ymin, ymax)`` of the box.
        codes: ``(R, N)`` bool codes, one row per region (all distinct).
        A: ``(R, d_out, 2)``, c: ``(R, d_out)``: per-region affine output maps.
        areas: ``(R,)`` polygon areas (they sum to the box's area).
        counts: ``(R,)`` number of vertices of each polygon; ``vertex_array``: ``(R, K, 2)`` zero-padded.
        tol: the tolerance used.
    """

    def __init__(self, partition: Partition, layers: list[Layer], E: np.ndarray, bounds: tuple[float, float, float, float], tol: float) -> None:
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

    def locate(self, points: Any) -> np.ndarray:
        """The region holding each point.

        Args:
            points: ``(p, 2)`` 2-D (slice) coordinates (array or tensor).

        Returns:
            ``(p,)`` int region index; ``-1`` for points outside the box (or, in a degenerate case, on a
            boundary whose forward-pass code matches no region).
        """
        st = np.asarray(torch.as_tensor(points).detach().cpu().double(), dtype=np.float64)
        if st.ndim != 2 or st.shape[1] != 2:
            raise ValueError(f"points must have shape (p, 2) (2-D slice coordinates), got {st.shape}.")
        if self._lookup is None:
            self._lookup = {key: i for i, key in enumerate(self._key(self.codes))}
        code, _ = forward_codes(self._layers, self._E, st)
        index = np.array([self._lookup.get(key, -1) for key in self._key(code)], dtype=np.int64)
        xmin, xmax, ymin, ymax = self.bounds
        inside = (st[:, 0] >= xmin) & (st[:, 0] <= xmax) & (st[:, 1] >= ymin) & (st[:, 1] <= ymax)
        index[~inside] = -1
        return index

    def data_counts(self, points: Any) -> np.ndarray:
        """``(R,)`` number of the given points (``(p, 2)``) that fall in each region."""
        index = self.locate(points)
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


def _adjacency(codes: np.ndarray, V: np.ndarray, count: np.ndarray, tol: float, bounds: tuple[float, float, float, float]) -> np.ndarray:
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
        # distances of B's edge endpoints to A's edge lines: (m, Ka, Kb)
        def off(Bp):
            rel = Bp[:, None, :, :] - A0[:, :, None, :]
            return u[:, :, None, 0] * rel[..., 1] - u[:, :, None, 1] * rel[..., 0], (
                u[:, :, None, 0] * rel[..., 0] + u[:, :, None, 1] * rel[..., 1]
            )
        d0, t0 = off(B0)
        d1, t1 = off(B1)
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


def linear_regions_2d(
    model: nn.Module,
    bounds: Sequence[float] = (-1.0, 1.0, -1.0, 1.0),
    plane: tuple[Any, Any, Any] | None = None,
    tol: float = TOL,
) -> Regions:
    """Every linear region of a ReLU / LeakyReLU MLP on a box of its 2-D input (or of a 2-D slice).

    Args:
        model: ``nn.Sequential(Linear, act, ..., Linear)``, activations ReLU or LeakyReLU.
        bounds: ``(xmin, xmax, ymin, ymax)`` of the box, in the 2-D (slice) coordinates.
        plane: ``(origin, u, v)`` each ``(d_in,)``: the slice ``x = origin + s u + t v``; required when the
            input is not 2-D.
        tol: on-line tolerance (see the module doc).

    Returns:
        :class:`Regions` (a sequence of :class:`Region`): the polygons tile the box, each has a distinct code.

    Raises:
        TypeError: unsupported layers or a curved activation.
        ValueError: non-2-D input without a plane, a box with min >= max, NaN weights.
    """
    layers = network_layers(model)
    E = check_plane(layers[0].W.shape[1], plane)
    box = check_bounds(bounds)
    partition = _partition(layers, E, _box_polygon(box), tol)
    return Regions(partition, layers, E, box, tol)


def _plane_partition(model: nn.Module, plane, tol: float) -> tuple[Partition, list[Layer], np.ndarray]:
    layers = network_layers(model)
    E = check_plane(layers[0].W.shape[1], plane)
    return _partition(layers, E, PLANE_POLYGON, tol), layers, E


def count_regions_plane(
    model: nn.Module, plane: tuple[Any, Any, Any] | None = None, tol: float = TOL
) -> int:
    """The number of linear regions of the whole (slice) plane, unbounded regions included.

    Exact: the plane is cut as a spherical polygon (points at infinity included), so no box is involved.

    Args:
        model: a ReLU / LeakyReLU MLP.
        plane: as in :func:`linear_regions_2d`.
        tol: on-line tolerance.

    Returns:
        The region count.
    """
    partition, _, _ = _plane_partition(model, plane, tol)
    return len(partition.count)


def enclosing_bounds(
    model: nn.Module, plane: tuple[Any, Any, Any] | None = None, margin: float = 0.1, tol: float = TOL
) -> tuple[float, float, float, float]:
    """A box that contains every vertex of the whole-plane partition and meets every region.

    The whole plane is partitioned exactly (see :func:`count_regions_plane`); the box holds every finite
    vertex (region corners, and one point of each region bounded only by full lines), enlarged by
    ``margin`` times its size (plus 1e-3). Every region then meets the box's interior, and no two regions
    meet outside it, so ``len(linear_regions_2d(model, enclosing_bounds(model)))`` equals
    ``count_regions_plane(model)`` (up to floating point on very large boxes).

    Returns:
        ``(xmin, xmax, ymin, ymax)``.
    """
    partition, _, _ = _plane_partition(model, plane, tol)
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
    """The linear pieces of a scalar-input MLP on an interval.

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


def linear_regions_1d(model: nn.Module, interval: Sequence[float] = (-1.0, 1.0), tol: float = 1e-12) -> Regions1D:
    """Exact linear pieces of a scalar-input ReLU / LeakyReLU MLP on ``interval = (a, b)``.

    Layer by layer each piece carries the map ``z_l = alpha x + beta`` of the layer's pre-activations; each
    neuron's root ``-beta/alpha`` strictly inside a piece (by more than ``tol (b - a)``) becomes a
    breakpoint; the new pieces read their mask at their midpoints.

    Returns:
        :class:`Regions1D` ``(breakpoints (r+1,), codes (r, N), slopes (r, d_out), intercepts (r, d_out))``;
        it unpacks as a 4-tuple.

    Raises:
        ValueError: non-scalar input, ``a >= b``, NaN weights. TypeError: curved activations.
    """
    layers = network_layers(model)
    if layers[0].W.shape[1] != 1:
        raise ValueError(
            f"linear_regions_1d needs a scalar-input model, this one takes {layers[0].W.shape[1]} inputs; "
            "use linear_regions_2d(..., plane=...) for slices of higher-dimensional inputs."
        )
    if len(interval) != 2:
        raise ValueError(f"interval must be (a, b), got {interval!r}.")
    a, b = float(interval[0]), float(interval[1])
    if not (math.isfinite(a) and math.isfinite(b)) or a >= b:
        raise ValueError(f"interval {interval!r} needs finite a < b.")
    eps = tol * (b - a)
    bp = np.array([a, b])
    maps = np.array([[[1.0, 0.0]]])  # (r, d, 2): h = maps[..., 0] x + maps[..., 1]
    codes = np.zeros((1, 0), dtype=bool)
    for layer in layers[:-1]:
        z = np.matmul(layer.W, maps) + np.stack([np.zeros_like(layer.b), layer.b], axis=1)  # (r, w, 2)
        alpha, beta = z[:, :, 0], z[:, :, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            root = -beta / alpha
        lo, hi = bp[:-1, None], bp[1:, None]
        inside = (alpha != 0) & (root > lo + eps) & (root < hi - eps)
        new_bp = np.unique(np.concatenate([bp, root[inside]]))
        # merge roots closer than the tolerance (roots already keep eps away from existing breakpoints)
        new_bp = new_bp[np.concatenate([[True], np.diff(new_bp) > eps])]
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


def zaslavsky(n: int, d: int, through_origin: bool = False) -> int:
    """Regions of ``n`` hyperplanes in general position in ``R^d`` (Zaslavsky's theorem).

    ``sum_{i=0}^{d} C(n, i)`` for affine hyperplanes; ``2 sum_{i=0}^{d-1} C(n-1, i)`` for a central
    arrangement (every hyperplane through the origin, i.e. no biases). Both equal ``2^n`` when ``n <= d``.
    For 5 neurons: d=1: 6 (2), d=2: 16 (10), d=3: 26 (22), d=4: 31 (30), d>=5: 32 (32).

    Raises:
        ValueError: ``n < 0`` or ``d < 1``.
    """
    if n < 0 or d < 1:
        raise ValueError(f"zaslavsky needs n >= 0 hyperplanes and dimension d >= 1, got n={n}, d={d}.")
    if through_origin:
        if n == 0:
            return 1
        return 2 * sum(math.comb(n - 1, i) for i in range(d))
    return sum(math.comb(n, i) for i in range(d + 1))


def montufar_lower_bound(hidden_widths: Sequence[int], d_in: int) -> int:
    """Montufar, Pascanu, Cho, Bengio (2014) lower bound on the maximal region count of a deep ReLU MLP.

    ``(prod_{l=1}^{L-1} floor(n_l / n_0)^{n_0}) * sum_{j=0}^{n_0} C(n_L, j)`` with ``n_0 = d_in`` and hidden
    widths ``n_1, ..., n_L`` (each ``>= n_0``): some network of this shape has at least this many regions.

    Raises:
        ValueError: empty widths or a width below ``d_in``.
    """
    widths = [int(w) for w in hidden_widths]
    if not widths or d_in < 1 or min(widths) < d_in:
        raise ValueError(f"montufar_lower_bound needs hidden widths >= d_in={d_in}, got {widths}.")
    product = 1
    for n_l in widths[:-1]:
        product *= (n_l // d_in) ** d_in
    return product * sum(math.comb(widths[-1], j) for j in range(d_in + 1))


def deep_upper_bound(hidden_widths: Sequence[int], d_in: int) -> int:
    """A simple upper bound on the region count of a deep ReLU MLP (Raghu et al. 2017 / Serra et al. 2018).

    ``prod_l sum_{j=0}^{d_l} C(n_l, j)`` with ``d_l = min(n_0, n_1, ..., n_{l-1})``: each region of the
    first ``l-1`` layers is cut by ``n_l`` hyperplanes living in (at most) ``d_l`` dimensions.
    """
    widths = [int(w) for w in hidden_widths]
    if not widths or d_in < 1 or min(widths) < 1:
        raise ValueError(f"deep_upper_bound needs positive widths and d_in >= 1, got {widths}, {d_in}.")
    bound, dim = 1, d_in
    for n_l in widths:
        bound *= sum(math.comb(n_l, j) for j in range(dim + 1))
        dim = min(dim, n_l)
    return bound


# ----------------------------------------------------------------------------------------------------------
# Local complexity and decision-boundary regions
# ----------------------------------------------------------------------------------------------------------


def local_complexity(
    model: nn.Module, x: Any, radius: float, n_directions: int | None = None, seed: int = 0
) -> np.ndarray:
    """Local complexity (Humayun, Balestriero, Baraniuk 2024): neurons whose sign changes near each point.

    Around each point ``x_i`` take ``P`` random orthonormal directions ``v_p`` and the cross-polytope with
    vertices ``x_i +/- radius v_p``; a hidden neuron counts if its pre-activation sign is not the same at all
    ``2P`` vertices (deeper layers evaluated by a forward pass at the vertices: exact for the first layer,
    an approximation deeper). The count is summed over layers.

    Args:
        model: a ReLU / LeakyReLU MLP.
        x: ``(n, d_in)`` points.
        radius: the cross-polytope radius.
        n_directions: ``P`` (default ``d_in``, at most ``d_in``).
        seed: seed of the random directions.

    Returns:
        ``(n,)`` int counts (average them for the paper's LC).
    """
    layers = network_layers(model)
    d_in = layers[0].W.shape[1]
    x = np.asarray(torch.as_tensor(x).detach().cpu().double(), dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != d_in:
        raise ValueError(f"x must have shape (n, {d_in}), got {x.shape}.")
    if not radius > 0:
        raise ValueError(f"radius must be > 0, got {radius}.")
    P = d_in if n_directions is None else int(n_directions)
    if not 1 <= P <= d_in:
        raise ValueError(f"n_directions must lie in [1, {d_in}], got {P}.")
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d_in, P)))
    offsets = radius * np.concatenate([q.T, -q.T], axis=0)  # (2P, d_in)
    pts = (x[:, None, :] + offsets[None]).reshape(-1, d_in)
    h = pts
    total = np.zeros(len(x), dtype=np.int64)
    for layer in layers[:-1]:
        z = h @ layer.W.T + layer.b
        s = (z > 0).reshape(len(x), 2 * P, -1)
        total += (s.any(axis=1) & ~s.all(axis=1)).sum(axis=1)
        h = np.where(z > 0, z, layer.negative_slope * z)
    return total


def output_line(regions: Regions, output: int | tuple[int, int] = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per-region affine map of one output (``int``) or of a logit difference ``f_i - f_j`` (``(i, j)``).

    Returns:
        ``(A (R, 2), c (R,))``.
    """
    if isinstance(output, tuple):
        i, j = output
        return regions.A[:, i] - regions.A[:, j], regions.c[:, i] - regions.c[:, j]
    return regions.A[:, output], regions.c[:, output]


def boundary_regions(regions: Regions, output: int | tuple[int, int] = 0, threshold: float = 0.0) -> np.ndarray:
    """Which regions the decision boundary ``f_output(x) = threshold`` crosses (exact, 2-D).

    On each region the output is affine, so the boundary crosses it iff the output takes values strictly
    on both sides of ``threshold`` at the polygon's vertices. ``output=(i, j)`` uses ``f_i - f_j`` (the
    boundary between two classes of a multi-logit network).

    Returns:
        ``(R,)`` bool.
    """
    V, count = regions.vertex_array, regions.counts
    A, c = output_line(regions, output)
    values = np.einsum("rkd,rd->rk", V, A) + c[:, None] - threshold
    valid = np.arange(V.shape[1])[None, :] < count[:, None]
    return ((values > 0) & valid).any(axis=1) & ((values < 0) & valid).any(axis=1)


def region_summary(regions: Regions, points: Any | None = None) -> dict[str, Any]:
    """Headline statistics of a partition: count, areas, adjacency degree and (optionally) data occupancy.

    Returns:
        ``{"regions", "area_min", "area_median", "area_max", "edges", "mean_degree"}`` plus, with
        ``points: (p, 2)``, ``"with_data"`` (regions holding >= 1 point), ``"max_per_region"`` and
        ``"singletons"`` (regions holding exactly one point).
    """
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
    if points is not None:
        counts = regions.data_counts(points)
        out.update(
            with_data=int((counts > 0).sum()),
            max_per_region=int(counts.max()),
            singletons=int((counts == 1).sum()),
        )
    return out


def grid_code_count(model: nn.Module, bounds: Sequence[float], resolution: int, plane=None) -> int:
    """Distinct codes seen on a ``resolution x resolution`` grid of the box (a lower bound on the regions)."""
    layers = network_layers(model)
    E = check_plane(layers[0].W.shape[1], plane)
    xmin, xmax, ymin, ymax = check_bounds(bounds)
    s, t = np.meshgrid(np.linspace(xmin, xmax, resolution), np.linspace(ymin, ymax, resolution))
    code, _ = forward_codes(layers, E, np.stack([s.ravel(), t.ravel()], axis=1))
    return len(np.unique(np.packbits(code, axis=1), axis=0))


# ----------------------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------------------


def plot_regions(
    regions: Regions,
    ax: Any = None,
    values: np.ndarray | None = None,
    cmap: str = "tab20",
    edgecolor: str = "white",
    linewidth: float = 0.4,
    labels: bool = False,
    seed: int = 0,
) -> Any:
    """Draw the regions as filled polygons.

    Args:
        regions: from :func:`linear_regions_2d`.
        ax: matplotlib axes (a new figure if ``None``).
        values: ``(R,)`` numbers to colour by (default: a random colour per region, seeded).
        cmap: colormap name. edgecolor, linewidth: region borders.
        labels: write each region's code (as a bit string) at its centroid (small partitions only).
        seed: seed of the random colours.

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    polys = [regions.vertex_array[i, : regions.counts[i]] for i in range(len(regions))]
    if values is None:
        values = np.random.default_rng(seed).permutation(len(regions)) % 20
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


def plot_lines(model: nn.Module, bounds: Sequence[float], ax: Any = None, layer: int = 1, **kwargs: Any) -> Any:
    """Draw the lines ``w_j . x + b_j = 0`` of the neurons of one hidden layer acting on the 2-D input.

    Only the first hidden layer's neurons are straight lines of the input (deeper neurons bend at every
    earlier line: draw them with :func:`plot_regions`); ``layer`` must be 1 (hidden layers are 1-based).

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
    import matplotlib.pyplot as plt

    if layer != 1:
        raise ValueError(
            f"only the first hidden layer's neurons are straight lines of the input; use layer=1 "
            f"(hidden layers are 1-based), got layer={layer!r}."
        )
    layers = network_layers(model)
    if layers[0].W.shape[1] != 2:
        raise ValueError("plot_lines needs a 2-D input.")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    xmin, xmax, ymin, ymax = check_bounds(bounds)
    W, b = layers[0].W, layers[0].b
    kwargs.setdefault("color", "black")
    kwargs.setdefault("linewidth", 1.0)
    for j in range(len(b)):
        w0, w1 = W[j]
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


# ----------------------------------------------------------------------------------------------------------
# Statistics used by the hashing report
# ----------------------------------------------------------------------------------------------------------


def code_statistics(code: Any, labels: Any | None = None) -> dict[str, Any]:
    """How a set of inputs spreads over hash codes (one code = one activation region).

    Args:
        code: ``(n, N)`` bool codes (tensor or array), e.g. from ``patterns.concat_codes``.
        labels: optional ``(n,)`` class labels.

    Returns:
        ``{"n", "bits" (N; 2^N codes are possible), "distinct", "max_per_code", "codes_single"
        (share of used codes holding exactly one input), "inputs_alone" (share of inputs alone in their
        code)}`` plus, with labels, ``"mixed_codes"`` (share of used codes holding > 1 class) and
        ``"inputs_in_mixed"`` (share of inputs in such codes).
    """
    code = np.asarray(torch.as_tensor(code).detach().cpu().numpy(), dtype=bool)
    if code.ndim != 2:
        raise ValueError(f"code must be (n, N) bool, got shape {code.shape}.")
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
        labels = np.asarray(torch.as_tensor(labels).detach().cpu().numpy()).ravel()
        if len(labels) != len(code):
            raise ValueError(f"labels has {len(labels)} entries but code has {len(code)} rows.")
        pairs = np.unique(np.stack([inverse, labels.astype(np.int64)], axis=1), axis=0)
        classes_per_code = np.bincount(pairs[:, 0], minlength=len(counts))
        mixed = classes_per_code > 1
        out.update(mixed_codes=float(mixed.mean()), inputs_in_mixed=float(mixed[inverse].mean()))
    return out


def decision_boundary(
    regions: Regions, output: int | tuple[int, int] = 0, threshold: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """The exact decision boundary ``f_output = threshold`` as straight segments, one per crossed region.

    Returns:
        ``(segments (m, 2, 2), region (m,))``: each segment's end points and the region it crosses.
    """
    crossed = np.nonzero(boundary_regions(regions, output, threshold))[0]
    A, c = output_line(regions, output)
    segments = np.zeros((len(crossed), 2, 2))
    for row, i in enumerate(crossed):  # a few hundred regions at most: clarity over speed
        v = regions.vertex_array[i, : regions.counts[i]]
        f = v @ A[i] + c[i] - threshold
        fn, vn = np.roll(f, -1), np.roll(v, -1, axis=0)
        hit = (f > 0) != (fn > 0)
        t = f[hit] / (f[hit] - fn[hit])
        pts = v[hit] + t[:, None] * (vn[hit] - v[hit])
        segments[row] = pts[:2] if len(pts) >= 2 else np.stack([pts[0], pts[0]])
    return segments, crossed


def partition_trajectory(
    model: nn.Module,
    snapshots: Sequence[tuple[int, dict[str, torch.Tensor]]],
    x: Any,
    bounds: Sequence[float],
    radius: float,
    output: int = 0,
    threshold: float = 0.0,
) -> dict[str, list[float]]:
    """Partition statistics along training snapshots of one 2-D network.

    Args:
        model: a network of the snapshots' architecture (its weights are not changed).
        snapshots: ``(epoch, state_dict)`` pairs (``History.snapshots``).
        x: ``(n, 2)`` data.
        bounds: the box ``(xmin, xmax, ymin, ymax)``.
        radius: local-complexity radius.
        output: the output unit whose level set ``f_output = threshold`` is the decision boundary.
        threshold: the level (0 for a single logit; for two logits pass a model whose output 0 is their
            difference).

    Returns:
        Lists over snapshots: ``"epoch"``, ``"regions"``, ``"regions_with_data"``, ``"boundary_regions"``
        (regions the decision boundary crosses), ``"boundary_length"``, ``"boundary_density"`` (crossed
        regions per unit boundary length), ``"lc_data"`` (mean local complexity at the data),
        ``"lc_boundary"`` (at the boundary segments' midpoints), ``"angle"`` / ``"shift"`` (mean rotation in
        degrees and mean absolute offset change of the first layer's lines since the previous snapshot),
        ``"same_code"`` (share of the data keeping its code since the previous snapshot) and ``"map_change"``
        (mean |output change| of those points over their mean |output|: the maps moving inside regions).
    """
    import copy

    from mlpgeo.lora import hyperplane_motion, map_change

    keys = ["epoch", "regions", "regions_with_data", "boundary_regions", "boundary_length", "boundary_density",
            "lc_data", "lc_boundary", "angle", "shift", "same_code", "map_change"]
    out: dict[str, list[float]] = {k: [] for k in keys}
    previous = None
    for epoch, state in snapshots:
        net = copy.deepcopy(model)
        net.load_state_dict(state)
        regions = linear_regions_2d(net, bounds)
        segments, _ = decision_boundary(regions, output, threshold)
        length = float(np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1).sum())
        mids = segments.mean(axis=1)
        out["epoch"].append(epoch)
        out["regions"].append(len(regions))
        out["regions_with_data"].append(int((regions.data_counts(x) > 0).sum()))
        out["boundary_regions"].append(len(segments))
        out["boundary_length"].append(length)
        out["boundary_density"].append(len(segments) / length if length > 0 else float("nan"))
        out["lc_data"].append(float(local_complexity(net, x, radius).mean()))
        out["lc_boundary"].append(float(local_complexity(net, mids, radius).mean()) if len(mids) else float("nan"))
        if previous is None:
            out["angle"].append(0.0)
            out["shift"].append(0.0)
            out["same_code"].append(1.0)
            out["map_change"].append(0.0)
        else:
            motion = hyperplane_motion(previous, net, layer=1)
            out["angle"].append(float(np.degrees(motion["angle"]).mean()))
            out["shift"].append(float(np.abs(motion["shift"]).mean()))
            change = map_change(previous, net, torch.as_tensor(x, dtype=torch.float32))
            out["same_code"].append(change["same_code"])
            out["map_change"].append(change["output_change"] / change["output_scale"]
                                     if change["same_code"] > 0 else float("nan"))
        previous = net
    return out


def plot_boundary(
    regions: Regions, ax: Any = None, output: int | tuple[int, int] = 0, threshold: float = 0.0, **kwargs: Any
) -> Any:
    """Draw the exact decision boundary ``f_output = threshold`` (one straight segment per crossed region)."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    segments, _ = decision_boundary(regions, output, threshold)
    kwargs.setdefault("colors", "black")
    kwargs.setdefault("linewidths", 1.8)
    ax.add_collection(LineCollection(segments, **kwargs))
    return ax


# ----------------------------------------------------------------------------------------------------------
# Experiments of the hashing report (one function per experiment; the notebook only calls and plots)
# ----------------------------------------------------------------------------------------------------------


def mean_over_seeds(runs: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Per-key mean of a list of per-seed result dicts (all with the same numeric keys).

    Args:
        runs: one dict per seed.

    Returns:
        ``{key: mean over seeds}``.
    """
    return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}


def summarize_runs(runs: Sequence[dict[str, Any]], keys: Sequence[str] | None = None) -> dict[str, Any]:
    """``report.summarize`` (mean, std, n, values) of each key over a list of per-seed result dicts.

    Args:
        runs: one dict per seed.
        keys: the keys to summarise (default: all keys of the first run).

    Returns:
        ``{key: summarize([run[key] for run in runs])}``.
    """
    from mlpgeo.report import summarize

    return {k: summarize([r[k] for r in runs]) for k in (keys if keys is not None else runs[0])}


def _train_quietly(model: nn.Module, x: torch.Tensor, y: torch.Tensor, **kwargs: Any) -> Any:
    from mlpgeo.models import train

    return train(model, x, y, progress=False, **kwargs)


def toy_hash_experiment(seed: int, bounds: Sequence[float]) -> dict[str, Any]:
    """Section 1: a ``2 -> 5 -> 2`` ReLU network trained on two moons (300 points, noise 0.1; Adam, lr 0.02,
    300 full-batch epochs), with its exact regions.

    Args:
        seed: seed of the data and of the initialisation.
        bounds: the box ``(xmin, xmax, ymin, ymax)`` in which regions are counted.

    Returns:
        ``{"seed", "model", "x" (300, 2), "y" (300,), "regions"`` (:class:`Regions` in the box), ``"plane"``
        (whole-plane count), ``"box"`` (count in the box), ``"with_data"`` (box regions holding a point),
        ``"acc"`` (training accuracy)``}``.
    """
    from mlpgeo import data, models

    x, y = data.two_moons(300, noise=0.1, seed=seed)
    model = models.mlp([2, 5, 2], seed=seed)
    _train_quietly(model, x, y, lr=2e-2, epochs=300)
    box_regions = linear_regions_2d(model, bounds)
    summary = region_summary(box_regions, x)
    return dict(seed=seed, model=model, x=x, y=y, regions=box_regions, plane=count_regions_plane(model),
                box=summary["regions"], with_data=summary["with_data"], acc=models.accuracy(model, x, y))


def all_sign_codes(width: int, seed: int) -> int:
    """Distinct codes of a random square ReLU layer ``width -> width`` on ``2^width`` inputs chosen to realise
    every sign pattern.

    For ``z = W x + b`` with ``W`` invertible, ``x_t = W^{-1} (t - b)`` has pre-activation ``t``; taking
    ``t`` over ``{-1, 1}^width`` gives every code once, so the result is ``2^width`` (all codes are
    possible once the input dimension is at least the width).

    Args:
        width: neurons (= input dimension).
        seed: seed of the layer ``models.mlp([width, width, 1], seed=seed)``.

    Returns:
        The number of distinct codes the network assigns to the ``2^width`` inputs.
    """
    from mlpgeo import models, patterns

    layer = models.mlp([width, width, 1], seed=seed)
    W, b = layer[0].weight.detach().double(), layer[0].bias.detach().double()
    t = torch.tensor(list(np.ndindex(*(2,) * width)), dtype=torch.float64) * 2 - 1
    z = torch.linalg.solve(W, (t - b).T).T.float()
    return code_statistics(patterns.concat_codes(patterns.activation_patterns(layer, z)))["distinct"]


def mnist_code_experiment(
    widths: Sequence[int], seed: int, train_set: tuple[torch.Tensor, torch.Tensor],
    test_set: tuple[torch.Tensor, torch.Tensor], epochs: int,
) -> dict[str, Any]:
    """Section 2: train one MNIST MLP (Adam, lr 1e-3, batch 128) and hash its training set.

    Args:
        widths: layer widths, e.g. ``[784, 64, 10]``.
        seed: seed of the initialisation and of the batch order.
        train_set: ``(x (n, 784), y (n,))`` training digits.
        test_set: ``(x, y)`` test digits.
        epochs: training epochs.

    Returns:
        :func:`code_statistics` of the training codes (with labels) plus ``"test_acc"`` and ``"log2_upper"``
        (log2 of :func:`deep_upper_bound` for the hidden widths).
    """
    from mlpgeo import models, patterns

    x_tr, y_tr = train_set
    model = models.mlp(list(widths), seed=seed)
    _train_quietly(model, x_tr, y_tr, epochs=epochs, batch_size=128, seed=seed)
    stats = code_statistics(patterns.concat_codes(patterns.activation_patterns(model, x_tr)), y_tr)
    stats["test_acc"] = models.accuracy(model, *test_set)
    stats["log2_upper"] = math.log2(deep_upper_bound(list(widths[1:-1]), widths[0]))
    return stats


def depth_experiment(
    seed: int, hidden: Sequence[int], bounds: Sequence[float], epochs: int
) -> tuple[dict[str, float], nn.Module, torch.Tensor, torch.Tensor]:
    """Section 3: region counts of one ``2 -> hidden -> 2`` network on two moons, at init and after training
    (Adam, lr 5e-3, full batch).

    Args:
        seed: seed of the data (300 points, noise 0.1) and of the initialisation.
        hidden: hidden widths, e.g. ``[16, 16, 16]``.
        bounds: the box for the box counts.
        epochs: training epochs.

    Returns:
        ``(counts, model, x, y)`` with ``counts = {"init_plane", "init_box", "plane", "box", "acc"}``
        (whole-plane and box counts at initialisation and after training, training accuracy).
    """
    from mlpgeo import data, models

    x, y = data.two_moons(300, noise=0.1, seed=seed)
    model = models.mlp([2, *hidden, 2], seed=seed)
    init_plane, init_box = count_regions_plane(model), len(linear_regions_2d(model, bounds))
    _train_quietly(model, x, y, lr=5e-3, epochs=epochs)
    counts = dict(init_plane=init_plane, init_box=init_box, plane=count_regions_plane(model),
                  box=len(linear_regions_2d(model, bounds)), acc=models.accuracy(model, x, y))
    return counts, model, x, y


def bias_experiment(
    seed: int, hidden: Sequence[int], bias: bool, bounds: Sequence[float], epochs: int
) -> tuple[dict[str, float], nn.Module, Regions, torch.Tensor, torch.Tensor]:
    """Section 4: one network with or without biases on small noisy two moons (100 training points, noise
    0.25; 2000 test points from seed ``1000 + seed``; Adam, lr 5e-3, full batch).

    Args:
        seed: seed of the data and of the initialisation.
        hidden: hidden widths.
        bias: whether the Linear layers have biases.
        bounds: the box for the exact regions.
        epochs: training epochs.

    Returns:
        ``(stats, model, regions, x, y)``; ``stats = {"init_plane", "plane", "box", "origin_share"`` (share of
        box regions with the origin as a vertex), ``"train_acc", "test_acc", "final_loss"}``.
    """
    from mlpgeo import data, models

    x, y = data.two_moons(100, noise=0.25, seed=seed)
    x_test, y_test = data.two_moons(2000, noise=0.25, seed=1000 + seed)
    model = models.mlp([2, *hidden, 2], bias=bias, seed=seed)
    init_plane = count_regions_plane(model)
    history = _train_quietly(model, x, y, lr=5e-3, epochs=epochs)
    part = linear_regions_2d(model, bounds)
    at_origin = np.mean([np.linalg.norm(r.vertices, axis=1).min() < 1e-9 for r in part])
    stats = dict(init_plane=init_plane, plane=count_regions_plane(model), box=len(part), origin_share=at_origin,
                 train_acc=models.accuracy(model, x, y), test_acc=models.accuracy(model, x_test, y_test),
                 final_loss=history.epoch_loss[-1])
    return stats, model, part, x, y


def refinement_experiment(seed: int, bounds: Sequence[float], epochs: int, radius: float = 0.05) -> dict[str, Any]:
    """Section 5: a ``2 -> 16 -> 16 -> 1`` network trained on two moons (BCE, Adam, lr 3e-3, full batch) with
    15 snapshots, and its :func:`partition_trajectory`.

    Args:
        seed: seed of the data (300 points, noise 0.1) and of the initialisation.
        bounds: the box.
        epochs: training epochs (a snapshot every ``epochs // 15``).
        radius: local-complexity radius.

    Returns:
        ``{"trajectory", "summary", "model", "history", "x", "y"}``; ``summary`` holds ``total_angle`` and
        ``total_shift`` (summed first-layer motion), ``acc``, ``same_code_init_to_end`` (share of points with
        the same code at init and at the end), and over the second half of the snapshots ``late_same_code``
        (mean share keeping its code between snapshots) and ``late_map_change`` (mean relative output change
        of those points).
    """
    from mlpgeo import data, models
    from mlpgeo.lora import map_change

    x, y = data.two_moons(300, noise=0.1, seed=seed)
    model = models.mlp([2, 16, 16, 1], seed=seed)
    init = models.clone(model)
    history = _train_quietly(model, x, y.float(), loss="bce", lr=3e-3, epochs=epochs, snapshot_every=epochs // 15)
    tr = partition_trajectory(model, history.snapshots, x, bounds, radius=radius)
    late = slice(len(tr["epoch"]) // 2, None)
    summary = dict(total_angle=sum(tr["angle"]), total_shift=sum(tr["shift"]), acc=models.accuracy(model, x, y),
                   same_code_init_to_end=map_change(init, model, x)["same_code"],
                   late_same_code=float(np.mean(tr["same_code"][late])),
                   late_map_change=float(np.nanmean(tr["map_change"][late])))
    return dict(trajectory=tr, summary=summary, model=model, history=history, x=x, y=y)


def snapshot_model(model: nn.Module, state: dict[str, torch.Tensor]) -> nn.Module:
    """A copy of ``model`` carrying the weights ``state`` (a training snapshot); ``model`` is unchanged.

    Args:
        model: a network of the snapshot's architecture.
        state: a ``state_dict``.

    Returns:
        The new network.
    """
    import copy

    net = copy.deepcopy(model)
    net.load_state_dict(state)
    return net


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
        output: the boundary's output (an int, or ``(i, j)`` for ``f_i - f_j = 0``).
        size: marker size of the data.
        **kwargs: passed to :func:`plot_regions` (e.g. ``linewidth``, ``labels``, ``cmap``).

    Returns:
        The Axes (axis labels set; set the title yourself).
    """
    from mlpgeo import plotting

    kwargs.setdefault("linewidth", 0.3)
    ax = plot_regions(regions, ax=ax, **kwargs)
    plot_boundary(regions, ax=ax, output=output)
    ax.scatter(*np.asarray(x).T, c=[plotting.color(int(c)) for c in y], s=size, zorder=3)
    ax.set(xlabel="$x_1$", ylabel="$x_2$")
    return ax


def refinement_gif(
    model: nn.Module,
    snapshots: Sequence[tuple[int, dict[str, torch.Tensor]]],
    x: Any,
    y: Any,
    bounds: Sequence[float],
    output: int = 0,
    size_px: int = 340,
    duration_ms: int = 450,
) -> bytes:
    """The partition over training as an animated GIF: one frame per snapshot.

    Each frame draws the exact regions in the box, coloured by the network's output ``f_output`` at the
    region's centroid (blue negative, red positive; one fixed scale, 1.5 times the 95th percentile of
    ``|f|`` over all frames, so a region's colour only changes when its map does), the exact decision
    boundary ``f_output = 0`` and the data.

    Args:
        model: a 2-D network of the snapshots' architecture (not changed).
        snapshots: ``(epoch, state_dict)`` pairs (``History.snapshots``), at least 2.
        x: ``(n, 2)`` data.
        y: ``(n,)`` integer labels.
        bounds: the box ``(xmin, xmax, ymin, ymax)``.
        output: the output unit shown.
        size_px: frame width and height in pixels.
        duration_ms: time per frame.

    Returns:
        The GIF file's bytes (64-colour palette, looping).

    Raises:
        ValueError: fewer than 2 snapshots.
    """
    import io

    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    from mlpgeo import plotting

    if len(snapshots) < 2:
        raise ValueError(f"an animation needs at least 2 snapshots, got {len(snapshots)}.")
    parts = [(epoch, linear_regions_2d(snapshot_model(model, state), bounds)) for epoch, state in snapshots]
    values = []
    for _, part in parts:
        A, c = output_line(part, output)
        values.append(np.einsum("rd,rd->r", part.centroids(), A) + c)
    scale = 1.5 * float(np.percentile(np.abs(np.concatenate(values)), 95)) or 1.0  # light enough to see the data
    images = []
    with matplotlib.rc_context(plotting.STYLE):
        dpi = 80
        for (epoch, part), value in zip(parts, values):
            fig = Figure(figsize=(size_px / dpi, size_px / dpi), dpi=dpi)
            canvas = FigureCanvasAgg(fig)
            ax = fig.add_subplot()
            plot_partition(part, x, y, ax=ax, output=output, size=3, values=np.clip(value, -scale, scale),
                           cmap="RdBu_r", linewidth=0.3)
            ax.collections[0].set_clim(-scale, scale)
            ax.set_title(f"epoch {epoch}: {len(part)} regions (colour: logit)", fontsize=10)
            canvas.draw()
            images.append(Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB"))
    palette = images[-1].quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    frames = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], loop=0,
                   duration=[duration_ms] * (len(frames) - 1) + [4 * duration_ms], optimize=True)
    return buffer.getvalue()


def plot_code_counts(regions: Regions, x: Any, ax: Any = None) -> Any:
    """Bar chart of the data points per code (region), most populated first, codes as bit strings.

    Args:
        regions: exact regions in a box.
        x: ``(n, 2)`` data.
        ax: matplotlib Axes (default: a new figure).

    Returns:
        The Axes.
    """
    import matplotlib.pyplot as plt

    from mlpgeo import plotting

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    counts = regions.data_counts(x)
    order = np.argsort(-counts)
    labels = ["".join("1" if b else "0" for b in regions.codes[i]) for i in order]
    ax.bar(range(len(order)), counts[order], color=plotting.color(0))
    ax.set_xticks(range(len(order)), labels, rotation=90, fontsize=7)
    ax.set(xlabel="code (neuron 1..N)", ylabel="points")
    return ax


def plot_seed_bars(runs: dict[str, Sequence[dict[str, Any]]], key: str, ax: Any = None, color: int = 0) -> Any:
    """Mean (bar) and standard deviation (error bar) over seeds of ``run[key]`` for each named setting.

    Args:
        runs: ``{setting name: per-seed result dicts}``.
        key: the quantity to show.
        ax: matplotlib Axes (default: a new figure).
        color: palette index.

    Returns:
        The Axes.
    """
    import matplotlib.pyplot as plt

    from mlpgeo import plotting

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    names = list(runs)
    means = [np.mean([r[key] for r in runs[n]]) for n in names]
    stds = [np.std([r[key] for r in runs[n]]) for n in names]
    ax.bar(names, means, yerr=stds, color=plotting.color(color), capsize=3)
    return ax


def plot_depth_counts(runs: dict[str, Sequence[dict[str, Any]]], archs: dict[str, Sequence[int]], ax: Any = None) -> Any:
    """Box region counts against total hidden neurons, shallow (filled) vs deep (open), at init and trained,
    with Zaslavsky's whole-plane bound for ``N`` lines (``1 + N + N(N-1)/2``, the ``N^2``-growth that Hanin and
    Rolnick (2019) find for typical networks of any depth with ``N`` neurons on a 2-D input).

    Args:
        runs: ``{name: per-seed dicts from depth_experiment}`` (keys ``init_box``, ``box``).
        archs: ``{name: hidden widths}``; one hidden layer = shallow.
        ax: matplotlib Axes (default: a new figure).

    Returns:
        The Axes.
    """
    import matplotlib.pyplot as plt

    from mlpgeo import plotting

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    for k, (key, label) in enumerate([("init_box", "at initialisation"), ("box", "after training")]):
        for group, marker in (("shallow", "o"), ("deep", "s")):
            names = [n for n in archs if (len(archs[n]) == 1) == (group == "shallow")]
            xs = [sum(archs[n]) + (0.8 * k if group == "deep" else 0) for n in names]
            ys = [np.mean([r[key] for r in runs[n]]) for n in names]
            es = [np.std([r[key] for r in runs[n]]) for n in names]
            ax.errorbar(xs, ys, yerr=es, fmt=marker, color=plotting.color(k), label=f"{group}, {label}",
                        mfc="white" if group == "deep" else None, capsize=2)
    neurons = [sum(h) for h in archs.values()]
    grid = np.linspace(min(neurons), max(neurons), 50)
    ax.plot(grid, [zaslavsky(int(n), 2) for n in grid], color="0.5", linestyle=":",
            label="Zaslavsky, N lines (~N²/2: Hanin-Rolnick growth, any depth)")
    ax.set(yscale="log", xlabel="hidden neurons (total)", ylabel="regions in the box")
    ax.legend(fontsize=7, loc="upper left")  # the empty corner above the bound's start
    return ax


def plot_trajectories(trajectories: Sequence[dict[str, list[float]]], seeds: Sequence[int], axes: Any = None) -> Any:
    """Three panels over training: region count, local complexity (data solid, boundary dashed), and the
    first layer's mean line rotation between snapshots.

    Args:
        trajectories: outputs of :func:`partition_trajectory`, one per seed.
        seeds: the seeds (legend).
        axes: three matplotlib Axes (default: a new 1 x 3 figure).

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    from mlpgeo import plotting

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for i, tr in enumerate(trajectories):
        kw = dict(color=plotting.color(i), alpha=0.9)
        axes[0].plot(tr["epoch"], tr["regions"], label=f"seed {seeds[i]}", **kw)
        axes[1].plot(tr["epoch"], tr["lc_data"], **kw)
        axes[1].plot(tr["epoch"], tr["lc_boundary"], linestyle="--", **kw)
        axes[2].plot(tr["epoch"][1:], tr["angle"][1:], **kw)
    axes[0].set(xlabel="epoch", ylabel="regions in the box", title="Region count")
    axes[0].legend(fontsize=7)
    axes[1].set(xlabel="epoch", ylabel="neurons changing sign within r = 0.05",
                title="Local complexity: data (solid), boundary (dashed)")
    axes[2].set(xlabel="epoch", ylabel="mean rotation per snapshot (degrees)", yscale="log",
                title="First-layer line rotation between snapshots")
    return axes


def format_table(rows: dict[str, dict[str, float]], formats: dict[str, str], width: int = 12) -> str:
    """A fixed-width text table: one row per setting, one column per formatted key.

    Args:
        rows: ``{row label: {key: value}}`` (e.g. :func:`mean_over_seeds` per setting).
        formats: ``{key: format spec}`` in column order, e.g. ``{"box": ".0f"}``.
        width: column width.

    Returns:
        The table with a header line.
    """
    head = f"{'':>{width}} " + " ".join(f"{k:>{width}}" for k in formats)
    lines = [head]
    for label, row in rows.items():
        lines.append(f"{label:>{width}} " + " ".join(f"{row[k]:>{width}{f}}" for k, f in formats.items()))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------
# The hashing report's claims: each returns (measured numbers, verdict by the rule stated in its docstring)
# ----------------------------------------------------------------------------------------------------------

Claim = tuple[dict[str, Any], str]


def claim_five_neurons(plane_counts: Sequence[int], codes_5d: Sequence[int]) -> Claim:
    """Rule: "reproduced" if every 2-D 5-neuron network has 32 regions on the whole plane; "partly
    reproduced" if 2-D stays at or below Zaslavsky's 16 while a 5-D input shows all 32 codes for every seed.

    Args:
        plane_counts: whole-plane region counts of the 2-D networks, one per seed.
        codes_5d: distinct codes of :func:`all_sign_codes` ``(5, seed)``, one per seed.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    measured = {"regions_2d_whole_plane": summarize(list(plane_counts)), "zaslavsky_2d": zaslavsky(5, 2),
                "codes_5d_input": summarize(list(codes_5d))}
    return measured, rule_verdict(min(plane_counts) == 32, partly=max(plane_counts) <= 16 and min(codes_5d) == 32)


def claim_few_hold_data(with_data: Sequence[int], plane_counts: Sequence[int]) -> Claim:
    """Rule: "reproduced" if, for every seed, fewer regions hold data than the whole plane has.

    Args:
        with_data: box regions holding at least one point, per seed.
        plane_counts: whole-plane counts, per seed.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    measured = {"regions_with_data": summarize(list(with_data)), "regions_whole_plane": summarize(list(plane_counts))}
    return measured, rule_verdict(all(w < p for w, p in zip(with_data, plane_counts)))


def claim_few_codes_used(mnist: dict[str, Sequence[dict[str, Any]]]) -> Claim:
    """Rule: "reproduced" if every network uses less than 1% of its ``2^N`` possible codes on the training
    set (largest share over seeds).

    Args:
        mnist: ``{network: per-seed dicts of mnist_code_experiment}``.

    Returns:
        ``(measured, verdict)`` with ``used_share_<network>`` = max over seeds of distinct / 2^N and
        ``distinct_codes_<network>`` (mean and spread over seeds).
    """
    from mlpgeo.report import summarize

    used_share = {n: max(r["distinct"] / 2.0 ** r["bits"] for r in runs) for n, runs in mnist.items()}
    measured = {**{f"used_share_{n}": v for n, v in used_share.items()},
                **{f"distinct_codes_{n}": summarize([r["distinct"] for r in runs]) for n, runs in mnist.items()}}
    return measured, rule_verdict(max(used_share.values()) < 0.01)


def claim_one_point_per_region(mnist: dict[str, Sequence[dict[str, Any]]]) -> Claim:
    """Rule: "reproduced" if >= 90% of used codes hold one training point for every network and seed;
    "partly reproduced" if that holds (for every seed) for some networks only.

    Args:
        mnist: ``{network: per-seed dicts of mnist_code_experiment}``.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    single = {n: [r["codes_single"] for r in runs] for n, runs in mnist.items()}
    ok = [min(v) >= 0.9 for v in single.values()]
    return {f"codes_single_{n}": summarize(v) for n, v in single.items()}, rule_verdict(all(ok), partly=any(ok))


def claim_more_neurons(runs: dict[str, Sequence[dict[str, Any]]], shallow: Sequence[str]) -> Claim:
    """Rule: "reproduced" if, for every seed, the trained shallow networks' box counts increase strictly with
    width; "partly reproduced" if that holds for some seeds.

    Args:
        runs: ``{network: per-seed dicts of depth_experiment}``.
        shallow: the shallow networks' names in increasing width.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    n_seeds = len(runs[shallow[0]])
    monotone = [all(runs[a][i]["box"] < runs[b][i]["box"] for a, b in zip(shallow, shallow[1:]))
                for i in range(n_seeds)]
    measured = {f"box_regions_{n}": summarize([r["box"] for r in runs[n]]) for n in shallow}
    return measured, rule_verdict(all(monotone), partly=any(monotone))


def claim_depth_refines(runs: dict[str, Sequence[dict[str, Any]]], deep: str, shallow: str,
                        deep_hidden: Sequence[int]) -> Claim:
    """Rule: "reproduced" if the deep network has more box regions than the shallow one of the same neuron
    count for every seed, "not reproduced" if fewer for every seed, "partly reproduced" otherwise.

    Args:
        runs: ``{network: per-seed dicts of depth_experiment}``.
        deep: the deep network's name (e.g. ``"2-16x3"``).
        shallow: the shallow network's name (e.g. ``"2-48"``).
        deep_hidden: the deep network's hidden widths (for the Montufar bound).

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    box = [d["box"] / s["box"] for d, s in zip(runs[deep], runs[shallow])]
    plane = [d["plane"] / s["plane"] for d, s in zip(runs[deep], runs[shallow])]
    tag = f"{deep[2:]}_over_{shallow[2:]}"
    measured = {f"box_ratio_{tag}": summarize(box), f"plane_ratio_{tag}": summarize(plane),
                f"montufar_lower_bound_{deep[2:]}": montufar_lower_bound(list(deep_hidden), 2)}
    return measured, rule_verdict(min(box) > 1, partly=max(box) > 1)


def typical_count_ratios(runs: dict[str, Sequence[dict[str, Any]]], archs: dict[str, Sequence[int]],
                         deep: Sequence[str], shallow_neurons: int) -> dict[str, Any]:
    """Whole-plane counts of deep networks against the shallow network's bound and the Montufar bound.

    ``ratio = count / zaslavsky(shallow_neurons, 2)`` for every deep network, seed, and both at initialisation
    and after training; ``share = max(plane, init_plane) / montufar_lower_bound(hidden, 2)``.

    Args:
        runs: ``{network: per-seed dicts of depth_experiment}``.
        archs: ``{network: hidden widths}``.
        deep: names of the deep networks.
        shallow_neurons: neurons of the shallow reference network (it has ``zaslavsky(n, 2)`` regions).

    Returns:
        ``{"ratios": list, "shares": list}``.
    """
    shares = [max(r["plane"], r["init_plane"]) / montufar_lower_bound(list(archs[n]), 2) for n in deep for r in runs[n]]
    ratios = [r[k] / zaslavsky(shallow_neurons, 2) for n in deep for r in runs[n] for k in ("init_plane", "plane")]
    return {"ratios": ratios, "shares": shares}


def claim_typical_counts(ratios: dict[str, Any]) -> Claim:
    """Rule (current, revised after the results were seen; see the report): "reproduced" if no deep network
    has more than twice the whole-plane regions of the shallow network with the same neurons.

    Args:
        ratios: output of :func:`typical_count_ratios`.

    Returns:
        ``(measured, verdict)``; ``measured`` also holds ``max_share_of_montufar_bound`` and ``min_ratio``,
        the numbers the two earlier rules used.
    """
    from mlpgeo.report import summarize

    vs_shallow, shares = ratios["ratios"], ratios["shares"]
    measured = {"deep_over_shallow_count": summarize(vs_shallow), "min_ratio": min(vs_shallow),
                "max_ratio": max(vs_shallow), "max_share_of_montufar_bound": max(shares)}
    return measured, rule_verdict(max(vs_shallow) <= 2)


def claim_no_bias_origin(runs: dict[tuple[str, bool], Sequence[dict[str, Any]]], shallow: str, neurons: int) -> Claim:
    """Rule: "reproduced" if every bias-free shallow network has exactly the central bound ``2n`` regions and
    every box region of every bias-free network has the origin as a vertex.

    Args:
        runs: ``{(network, bias): per-seed dicts of bias_experiment}``.
        shallow: the shallow network's name.
        neurons: its neurons ``n``.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    shallow_nb = runs[(shallow, False)]
    central = zaslavsky(neurons, 2, through_origin=True)
    central_ok = all(r["plane"] == central for r in shallow_nb)
    shares = [r["origin_share"] for key, rs in runs.items() if not key[1] for r in rs]
    measured = {f"plane_regions_{shallow}_nobias": summarize([r["plane"] for r in shallow_nb]),
                "central_bound": central, "share_of_regions_with_origin_vertex": summarize(shares)}
    return measured, rule_verdict(central_ok and all(s == 1.0 for s in shares))


def claim_no_bias_regularises(runs: dict[tuple[str, bool], Sequence[dict[str, Any]]]) -> Claim:
    """Rule: "reproduced" if bias-free networks have a smaller mean train-test gap and lose < 0.01 mean test
    accuracy; "not reproduced" if they lose > 0.05; "partly reproduced" otherwise.

    Args:
        runs: ``{(network, bias): per-seed dicts of bias_experiment}``.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    gap = {b: [r["train_acc"] - r["test_acc"] for k, rs in runs.items() if k[1] == b for r in rs] for b in (True, False)}
    test = {b: [r["test_acc"] for k, rs in runs.items() if k[1] == b for r in rs] for b in (True, False)}
    smaller_gap = np.mean(gap[False]) < np.mean(gap[True])
    acc_drop = np.mean(test[True]) - np.mean(test[False])
    measured = {"test_acc_bias": summarize(test[True]), "test_acc_nobias": summarize(test[False]),
                "gap_bias": summarize(gap[True]), "gap_nobias": summarize(gap[False])}
    if smaller_gap and acc_drop < 0.01:
        return measured, "reproduced"
    return measured, "not reproduced" if acc_drop > 0.05 else "partly reproduced"


def claim_learning_moves(summaries: Sequence[dict[str, float]]) -> Claim:
    """Rule: "reproduced" if for every seed the first-layer lines rotate by > 1 degree in total AND, between
    snapshots of the second half of training, points keeping their code see their output change by > 1% of
    its scale; "partly reproduced" if one of the two holds for every seed.

    Args:
        summaries: the ``"summary"`` of :func:`refinement_experiment`, one per seed.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    moves = all(r["total_angle"] > 1.0 for r in summaries)
    maps = all(r["late_map_change"] > 0.01 for r in summaries)
    measured = {"total_rotation_deg": summarize([r["total_angle"] for r in summaries]),
                "total_shift": summarize([r["total_shift"] for r in summaries]),
                "share_keeping_code_init_to_end": summarize([r["same_code_init_to_end"] for r in summaries]),
                "share_keeping_code_per_snapshot_late": summarize([r["late_same_code"] for r in summaries]),
                "relative_output_change_same_code_late": summarize([r["late_map_change"] for r in summaries])}
    return measured, rule_verdict(moves and maps, partly=moves or maps)


def claim_boundary_concentration(trajectories: Sequence[dict[str, list[float]]]) -> Claim:
    """Rule: "reproduced" if at the end of training the local complexity at the decision boundary exceeds that
    at the data for every seed; "partly reproduced" for some seeds.

    Args:
        trajectories: outputs of :func:`partition_trajectory`, one per seed.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    end = [(tr["lc_boundary"][-1], tr["lc_data"][-1]) for tr in trajectories]
    measured = {"lc_boundary_end": summarize([a for a, _ in end]), "lc_data_end": summarize([b for _, b in end])}
    return measured, rule_verdict(all(a > b for a, b in end), partly=any(a > b for a, b in end))


def depth_study(
    seeds: Sequence[int], archs: dict[str, Sequence[int]], bounds: Sequence[float], epochs: int,
    keep: Sequence[str] = (),
) -> tuple[dict[str, list[dict[str, float]]], dict[str, tuple[nn.Module, torch.Tensor, torch.Tensor]]]:
    """Section 3 over seeds and architectures: :func:`depth_experiment` for every pair.

    Args:
        seeds: the seeds.
        archs: ``{name: hidden widths}``.
        bounds: the box.
        epochs: training epochs.
        keep: names whose first-seed ``(model, x, y)`` are returned for figures.

    Returns:
        ``(runs, kept)``: ``runs = {name: per-seed counts}``, ``kept = {name: (model, x, y)}``.
    """
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in archs}
    kept = {}
    for seed in seeds:
        for name, hidden in archs.items():
            counts, model, x, y = depth_experiment(seed, hidden, bounds, epochs)
            runs[name].append(counts)
            if seed == seeds[0] and name in keep:
                kept[name] = (model, x, y)
    return runs, kept


def bias_study(
    seeds: Sequence[int], archs: dict[str, Sequence[int]], bounds: Sequence[float], epochs: int
) -> tuple[dict[tuple[str, bool], list[dict[str, float]]], dict[tuple[str, bool], tuple[Regions, torch.Tensor, torch.Tensor]]]:
    """Section 4 over seeds, architectures and bias on/off: :func:`bias_experiment` for every triple.

    Args:
        seeds: the seeds.
        archs: ``{name: hidden widths}``.
        bounds: the box.
        epochs: training epochs.

    Returns:
        ``(runs, kept)``: ``runs = {(name, bias): per-seed stats}``, ``kept = {(name, bias): (regions, x, y)}``
        of the first seed (for figures).
    """
    runs: dict[tuple[str, bool], list[dict[str, float]]] = {(n, b): [] for n in archs for b in (True, False)}
    kept = {}
    for seed in seeds:
        for name, bias in runs:
            stats, _, part, x, y = bias_experiment(seed, archs[name], bias, bounds, epochs)
            runs[(name, bias)].append(stats)
            if seed == seeds[0]:
                kept[(name, bias)] = (part, x, y)
    return runs, kept
