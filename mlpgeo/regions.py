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

    def __init__(self, partition: Partition, layers: list[Layer], E: np.ndarray, bounds, tol: float) -> None:
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


def _adjacency(codes, V, count, tol, bounds) -> np.ndarray:
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
        model: a ReLU / LeakyReLU MLP. plane: as in :func:`linear_regions_2d`. tol: on-line tolerance.

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
        model: a ReLU / LeakyReLU MLP. x: ``(n, d_in)`` points. radius: the cross-polytope radius.
        n_directions: ``P`` (default ``d_in``, at most ``d_in``). seed: seed of the random directions.

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


def plot_lines(model: nn.Module, bounds: Sequence[float], ax: Any = None, layer: int = 0, **kwargs: Any) -> Any:
    """Draw the lines ``w_j . x + b_j = 0`` of the neurons of one hidden layer acting on the 2-D input.

    Only the first hidden layer's neurons are straight lines of the input (deeper neurons bend at every
    earlier line: draw them with :func:`plot_regions`); ``layer`` must be 0.
    """
    import matplotlib.pyplot as plt

    if layer != 0:
        raise ValueError("only the first hidden layer's neurons are straight lines of the input; use layer=0.")
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
        x: ``(n, 2)`` data. bounds: the box. radius: local-complexity radius.
        output, threshold: the decision boundary ``f_output = threshold`` (``threshold`` 0 for a single
            logit; for two logits pass a model whose output 0 is their difference).

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
            motion = hyperplane_motion(previous, net)
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
