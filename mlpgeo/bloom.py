"""Bloom filters in ReLU networks: the k-of-V task, Bloom-filter mathematics, the hand-built Bloom network,
and the Bloom reading of any trained ``V -> m -> V`` network.

**The k-of-V task.** An input ``x in {0, 1}^V`` has exactly ``k`` active tokens ``S``, a uniformly random
``k``-subset of ``{0, ..., V-1}`` (:func:`k_of_v_task`); the target is the sparse top-k distribution
``y = x / k``. A network ``z = W_out ReLU(W_in x + b_in) + b_out`` of hidden width ``m`` solves it when its
``k`` largest logits are exactly ``S`` (:func:`topk_accuracy`).

**Bloom filters.** A Bloom filter with ``m`` bits and ``h`` hash functions stores ``n`` items by setting the
bits of their hashes; a query is a "member" when all of its ``h`` bits are set. Its false-positive rate is

    p = (1 - (1 - 1/m)^(h n))^h  ~  (1 - exp(-h n / m))^h,

smallest near ``h* = (m / n) ln 2`` where ``p* = 2^(-h*) ~ 0.6185^(m/n)`` (:func:`false_positive_rate`,
:func:`optimal_hashes`). In a network, bits are hidden units, the stored items are the ``k`` active tokens,
and a token's hash ``H(t)`` is a set of hidden units: a ``(V, m)`` bool matrix ``H``.

**The hand-built Bloom network** (:func:`bloom_network`): with ``s_j = |{t in S : j in H(t)}|``
(:func:`hash_hits`), the units ``e_j = ReLU(1 - s_j)`` are the empty-bucket indicators (``1 - union``) and
the logits ``z_t = -alpha sum_{j in H(t)} e_j`` are 0 for members (and false positives), ``<= -alpha``
otherwise.

**Linear read-out by MSE.** Outputs in an affine subspace of dimension ``m`` keep at least
``(V-m-1)/(V-1)`` of the constant predictor's MSE ``(1 - k/V)/(k V)`` (:func:`subspace_mse_bound`).

**Reading a trained network** (:func:`analyze_network`): the two modes of ``W_in`` (:func:`weight_modes`),
the hashes between them (:func:`extract_hashes`), how well each hidden unit is an affine function of the
union indicator ``[s_j = 0]`` or of the count ``s_j`` (:func:`unit_r2`), the network against a Bloom filter
with its own hashes and against the hand-built network (:func:`compare_with_bloom_network`), and its logits
as a linear read-out of the union (:func:`union_readout`).

**The JL superposition baseline**: random dense embeddings ``E: (m, V)`` with ``N(0, 1/m)`` entries, hidden
state ``E x``, read-out ``E^T`` (:func:`superposition_scores`); its interference has mean square
``k (V + 1) / (V m)``, a power law in ``m``. **Scaling fits** of ``log(error)`` against width: exponential
``a - b m`` or power law ``a - b log m`` (:func:`fit_error_curve`, :func:`compare_fits`, :func:`tail_fits`).

Conventions: randomness comes from ``generator: torch.Generator | None`` (``None``: a fresh generator with
torch's default seed, so the result is still reproducible); inputs are ``x: (n, V)``; networks are
``model: nn.Sequential`` and are evaluated in their own dtype (float32 or float64); scalar measurements
are returned as Python ``float``; functions whose memory grows with the input check it against
:func:`mlpgeo.validate.memory_budget` first and work in row chunks where the result allows it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from mlpgeo.models import mlp
from mlpgeo.validate import (
    check_budget,
    check_choice,
    check_dtype,
    check_generator,
    check_int,
    check_model,
    check_number,
    check_tensor,
    check_x,
    chunk_rows,
    model_dtype,
)

__all__ = [
    "FPR_METHODS",
    "HASH_SIDES",
    "MAX_HISTOGRAM_BINS",
    "MERSENNE_PRIME",
    "BloomAnalysis",
    "BloomComparison",
    "BloomFilter",
    "CurveFit",
    "FitComparison",
    "UnionReadout",
    "WeightModes",
    "analyze_network",
    "best_integer_hashes",
    "bloom_decay_rate",
    "bloom_membership",
    "bloom_network",
    "clipping_rate",
    "compare_fits",
    "compare_with_bloom_network",
    "constant_predictor_mse",
    "exact_set_accuracy",
    "extract_hashes",
    "false_positive_rate",
    "fit_error_curve",
    "hash_hits",
    "hash_matrix",
    "k_of_v_task",
    "measured_false_positive_rate",
    "multi_hot",
    "network_membership",
    "optimal_bloom_accuracy",
    "optimal_hashes",
    "output_mse",
    "random_embeddings",
    "random_hashes",
    "sample_sets",
    "subspace_mse_bound",
    "superposition_accuracy",
    "superposition_interference",
    "superposition_scores",
    "tail_fits",
    "topk_accuracy",
    "topk_set",
    "union_readout",
    "unit_r2",
    "valley_ratio",
    "weight_modes",
    "width_reaching",
]

FPR_METHODS = ("exact", "approx")
"""Formulas of :func:`false_positive_rate`."""
HASH_SIDES = ("low", "high", "minority")
"""Which mode of ``W_in`` holds the hash bits in :func:`extract_hashes`."""
MERSENNE_PRIME = 2**31 - 1
"""The prime ``P`` of :class:`BloomFilter`'s universal hashes; keys lie in ``[0, P)``."""
MAX_HISTOGRAM_BINS = 4096
"""The most bins :func:`valley_ratio` accepts (its search over cuts is quadratic in the bins)."""


# --------------------------------------------------------------------------------------------------
# Private checks shared by the functions below
# --------------------------------------------------------------------------------------------------


def _check_task(vocab: Any, k: Any) -> tuple[int, int]:
    """``(V, k)`` as ints with ``1 <= k <= V``."""
    vocab = check_int(vocab, "vocab", low=1)
    k = check_int(k, "k", low=1)
    if k > vocab:
        raise ValueError(f"k={k} exceeds the vocabulary V={vocab}: an input cannot hold more distinct tokens "
                         f"than V; lower k or raise vocab.")
    return vocab, k


def _check_sets(x: Tensor, k: int, name: str = "x") -> None:
    """``x: (n, V)`` must be multi-hot with exactly ``k`` ones per row (a k-of-V input)."""
    if not ((x == 0) | (x == 1)).all():
        raise ValueError(f"{name} must be multi-hot (entries 0 or 1), as made by k_of_v_task or multi_hot.")
    counts = (x > 0).sum(dim=1)
    if not (counts == k).all():
        low, high = int(counts.min()), int(counts.max())
        found = f"{low}" if low == high else f"{low} to {high}"
        raise ValueError(f"{name} has rows with {found} active tokens but k={k}; pass the k the inputs were drawn "
                         f"with (every row needs exactly k ones).")


def _check_vocab_model(model: Any) -> tuple[nn.Linear, int, int]:
    """A model mapping ``V`` tokens to ``V`` logits with at least one hidden layer: ``(first Linear, V, m)``."""
    layers = check_model(model)
    if not layers:
        raise ValueError("model has no hidden layer; the Bloom reading needs V -> m -> ... -> V.")
    first = layers[0][0]
    out = [module for module in model if isinstance(module, nn.Linear)][-1]
    if out.out_features != first.in_features:
        raise ValueError(f"model maps {first.in_features} inputs to {out.out_features} outputs; the k-of-V task "
                         f"needs one logit per token (V -> m -> V).")
    return first, first.in_features, first.out_features


def _check_k(k: Any, vocab: int) -> int:
    """``1 <= k <= V``."""
    k = check_int(k, "k", low=1)
    if k > vocab:
        raise ValueError(f"k={k} exceeds the number of tokens V={vocab}; lower k.")
    return k


def _rows(n: int, bytes_per_row: float) -> Iterator[slice]:
    """Row slices of at most :func:`mlpgeo.validate.chunk_rows` rows (one slice when everything fits)."""
    size = chunk_rows(bytes_per_row, n)
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _as_float64(values: Any, name: str, dims: int = 1) -> Tensor:
    """Numbers (a sequence or a tensor) as a finite float64 tensor with ``dims`` dimensions."""
    if isinstance(values, Tensor):
        check_tensor(values, name, kind="any", dims=dims)
        return values.detach().to(torch.float64)
    try:
        tensor = torch.as_tensor(values, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{name} must be a sequence of numbers (or a tensor), got {str(values)[:60]}.") from None
    return check_tensor(tensor, name, dims=dims)


# --------------------------------------------------------------------------------------------------
# The k-of-V task
# --------------------------------------------------------------------------------------------------


def sample_sets(n: int, vocab: int, k: int, generator: torch.Generator | None = None) -> Tensor:
    """``n`` independent, uniformly random ``k``-subsets of ``{0, ..., V-1}``.

    The ``k`` largest of ``V`` i.i.d. uniforms sit at a uniformly random ``k``-subset of positions. Rows are
    independent (the same subset may appear twice), so sampling always ends; its cost is ``n V`` uniform
    draws, made in row chunks within the memory budget (the draws are the same as in one piece).

    Args:
        n: number of sets (``>= 1``).
        vocab: vocabulary size ``V``.
        k: tokens per set, ``1 <= k <= V``.
        generator: the random source.

    Returns:
        ``(n, k)`` int64 token indices, distinct within each row.

    Raises:
        TypeError: non-integer ``n``, ``vocab`` or ``k``; a generator of another type.
        ValueError: ``n < 1``, ``k < 1`` or ``k > V``.
        BudgetError: the ``(n, k)`` result exceeds the memory budget.
    """
    n = check_int(n, "n", low=1)
    vocab, k = _check_task(vocab, k)
    generator = check_generator(generator) or torch.Generator()
    check_budget(8 * n * k, f"the ({n}, {k}) token indices", "lower n and draw the sets in batches")
    return torch.cat([torch.rand(rows.stop - rows.start, vocab, generator=generator).topk(k, dim=1).indices
                      for rows in _rows(n, 12 * vocab)])


def multi_hot(sets: Tensor, vocab: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """Token indices ``(n, k)`` -> multi-hot rows ``(n, V)`` (a repeated index in a row sets one 1).

    Raises:
        TypeError: ``sets`` not an integer tensor, an unsupported dtype.
        ValueError: ``sets`` not 2-D or empty, indices outside ``0..V-1``.
        BudgetError: the ``(n, V)`` result exceeds the memory budget.
    """
    sets = check_tensor(sets, "sets", dims=2, kind="int")
    vocab = check_int(vocab, "vocab", low=1)
    check_dtype(dtype)
    if sets.min() < 0 or sets.max() >= vocab:
        raise ValueError(f"token indices must lie in 0..{vocab - 1}; got range {int(sets.min())}..{int(sets.max())}.")
    itemsize = torch.finfo(dtype).bits // 8
    check_budget(itemsize * len(sets) * vocab, f"the ({len(sets)}, {vocab}) multi-hot inputs", "pass fewer rows in sets")
    return torch.zeros(len(sets), vocab, dtype=dtype).scatter_(1, sets.long(), 1.0)


def k_of_v_task(n: int, vocab: int, k: int, generator: torch.Generator | None = None,
                dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    """A batch of the k-of-V task.

    Args:
        n: number of examples (``>= 1``).
        vocab: vocabulary size ``V``.
        k: active tokens per example, ``1 <= k <= V``.
        generator: the random source (seed one with ``torch.Generator().manual_seed(s)``).
        dtype: ``torch.float32`` or ``torch.float64``.

    Returns:
        ``x: (n, V)`` multi-hot inputs (exactly ``k`` ones per row) and ``y = x / k: (n, V)`` target
        distributions.

    Raises:
        TypeError: non-integer ``n``, ``vocab`` or ``k``; a generator of another type.
        ValueError: ``n < 1``, ``k < 1`` or ``k > V``.
        BudgetError: ``x`` and ``y`` together exceed the memory budget (lower ``n``).
    """
    n = check_int(n, "n", low=1)
    vocab, k = _check_task(vocab, k)
    check_dtype(dtype)
    itemsize = torch.finfo(dtype).bits // 8
    check_budget(2 * itemsize * n * vocab, f"the ({n}, {vocab}) inputs and targets", "lower n and draw the task in batches")
    x = multi_hot(sample_sets(n, vocab, k, generator), vocab, dtype=dtype)
    return x, x / k


def topk_set(scores: Tensor, k: int) -> Tensor:
    """The ``k`` highest-scoring tokens of each row of ``scores: (n, V)`` as a ``(n, V)`` bool mask
    (ties broken by ``torch.topk``)."""
    scores = check_tensor(scores, "scores", dims=2)
    k = _check_k(k, scores.shape[1])
    return torch.zeros_like(scores, dtype=torch.bool).scatter_(1, scores.topk(k, dim=1).indices, True)


def _check_pair(predicted: Tensor, x: Tensor) -> None:
    check_tensor(predicted, "predicted", dims=2, kind="bool")
    check_tensor(x, "x", dims=2, kind="any")
    if predicted.shape != x.shape:
        raise ValueError(f"predicted has shape {tuple(predicted.shape)} but x has {tuple(x.shape)}; they must match.")


def exact_set_accuracy(predicted: Tensor, x: Tensor) -> float:
    """Fraction of rows whose predicted token set (``(n, V)`` bool) equals the true set ``x > 0`` exactly."""
    _check_pair(predicted, x)
    return float((predicted == (x > 0)).all(dim=1).float().mean())


def measured_false_positive_rate(predicted: Tensor, x: Tensor) -> float:
    """Fraction of non-member tokens reported as members: ``sum(pred & ~S) / sum(~S)`` over the batch
    (0 when every token is a member, ``k = V``)."""
    _check_pair(predicted, x)
    absent = x <= 0
    return float((predicted & absent).sum() / absent.sum().clamp(min=1))


@torch.no_grad()
def topk_accuracy(model: nn.Sequential, x: Tensor, k: int) -> float:
    """Exact top-k accuracy: share of rows whose ``k`` largest outputs are exactly the ``k`` active tokens.

    Args:
        model: a ``V -> ... -> V`` network (evaluated in its dtype).
        x: ``(n, V)`` multi-hot inputs with exactly ``k`` ones per row.
        k: active tokens per row.

    Raises:
        ValueError: a model whose outputs are not one per token, ``x`` not k-of-V inputs.
        BudgetError: the ``(n, V)`` logits exceed the memory budget.
    """
    _, vocab, _ = _check_vocab_model(model)
    x = check_x(model, x)
    k = _check_k(k, vocab)
    _check_sets(x, k)
    check_budget(3 * x.element_size() * x.numel(), f"the ({len(x)}, {vocab}) logits", "pass fewer rows in x")
    return exact_set_accuracy(topk_set(model(x), k), x)


# --------------------------------------------------------------------------------------------------
# Bloom filter mathematics
# --------------------------------------------------------------------------------------------------


def false_positive_rate(m: int, n: int, h: float, method: str = "exact") -> float:
    """False-positive rate of a Bloom filter with ``m`` bits, ``n`` stored items and ``h`` hash functions.

    ``"exact"``: Bloom's formula ``(1 - (1 - 1/m)^(h n))^h`` (exact for the probability that a given bit is
    set; it treats the ``h`` bits of the query as independent). ``"approx"``: ``(1 - exp(-h n / m))^h``.
    ``h`` may be real (the optimum :func:`optimal_hashes` is).

    Raises:
        TypeError: non-integer ``m`` or ``n``, non-number ``h``.
        ValueError: ``m < 1``, ``n < 0``, ``h <= 0`` or infinite, an unknown method.
    """
    m = check_int(m, "m", low=1)
    n = check_int(n, "n", low=0)
    h = check_number(h, "h", low=0, low_open=True)
    check_choice(method, "method", FPR_METHODS)
    if method == "exact":
        return float((1.0 - (1.0 - 1.0 / m) ** (h * n)) ** h)
    return float((1.0 - math.exp(-h * n / m)) ** h)


def optimal_hashes(m: int, n: int) -> float:
    """The real-valued optimum ``h* = (m / n) ln 2`` of the approximate false-positive rate."""
    m = check_int(m, "m", low=1)
    n = check_int(n, "n", low=1)
    return m / n * math.log(2.0)


def best_integer_hashes(m: int, n: int) -> int:
    """The integer ``h >= 1`` minimising the exact false-positive rate (the rate is unimodal in ``h``: the
    best integer is the floor or the ceiling of ``h*``)."""
    h_star = optimal_hashes(m, n)
    candidates = {max(1, math.floor(h_star)), max(1, math.ceil(h_star))}
    return min(candidates, key=lambda h: false_positive_rate(m, n, h))


def optimal_bloom_accuracy(vocab: int, m: int, k: int) -> float:
    """Approximate exact-set accuracy of an optimal Bloom filter: ``(1 - p)^(V - k)`` at the best integer ``h``
    (treats the absent tokens' false positives as independent)."""
    vocab, k = _check_task(vocab, k)
    return (1 - false_positive_rate(m, k, best_integer_hashes(m, k))) ** (vocab - k)


# --------------------------------------------------------------------------------------------------
# A real Bloom filter
# --------------------------------------------------------------------------------------------------


class BloomFilter:
    """A Bloom filter over non-negative integer keys: ``m`` bits, ``h`` universal hash functions.

    Hash ``i`` maps key ``x`` to ``((a_i x + b_i) mod P) mod m`` with ``P = 2^31 - 1`` and ``a_i, b_i`` drawn
    from ``generator``. Every operation is vectorised over a batch of keys.

    Args:
        m: number of bits (``>= 1``).
        h: number of hash functions (``>= 1``).
        generator: the random source of the hash functions.

    Raises:
        TypeError: non-integer ``m`` or ``h``; a generator of another type.
        ValueError: ``m < 1`` or ``h < 1``.
    """

    def __init__(self, m: int, h: int, generator: torch.Generator | None = None) -> None:
        self.m = check_int(m, "m", low=1)
        self.h = check_int(h, "h", low=1)
        generator = check_generator(generator) or torch.Generator()
        check_budget(self.m + 16 * self.h, f"a Bloom filter with m={self.m} bits and h={self.h} hashes", "lower m or h")
        self.a = torch.randint(1, MERSENNE_PRIME, (self.h,), generator=generator, dtype=torch.int64)
        self.b = torch.randint(0, MERSENNE_PRIME, (self.h,), generator=generator, dtype=torch.int64)
        self.bits = torch.zeros(self.m, dtype=torch.bool)

    def positions(self, keys: Tensor) -> Tensor:
        """Bit positions ``(..., h)`` of integer keys ``(...)`` in ``[0, P)`` (an empty batch gives an empty
        result).

        Raises:
            TypeError: ``keys`` not an integer tensor.
            ValueError: keys outside ``[0, P)``.
            BudgetError: the ``(..., h)`` positions exceed the memory budget.
        """
        keys = check_tensor(keys, "keys", kind="int", allow_empty=True).to(torch.int64)
        if keys.numel() and (keys.min() < 0 or keys.max() >= MERSENNE_PRIME):
            raise ValueError(f"keys must lie in [0, {MERSENNE_PRIME}); got range {int(keys.min())}..{int(keys.max())}.")
        check_budget(16 * keys.numel() * self.h, f"the positions of {keys.numel()} keys x {self.h} hashes",
                     "add or query the keys in batches")
        return ((keys.unsqueeze(-1) * self.a + self.b) % MERSENNE_PRIME) % self.m

    def add(self, keys: Tensor) -> None:
        """Set the bits of every key in ``keys`` (integer tensor of any shape)."""
        self.bits[self.positions(keys).flatten()] = True

    def contains(self, keys: Tensor) -> Tensor:
        """Membership answers ``(...)`` bool: all ``h`` bits of the key are set (false positives possible,
        false negatives never)."""
        return self.bits[self.positions(keys)].all(dim=-1)

    def hash_matrix(self, vocab: int) -> Tensor:
        """The hashes of tokens ``0..V-1`` as a ``(V, m)`` bool matrix (``<= h`` ones per row: collisions merge)."""
        vocab = check_int(vocab, "vocab", low=1, high=MERSENNE_PRIME)
        check_budget(vocab * self.m, f"the ({vocab}, {self.m}) hash matrix", "lower vocab")
        rows = torch.arange(vocab).unsqueeze(1).expand(vocab, self.h)
        return torch.zeros(vocab, self.m, dtype=torch.bool).index_put_((rows, self.positions(torch.arange(vocab))), torch.tensor(True))


def hash_matrix(hashes: Tensor | Sequence[Sequence[int]], width: int | None = None) -> Tensor:
    """A hash assignment as a ``(V, m)`` bool matrix, after checking it.

    Args:
        hashes: a ``(V, m)`` 0/1 (or bool) tensor, or one sequence of bit indices per token (then ``width``).
        width: the number of bits ``m`` when ``hashes`` is a list of index sets.

    Raises:
        TypeError: a complex tensor, non-integer bit indices or width.
        ValueError: entries other than 0/1, NaN, an index outside ``0..m-1``, a missing width, no tokens.
    """
    if isinstance(hashes, Tensor):
        check_tensor(hashes, "hashes", dims=2, kind="any")
        if not ((hashes == 0) | (hashes == 1)).all():
            raise ValueError("hashes must hold only 0/1 (or bool) entries; threshold it first (hashes > t).")
        return hashes.bool()
    if width is None:
        raise ValueError("pass width=m with a list of hash index sets (one per token).")
    width = check_int(width, "width", low=1)
    if isinstance(hashes, (str, bytes)) or not isinstance(hashes, Sequence) or len(hashes) == 0:
        raise ValueError("hashes must be a (V, m) tensor or a non-empty list of bit-index lists, one per token.")
    check_budget(len(hashes) * width, f"the ({len(hashes)}, {width}) hash matrix", "lower width or the tokens")
    matrix = torch.zeros(len(hashes), width, dtype=torch.bool)
    for token, bits in enumerate(hashes):
        bits = [check_int(b, f"hashes[{token}]") for b in bits]
        if any(b < 0 or b >= width for b in bits):
            raise ValueError(f"token {token}'s hash {bits} has bits outside 0..{width - 1} (width m={width}).")
        matrix[token, bits] = True
    return matrix


def random_hashes(vocab: int, width: int, h: int, generator: torch.Generator | None = None) -> Tensor:
    """Each of ``V`` tokens gets ``h`` distinct bits drawn uniformly from ``m``: a ``(V, m)`` bool matrix.

    Raises:
        TypeError: non-integer arguments; a generator of another type.
        ValueError: ``V < 1``, ``m < 1``, ``h`` outside ``1..m``.
        BudgetError: the ``(V, m)`` matrix exceeds the memory budget.
    """
    vocab = check_int(vocab, "vocab", low=1)
    width = check_int(width, "width", low=1)
    h = check_int(h, "h")
    if not 1 <= h <= width:
        raise ValueError(f"h must lie in 1..m={width}, got {h}.")
    generator = check_generator(generator) or torch.Generator()
    check_budget(vocab * width, f"the ({vocab}, {width}) hash matrix", "lower vocab or width")
    bits = torch.cat([torch.rand(rows.stop - rows.start, width, generator=generator).topk(h, dim=1).indices
                      for rows in _rows(vocab, 12 * width)])
    return torch.zeros(vocab, width, dtype=torch.bool).scatter_(1, bits, True)


def _check_hash_inputs(hashes: Tensor | Sequence[Sequence[int]], x: Tensor) -> tuple[Tensor, Tensor]:
    hashes = hash_matrix(hashes)
    x = check_tensor(x, "x", dims=2, kind="any")
    if x.shape[1] != hashes.shape[0]:
        raise ValueError(f"x has shape {tuple(x.shape)} but the hashes cover V={hashes.shape[0]} tokens; "
                         f"pass x: (n, {hashes.shape[0]}).")
    return hashes, x


def hash_hits(hashes: Tensor, x: Tensor) -> Tensor:
    """``s_j = |{t in S : j in H(t)}|``: float32 ``(n, m)`` counts of active tokens (``x > 0``) hitting each
    bit (exact small integers), computed in row chunks within the memory budget.

    Raises:
        ValueError: hashes not 0/1, ``x`` not ``(n, V)`` for the hashes' ``V``, NaN in ``x``.
        BudgetError: the ``(n, m)`` counts exceed the memory budget.
    """
    hashes, x = _check_hash_inputs(hashes, x)
    n, width = len(x), hashes.shape[1]
    check_budget(4 * n * width, f"the ({n}, {width}) hash hits", "pass fewer rows in x")
    weights = hashes.float()
    return torch.cat([(x[rows] > 0).float() @ weights for rows in _rows(n, 4 * (x.shape[1] + width))])


def bloom_membership(hashes: Tensor, x: Tensor) -> Tensor:
    """Answers of one Bloom filter per row of ``x: (n, V)``: ``(n, V)`` bool, token ``t`` is a member when every
    bit of ``H(t)`` is set by the row's active tokens. Vectorised: ``missing = [s == 0] @ H^T``, member iff 0;
    computed in row chunks within the memory budget.

    Raises:
        ValueError: hashes not 0/1, ``x`` not ``(n, V)`` for the hashes' ``V``, NaN in ``x``.
        BudgetError: the ``(n, V)`` answers exceed the memory budget.
    """
    hashes, x = _check_hash_inputs(hashes, x)
    n, vocab = x.shape
    check_budget(n * vocab, f"the ({n}, {vocab}) membership answers", "pass fewer rows in x")
    weights = hashes.float()
    out = []
    for rows in _rows(n, 4 * (2 * vocab + hashes.shape[1])):
        empty = (((x[rows] > 0).float() @ weights) == 0).float()
        out.append((empty @ weights.T) == 0)
    return torch.cat(out)


# --------------------------------------------------------------------------------------------------
# The hand-built Bloom network
# --------------------------------------------------------------------------------------------------


def bloom_network(hashes: Tensor | Sequence[Sequence[int]], width: int | None = None, alpha: float = 1.0,
                  dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """A 1-hidden-layer ReLU network that implements a Bloom filter exactly.

    ``W_in = -H^T`` and ``b_in = 1`` give the empty-bucket units ``e_j = ReLU(1 - s_j)``; ``W_out = -alpha H``,
    ``b_out = 0`` give ``z_t = -alpha |{j in H(t) : e_j = 1}|``: 0 for Bloom members, ``<= -alpha`` otherwise.
    Its membership answer is ``z > -alpha / 2`` (:func:`network_membership`).

    Args:
        hashes: the hash assignment (see :func:`hash_matrix`), ``V`` tokens over ``m`` bits.
        width: ``m`` when ``hashes`` is a list of index sets.
        alpha: logit gap between members and non-members (``> 0``, finite).
        dtype: ``torch.float32`` or ``torch.float64``.

    Returns:
        ``nn.Sequential(Linear(V, m), ReLU(), Linear(m, V))``.
    """
    matrix = hash_matrix(hashes, width)
    alpha = check_number(alpha, "alpha", low=0, low_open=True)
    vocab, m = matrix.shape
    check_budget(16 * vocab * m, f"the weights of a {vocab} -> {m} -> {vocab} network", "lower the tokens or width")
    model = mlp([vocab, m, vocab], dtype=dtype)
    matrix = matrix.to(dtype)
    with torch.no_grad():
        model[0].weight.copy_(-matrix.T)
        model[0].bias.fill_(1.0)
        model[2].weight.copy_(-alpha * matrix)
        model[2].bias.zero_()
    return model


@torch.no_grad()
def network_membership(model: nn.Sequential, x: Tensor, alpha: float = 1.0) -> Tensor:
    """Membership answers of a hand-built Bloom network: ``(n, V)`` bool, ``z > -alpha / 2``."""
    x = check_x(model, x)
    alpha = check_number(alpha, "alpha", low=0, low_open=True)
    return model(x) > -alpha / 2


# --------------------------------------------------------------------------------------------------
# The linear read-out by MSE: the subspace bound
# --------------------------------------------------------------------------------------------------


def subspace_mse_bound(vocab: int, width: int, k: int) -> float:
    """Lower bound on the per-coordinate MSE of any predictor of ``y = x / k`` whose outputs lie in an affine
    subspace of dimension ``m`` (a linear read-out of ``m`` hidden units plus a bias).

    ``Cov(y)`` has one zero eigenvalue (``sum y = 1``) and ``V - 1`` equal ones ``lambda = (1 - k/V) / (k (V-1))``;
    the best ``m``-dimensional affine fit leaves the ``V - m - 1`` smallest: ``MSE >= (V-m-1) lambda / V``,
    i.e. ``(V-m-1)/(V-1)`` times the constant predictor's MSE ``(1 - k/V) / (k V)`` (0 for ``V = 1``, where
    ``y`` is constant).
    """
    vocab, k = _check_task(vocab, k)
    width = check_int(width, "width", low=1)
    if vocab == 1:
        return 0.0
    constant = (1 - k / vocab) / (k * vocab)
    return max(vocab - width - 1, 0) / (vocab - 1) * constant


@torch.no_grad()
def output_mse(model: nn.Sequential, x: Tensor, k: int, softmax: bool) -> float:
    """Per-coordinate MSE between the model's outputs (their ``softmax``, or the raw outputs) and ``y = x / k``,
    in the model's dtype.

    Raises:
        ValueError: a model without one output per token, ``x`` not k-of-V inputs.
    """
    _, vocab, _ = _check_vocab_model(model)
    x = check_x(model, x)
    k = _check_k(k, vocab)
    _check_sets(x, k)
    if not isinstance(softmax, bool):
        raise TypeError(f"softmax must be True or False, got {softmax!r}.")
    check_budget(3 * x.element_size() * x.numel(), f"the ({len(x)}, {vocab}) outputs", "pass fewer rows in x")
    out = model(x)
    out = out.softmax(dim=1) if softmax else out
    return float((out - x / k).pow(2).mean())


def constant_predictor_mse(vocab: int, k: int) -> float:
    """Per-coordinate MSE of the best constant predictor ``1/V``: ``(1 - k/V) / (k V)``."""
    vocab, k = _check_task(vocab, k)
    return (1 - k / vocab) / (k * vocab)


# --------------------------------------------------------------------------------------------------
# Analysis of a trained network
# --------------------------------------------------------------------------------------------------


@dataclass
class WeightModes:
    """Two-mode summary of a weight distribution (1-D 2-means).

    Attributes:
        low, high: the two cluster centres (the modes).
        threshold: midpoint between them (hash bits lie on one side).
        fraction_high: share of entries above the threshold.
        ashman_d: ``sqrt(2) |high - low| / sqrt(s_low^2 + s_high^2)``; > 2 means cleanly separated modes
            (``inf`` when both clusters are single values). A uniform distribution already gives
            ``sqrt(12) ~ 3.5``: D measures separation, not a dip.
        bimodality_coefficient: Sarle's ``(g^2 + 1) / (kappa + 3 (n-1)^2 / ((n-2)(n-3)))``; > 5/9 suggests
            bimodality (5/9 for a uniform distribution); broad symmetric modes can stay below it.
        valley_ratio: histogram density at the lowest point between the two peaks over the lower of the two
            peaks (:func:`valley_ratio`); 1 for a uniform or unimodal distribution, near 0 for two separated
            modes.
        bimodal: ``valley_ratio < 0.5`` (a dip of more than half the lower peak).
    """

    low: float
    high: float
    threshold: float
    fraction_high: float
    ashman_d: float
    bimodality_coefficient: float
    valley_ratio: float
    bimodal: bool

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict."""
        return asdict(self)


def weight_modes(weight: Tensor, iterations: int = 100) -> WeightModes:
    """Fit two modes to the entries of ``weight`` (any shape, at least 4 entries, not all equal) by 1-D
    2-means started at the quartiles. Computed in float64 whatever the weight's dtype.

    Raises:
        TypeError: not a float tensor; non-integer ``iterations``.
        ValueError: fewer than 4 entries, NaN or infinite entries, all entries equal, ``iterations < 1``.
        BudgetError: the weight is too large to copy in float64 within the memory budget.
    """
    check_tensor(weight, "weight")
    iterations = check_int(iterations, "iterations", low=1)
    values = weight.detach().flatten().double()
    if values.numel() < 4:
        raise ValueError(f"weight has {values.numel()} entries; weight_modes needs at least 4.")
    check_budget(32 * values.numel(), f"float64 copies of the {values.numel()} weights", "pass a sample of the weights")
    if bool((values == values[0]).all()):
        raise ValueError("weight has a single value; a constant distribution has no modes.")
    centres = torch.quantile(values, torch.tensor([0.25, 0.75], dtype=torch.float64))
    for _ in range(iterations):
        high = values > centres.mean()
        if high.all() or (~high).all():
            break
        new = torch.stack([values[~high].mean(), values[high].mean()])
        if torch.allclose(new, centres):
            break
        centres = new
    threshold = float(centres.mean())
    high = values > threshold
    low_values, high_values = values[~high], values[high]
    spread = math.sqrt(float(low_values.var() if low_values.numel() > 1 else 0) + float(high_values.var() if high_values.numel() > 1 else 0))
    ashman = math.sqrt(2) * float(centres[1] - centres[0]) / spread if spread > 0 else math.inf
    n = values.numel()
    centred = values - values.mean()
    std = float(centred.pow(2).mean().sqrt())
    skew = float(centred.pow(3).mean()) / std**3
    excess = float(centred.pow(4).mean()) / std**4 - 3
    bc = (skew**2 + 1) / (excess + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))
    valley = valley_ratio(values)
    return WeightModes(low=float(centres[0]), high=float(centres[1]), threshold=threshold,
                       fraction_high=float(high.double().mean()), ashman_d=ashman,
                       bimodality_coefficient=bc, valley_ratio=valley, bimodal=bool(valley < 0.5))


def valley_ratio(values: Tensor, bins: int = 40) -> float:
    """Depth of the dip between the two highest separated peaks of a histogram of ``values``.

    The histogram (``bins`` bins over the 0.5%-99.5% quantile range, 3-bin moving average) is cut at every
    interior bin; for each cut the highest bins left and right of it are the peaks and the ratio is
    ``min density between the peaks / min(peak_left, peak_right)``; the smallest ratio is returned, in
    ``[0, 1]`` (1: no dip). Computed in float64.

    Raises:
        TypeError: not a float tensor; non-integer ``bins``.
        ValueError: empty or non-finite values; ``bins`` outside ``3..`` :data:`MAX_HISTOGRAM_BINS`.
    """
    check_tensor(values, "values")
    bins = check_int(bins, "bins", low=3, high=MAX_HISTOGRAM_BINS)
    values = values.detach().flatten().double()
    lo, hi = torch.quantile(values, torch.tensor([0.005, 0.995], dtype=torch.float64)).tolist()
    if hi <= lo:
        return 1.0
    counts = torch.histc(values.clamp(lo, hi), bins=bins, min=lo, max=hi)
    smooth = torch.nn.functional.avg_pool1d(counts.view(1, 1, -1), 3, stride=1, padding=1, count_include_pad=False).flatten()
    best = 1.0  # deepest dip over every split point: highest bin left of the cut vs right of it
    for cut in range(1, bins - 1):
        left = int(smooth[:cut].argmax())
        right = cut + int(smooth[cut:].argmax())
        if right - left < 2:
            continue
        peak = min(float(smooth[left]), float(smooth[right]))
        if peak <= 0:
            continue
        best = min(best, float(smooth[left:right + 1].min()) / peak)
    return best


def extract_hashes(model: nn.Sequential, side: str = "low", modes: WeightModes | None = None) -> Tensor:
    """Hashes read off the first hidden layer's weights ``W_in: (m, V)`` by thresholding between their two
    modes: ``(V, m)`` bool.

    Args:
        model: an MLP (only its first Linear is read).
        side: which mode holds the hash bits: ``"low"`` (the empty-bucket reading: a hash bit switches the
            unit off, as in :func:`bloom_network`), ``"high"``, or ``"minority"`` (the rarer side).
        modes: precomputed :func:`weight_modes` of ``W_in`` (default: computed here).
    """
    layers = check_model(model)
    if not layers:
        raise ValueError("model has no hidden layer; hashes are read off the first hidden layer's weights.")
    check_choice(side, "side", HASH_SIDES)
    if modes is not None and not isinstance(modes, WeightModes):
        raise TypeError(f"modes must be a WeightModes (from weight_modes) or None, got {type(modes).__name__}.")
    weight = layers[0][0].weight.detach()
    modes = modes or weight_modes(weight)
    if side == "minority":
        side = "high" if modes.fraction_high < 0.5 else "low"
    bits = weight > modes.threshold if side == "high" else weight <= modes.threshold
    return bits.T.contiguous()


def unit_r2(hidden: Tensor, feature: Tensor) -> Tensor:
    """Per-unit ``R^2`` of the affine fit ``hidden_j ~ a_j + b_j feature_j``: squared correlation, ``(m,)``.

    Args:
        hidden: ``(n, m)`` unit activations, ``n >= 2``.
        feature: ``(n, m)`` one feature per unit.

    Returns:
        ``(m,)`` in ``[0, 1]``, in the promoted dtype of the two. Units where the feature is constant get 0
        (it explains nothing); a constant (dead) hidden unit gets NaN on purpose: there is nothing to
        explain (average with ``nanmean``).
    """
    check_tensor(hidden, "hidden", dims=2)
    check_tensor(feature, "feature", dims=2)
    if hidden.shape != feature.shape:
        raise ValueError(f"hidden has shape {tuple(hidden.shape)} but feature has {tuple(feature.shape)}; they must match.")
    if len(hidden) < 2:
        raise ValueError("unit_r2 needs at least 2 rows to measure a correlation; pass more inputs.")
    h = hidden - hidden.mean(0)
    f = feature - feature.mean(0)
    cov = (h * f).mean(0)
    var_h, var_f = h.pow(2).mean(0), f.pow(2).mean(0)
    r2 = cov.pow(2) / (var_h * var_f).clamp(min=1e-30)
    r2 = torch.where(var_f > 1e-12, r2, torch.zeros_like(r2))
    return torch.where(var_h > 1e-12, r2, torch.full_like(r2, math.nan))


@torch.no_grad()
def clipping_rate(model: nn.Sequential, x: Tensor) -> float:
    """Fraction of (example, unit) pairs of the first hidden layer whose pre-activation is negative (the ReLU
    clips them), in the model's dtype."""
    layers = check_model(model)
    if not layers:
        raise ValueError("model has no hidden layer; there is nothing to clip.")
    x = check_x(model, x)
    return float((layers[0][0](x) < 0).float().mean())


@dataclass
class BloomAnalysis:
    """The Bloom reading of one trained network (see :func:`analyze_network`).

    Attributes:
        modes: the two modes of ``W_in``.
        hash_sizes: ``(V,)`` int64 ``|H(t)|`` of every token.
        mean_hash_size: their mean; ``h_star``: ``(m / k) ln 2``.
        r2_union, r2_count: mean ``R^2`` over live units of the union indicator ``[s_j = 0]`` and of the count
            ``s_j`` (NaN only when every unit is constant on ``x``).
        clipping: share of clipped pre-activations of the first layer.
        network_accuracy, network_fpr: exact-set accuracy and per-token false-positive rate of the top-k.
        extracted_bloom_accuracy, extracted_bloom_fpr: the same for a Bloom filter with the extracted hashes.
        optimal_bloom_h, optimal_bloom_accuracy, optimal_bloom_fpr: the same for random hashes of the best
            integer size; ``optimal_bloom_fpr_formula``: Bloom's formula at that size.
    """

    modes: WeightModes
    hash_sizes: Tensor
    mean_hash_size: float
    h_star: float
    r2_union: float
    r2_count: float
    clipping: float
    network_accuracy: float
    network_fpr: float
    extracted_bloom_accuracy: float
    extracted_bloom_fpr: float
    optimal_bloom_h: int
    optimal_bloom_accuracy: float
    optimal_bloom_fpr: float
    optimal_bloom_fpr_formula: float

    def summary(self) -> dict[str, Any]:
        """Scalars only (for metrics): every field but ``modes`` and ``hash_sizes``, then ``mode_<field>``."""
        out = {key: value for key, value in asdict(self).items() if key not in ("hash_sizes", "modes")}
        out.update({f"mode_{key}": value for key, value in self.modes.as_dict().items()})
        return out


@torch.no_grad()
def analyze_network(model: nn.Sequential, x: Tensor, k: int, side: str = "low",
                    generator: torch.Generator | None = None) -> BloomAnalysis:
    """Read a trained ``V -> m -> V`` network as a Bloom filter.

    Measures the two modes of ``W_in`` and the hashes between them; how well each hidden unit is explained
    (``R^2``, mean over live units) by the empty-bucket / union indicator ``[s_j = 0]`` of the extracted
    hashes versus by the plain hit count ``s_j``; how often the ReLU clips; and the exact-set accuracy and
    per-token false-positive rate of (a) the network's top-k, (b) a Bloom filter with the extracted hashes,
    (c) a Bloom filter of the same width with random hashes of the best integer size. Evaluated in the
    model's dtype (the mode fit in float64).

    Args:
        model: a network ``V -> m -> ... -> V`` (the first hidden layer is read).
        x: ``(n, V)`` test inputs with exactly ``k`` active tokens each.
        k: active tokens per input.
        side: see :func:`extract_hashes`.
        generator: the random source of the optimal Bloom filter's hashes.

    Raises:
        ValueError: a model without one output per token, ``x`` not k-of-V inputs, ``k`` out of range.
        BudgetError: the ``(n, V)`` intermediates exceed the memory budget (pass fewer rows in ``x``).
    """
    first, vocab, m = _check_vocab_model(model)
    x = check_x(model, x)
    k = _check_k(k, vocab)
    _check_sets(x, k)
    check_choice(side, "side", HASH_SIDES)
    generator = check_generator(generator)
    check_budget(len(x) * (vocab * (x.element_size() + 4) + 3 * m * 4), f"the analysis of {len(x)} inputs",
                 "pass fewer rows in x")
    modes = weight_modes(first.weight)
    hashes = extract_hashes(model, side=side, modes=modes)
    hidden = torch.relu(first(x))
    hits = hash_hits(hashes, x)
    predicted = topk_set(model(x), k)
    extracted = bloom_membership(hashes, x)
    h_best = best_integer_hashes(m, k)
    optimal = bloom_membership(random_hashes(vocab, m, min(h_best, m), generator=generator), x)
    sizes = hashes.sum(1)
    return BloomAnalysis(
        modes=modes, hash_sizes=sizes, mean_hash_size=float(sizes.float().mean()),
        h_star=optimal_hashes(m, k),
        r2_union=float(unit_r2(hidden, (hits == 0).float()).nanmean()),
        r2_count=float(unit_r2(hidden, hits).nanmean()),
        clipping=clipping_rate(model, x),
        network_accuracy=exact_set_accuracy(predicted, x), network_fpr=measured_false_positive_rate(predicted, x),
        extracted_bloom_accuracy=exact_set_accuracy(extracted, x),
        extracted_bloom_fpr=measured_false_positive_rate(extracted, x),
        optimal_bloom_h=h_best, optimal_bloom_accuracy=exact_set_accuracy(optimal, x),
        optimal_bloom_fpr=measured_false_positive_rate(optimal, x),
        optimal_bloom_fpr_formula=false_positive_rate(m, k, h_best),
    )


@dataclass
class BloomComparison:
    """A trained network against the hand-built Bloom network on its extracted hashes
    (:func:`compare_with_bloom_network`).

    Attributes:
        agreement: share of inputs where the two top-k sets are equal.
        accuracy_trained, accuracy_bloom: exact top-k accuracy of each (the Bloom network's top-k among
            tied members breaks ties by index).
        member_overlap: share of the trained top-k tokens that the Bloom network calls members.
        logit_corr: correlation of the two networks' logits (NaN when either is constant: undefined).
    """

    agreement: float
    accuracy_trained: float
    accuracy_bloom: float
    member_overlap: float
    logit_corr: float

    def as_dict(self) -> dict[str, float]:
        """The fields as a plain dict."""
        return asdict(self)


@torch.no_grad()
def compare_with_bloom_network(model: nn.Sequential, x: Tensor, k: int, side: str = "low") -> BloomComparison:
    """The trained network against the hand-built Bloom network (:func:`bloom_network`, same dtype) built
    from its extracted hashes, on ``x: (n, V)`` k-of-V inputs.

    Raises:
        ValueError: a model without one output per token, ``x`` not k-of-V inputs, ``k`` out of range.
        BudgetError: the logits of both networks exceed the memory budget.
    """
    _, vocab, _ = _check_vocab_model(model)
    x = check_x(model, x)
    k = _check_k(k, vocab)
    _check_sets(x, k)
    check_budget(len(x) * vocab * (2 * x.element_size() + 16 + 3), f"the logits of {len(x)} inputs in both networks",
                 "pass fewer rows in x")
    hashes = extract_hashes(model, side=side)
    bloom = bloom_network(hashes, dtype=model_dtype(model))
    z_trained, z_bloom = model(x), bloom(x)
    top_trained, top_bloom = topk_set(z_trained, k), topk_set(z_bloom, k)
    members = network_membership(bloom, x)
    corr = torch.corrcoef(torch.stack([z_trained.flatten(), z_bloom.flatten()]).double())[0, 1]
    return BloomComparison(
        agreement=float((top_trained == top_bloom).all(1).float().mean()),
        accuracy_trained=exact_set_accuracy(top_trained, x),
        accuracy_bloom=exact_set_accuracy(top_bloom, x),
        member_overlap=float((top_trained & members).sum() / top_trained.sum()),
        logit_corr=float(corr),
    )


@dataclass
class UnionReadout:
    """The logits as a linear read-out of the extracted hashes' union state (:func:`union_readout`).

    Attributes:
        r2: share of the logits' variance explained by the union read-out (on the test inputs).
        accuracy: exact top-k accuracy of the fitted union read-out.
        r2_count, accuracy_count: the same with the hit counts ``s_j`` as features.
    """

    r2: float
    accuracy: float
    r2_count: float
    accuracy_count: float

    def as_dict(self) -> dict[str, float]:
        """The fields as a plain dict."""
        return asdict(self)


def _design(features: Tensor) -> Tensor:
    """``[features, 1]`` in float64: the design matrix of an affine least-squares read-out."""
    return torch.cat([features, torch.ones(len(features), 1, dtype=features.dtype)], 1).double()


@torch.no_grad()
def union_readout(model: nn.Sequential, x_fit: Tensor, x_test: Tensor, k: int, side: str = "low") -> UnionReadout:
    """How well the network's logits are a linear read-out of the union state of its extracted hashes.

    Fits ``z ~ W [u, 1]`` by least squares on ``x_fit``, where ``u_j = [s_j > 0]`` is the union indicator of
    the extracted hashes, and measures on ``x_test``: ``r2`` (share of the logits' variance explained) and
    ``accuracy`` (exact top-k of the fitted read-out). The same with the hit counts ``s_j`` as features
    (``r2_count``, ``accuracy_count``) is the near-linear alternative. The fit runs in float64 with LAPACK's
    SVD-based ``gelsd``: the same result on every call (the default ``gelsy`` varies in the last bits).

    Args:
        model: a ``V -> m -> ... -> V`` network.
        x_fit: ``(n', V)`` k-of-V inputs on which the read-out is fitted.
        x_test: ``(n, V)`` k-of-V inputs on which it is measured.
        k: active tokens per input.
        side: see :func:`extract_hashes`.

    Raises:
        ValueError: a model without one output per token, inputs that are not k-of-V, logits constant on
            ``x_test`` (no variance to explain).
        BudgetError: the float64 design and logits exceed the memory budget.
    """
    _, vocab, m = _check_vocab_model(model)
    x_fit = check_x(model, x_fit, "x_fit")
    x_test = check_x(model, x_test, "x_test")
    k = _check_k(k, vocab)
    _check_sets(x_fit, k, "x_fit")
    _check_sets(x_test, k, "x_test")
    rows = max(len(x_fit), len(x_test))
    check_budget(8 * rows * (3 * vocab + 2 * (m + 1)), f"the float64 read-out fit on {rows} inputs",
                 "pass fewer rows in x_fit and x_test")
    hashes = extract_hashes(model, side=side)
    hits_fit, hits_test = hash_hits(hashes, x_fit), hash_hits(hashes, x_test)
    out: dict[str, float] = {}
    for name, feature in (("", lambda s: (s > 0).float()), ("_count", lambda s: s)):
        readout = torch.linalg.lstsq(_design(feature(hits_fit)), model(x_fit).double(), driver="gelsd").solution
        z, fitted = model(x_test).double(), _design(feature(hits_test)) @ readout
        total = (z - z.mean(0)).pow(2).sum()
        if float(total) == 0.0:
            raise ValueError("the model's logits are constant on x_test: there is no variance for a read-out to explain.")
        out[f"r2{name}"] = float(1 - (z - fitted).pow(2).sum() / total)
        out[f"accuracy{name}"] = exact_set_accuracy(topk_set(fitted, k), x_test)
    return UnionReadout(**out)


# --------------------------------------------------------------------------------------------------
# JL-style superposition baseline
# --------------------------------------------------------------------------------------------------


def random_embeddings(vocab: int, width: int, generator: torch.Generator | None = None,
                      dtype: torch.dtype = torch.float32) -> Tensor:
    """Random dense token embeddings ``E: (m, V)`` with i.i.d. ``N(0, 1/m)`` entries (columns ~ unit norm)."""
    vocab = check_int(vocab, "vocab", low=1)
    width = check_int(width, "width", low=1)
    generator = check_generator(generator) or torch.Generator()
    check_dtype(dtype)
    check_budget(torch.finfo(dtype).bits // 8 * vocab * width, f"the ({width}, {vocab}) embeddings", "lower width or vocab")
    return torch.randn(width, vocab, generator=generator, dtype=dtype) / math.sqrt(width)


def superposition_scores(embeddings: Tensor, x: Tensor) -> Tensor:
    """The JL-style solution: hidden state ``E x`` (sum of the active tokens' embeddings), linear read-out
    ``E^T``: scores ``(n, V) = x E^T E``; token ``t`` scores ``<e_t, sum_{s in S} e_s>``. Computed in the
    embeddings' dtype, in row chunks within the memory budget.

    Args:
        embeddings: ``E: (m, V)``.
        x: ``(n, V)`` inputs.
    """
    check_tensor(embeddings, "embeddings", dims=2)
    x = check_tensor(x, "x", dims=2, kind="any")
    if x.shape[1] != embeddings.shape[1]:
        raise ValueError(f"x has shape {tuple(x.shape)} but the embeddings cover V={embeddings.shape[1]} tokens; "
                         f"pass x: (n, {embeddings.shape[1]}).")
    x = x.to(embeddings.dtype)
    n, vocab = x.shape
    size = embeddings.element_size()
    check_budget(size * n * vocab, f"the ({n}, {vocab}) superposition scores", "pass fewer rows in x")
    return torch.cat([(x[rows] @ embeddings.T) @ embeddings for rows in _rows(n, size * (vocab + embeddings.shape[0]))])


def superposition_interference(embeddings: Tensor, x: Tensor) -> float:
    """Mean squared error of the superposition scores against the indicator ``x``: the interference
    ``<e_t, sum_{s in S} e_s> - x_t``, per coordinate. With ``N(0, 1/m)`` embeddings an absent token's score has
    variance ``k/m`` and an active token's error ``(k+1)/m`` (``Var ||e_t||^2 = 2/m``), so the expectation is
    ``k (V + 1) / (V m)``: it falls as ``1/m``, polynomially.

    Args:
        embeddings: ``E: (m, V)`` (:func:`random_embeddings`).
        x: ``(n, V)`` multi-hot inputs.
    """
    scores = superposition_scores(embeddings, x)
    return float((scores - x.to(scores.dtype)).pow(2).mean())


def superposition_accuracy(embeddings: Tensor, x: Tensor, k: int) -> float:
    """Exact top-k accuracy of :func:`superposition_scores` with embeddings ``E: (m, V)`` on k-of-V inputs
    ``x: (n, V)``."""
    scores = superposition_scores(embeddings, x)
    k = _check_k(k, x.shape[1])
    _check_sets(x, k)
    return exact_set_accuracy(topk_set(scores, k), x)


# --------------------------------------------------------------------------------------------------
# Scaling fits
# --------------------------------------------------------------------------------------------------


@dataclass
class CurveFit:
    """A least-squares fit of ``log(error)``: ``"exponential"``: ``a - b m``; ``"power"``: ``a - b log m``.

    Attributes:
        kind, a, b: the model and its parameters (``error ~ e^a e^(-b m)`` or ``e^a m^(-b)``).
        rmse_log: root-mean-square residual in ``log(error)``.
        n_points: points used (errors of 0 are left out).
    """

    kind: str
    a: float
    b: float
    rmse_log: float
    n_points: int

    def predict(self, width: Tensor | float) -> Tensor:
        """The fitted error (float64) at ``width`` (a number or a tensor of widths; ``> 0`` for a power law)."""
        width = torch.as_tensor(width, dtype=torch.float64)
        check_tensor(width, "width", allow_empty=True)
        if self.kind == "power" and bool((width <= 0).any()):
            raise ValueError("a power law m^(-b) needs widths > 0.")
        feature = width if self.kind == "exponential" else width.log()
        return torch.exp(self.a - self.b * feature)


def fit_error_curve(width: Sequence[float] | Tensor, error: Sequence[float] | Tensor, kind: str) -> CurveFit:
    """Fit ``error(width)`` by an exponential or a power law in log space (zero errors left out), by the
    closed-form simple regression of ``log error`` on ``m`` or ``log m`` (float64; bit-identical on rerun).

    Raises:
        TypeError: widths or errors that are not numbers.
        ValueError: unknown kind, lengths that differ, NaN, negative errors, widths ``<= 0`` for a power
            law, fewer than 3 positive errors, a single width.
    """
    check_choice(kind, "kind", ("exponential", "power"))
    w = _as_float64(width, "width")
    e = _as_float64(error, "error")
    if w.shape != e.shape:
        raise ValueError(f"width has {len(w)} entries but error has {len(e)}; give one error per width.")
    if bool((e < 0).any()):
        raise ValueError("error holds negative values; errors are rates in [0, 1].")
    keep = e > 0
    if int(keep.sum()) < 3:
        raise ValueError(f"need at least 3 positive errors to fit a curve, got {int(keep.sum())}; widen the range or use more test examples.")
    w, e = w[keep], e[keep]
    if kind == "power" and bool((w <= 0).any()):
        raise ValueError("a power-law fit takes log(width): every width must be > 0.")
    feature = w if kind == "exponential" else w.log()
    target = e.log()
    # closed-form simple regression on centred data: bit-identical on rerun, unlike a threaded LAPACK solve
    centred = feature - feature.mean()
    if float(centred.pow(2).sum()) == 0.0:
        raise ValueError("need at least two distinct widths (with positive error) to fit a curve.")
    b = -float((centred * (target - target.mean())).sum() / centred.pow(2).sum())
    a = float(target.mean() + b * feature.mean())
    residual = target - (a - b * feature)
    return CurveFit(kind=kind, a=a, b=b, rmse_log=float(residual.pow(2).mean().sqrt()), n_points=int(keep.sum()))


@dataclass
class FitComparison:
    """Both laws fitted to one error curve (:func:`compare_fits`, :func:`tail_fits`).

    Attributes:
        exponential, power: the two :class:`CurveFit`.
        better: ``"exponential"`` or ``"power"``: the smaller log-space RMSE.
        rmse_ratio_power_over_exponential: the power law's log-RMSE over the exponential's.
        widths, errors: ``(p,)`` float64 points the fits saw.
    """

    exponential: CurveFit
    power: CurveFit
    better: str
    rmse_ratio_power_over_exponential: float
    widths: Tensor
    errors: Tensor


def compare_fits(width: Sequence[float] | Tensor, error: Sequence[float] | Tensor) -> FitComparison:
    """Both fits of :func:`fit_error_curve` and which one has the smaller log-space RMSE."""
    exponential = fit_error_curve(width, error, "exponential")
    power = fit_error_curve(width, error, "power")
    better = "exponential" if exponential.rmse_log < power.rmse_log else "power"
    return FitComparison(exponential=exponential, power=power, better=better,
                         rmse_ratio_power_over_exponential=power.rmse_log / max(exponential.rmse_log, 1e-12),
                         widths=_as_float64(width, "width"), errors=_as_float64(error, "error"))


def tail_fits(widths: Sequence[float] | Tensor, errors: Sequence[Sequence[float]] | Tensor,
              max_error: float = 0.5) -> FitComparison:
    """:func:`compare_fits` on the seed-mean error, restricted to the tail ``0 < error < max_error``.

    In the tail the error of a top-k answer is close to the expected number of wrong tokens (a union
    bound), the quantity whose decay in ``m`` the two laws describe; near ``error = 1`` every curve saturates.

    Args:
        widths: ``(p,)`` widths.
        errors: ``(s, p)`` errors, one row per seed (or ``(p,)`` for one seed).
        max_error: upper end of the tail (``> 0``).
    """
    errors = _as_float64(errors, "errors", dims=2) if not _is_flat(errors) else _as_float64(errors, "errors").unsqueeze(0)
    max_error = check_number(max_error, "max_error", low=0, low_open=True)
    w = _as_float64(widths, "widths")
    if errors.shape[1] != len(w):
        raise ValueError(f"errors has {errors.shape[1]} columns but there are {len(w)} widths; one column per width.")
    mean = errors.mean(0)
    keep = (mean > 0) & (mean < max_error)
    return compare_fits(w[keep], mean[keep])


def _is_flat(values: Any) -> bool:
    if isinstance(values, Tensor):
        return values.dim() == 1
    return isinstance(values, Sequence) and len(values) > 0 and not isinstance(values[0], (Sequence, Tensor))


def width_reaching(fit: CurveFit, error: float) -> float:
    """The width at which an exponential fit ``e^(a - b m)`` reaches ``error``: ``m = (a - ln error) / b``."""
    if not isinstance(fit, CurveFit):
        raise TypeError(f"fit must be a CurveFit, got {type(fit).__name__}.")
    if fit.kind != "exponential":
        raise ValueError(f"width_reaching needs an exponential fit, got {fit.kind!r}.")
    error = check_number(error, "error", low=0, low_open=True)
    if fit.b == 0:
        raise ValueError("the fit is flat (b = 0): it never reaches another error.")
    return (fit.a - math.log(error)) / fit.b


def bloom_decay_rate(k: int) -> float:
    """Decay rate per unit of an optimal Bloom filter's error: ``p* = 2^(-h*) = exp(-(ln 2)^2 m / k)``, rate ``(ln 2)^2 / k``."""
    k = check_int(k, "k", low=1)
    return math.log(2) ** 2 / k
