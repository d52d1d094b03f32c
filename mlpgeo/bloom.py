"""Bloom filters in tiny ReLU networks: the k-of-V task, Bloom filter mathematics, analysis of trained nets.

The task (our reading of the post, see ``reports/bloom.ipynb``): an input ``x in {0, 1}^V`` has exactly
``k`` active tokens ``S`` drawn uniformly; the target is the sparse top-k distribution ``y = x / k``
(``1/k`` on ``S``, 0 elsewhere). The network is ``z = W_out ReLU(W_in x + b_in) + b_out`` with hidden width
``m << V`` and a softmax over ``z``.

A Bloom filter with ``m`` bits and ``h`` hash functions stores ``n`` items in a bit array; a query answers
"member" when all its ``h`` bits are set. Its false-positive rate is

    p = (1 - (1 - 1/m)^(h n))^h  ~  (1 - exp(-h n / m))^h,

minimised near ``h* = (m / n) ln 2`` where ``p* = 2^(-h*) ~ 0.6185^(m/n)``. In the network, bits are hidden
units, stored items are the ``k`` active tokens, and a token's hash ``H(t)`` is a set of hidden units.

The hand-built Bloom network (:func:`bloom_network`) computes, with ``s_j = |{t in S : j in H(t)}|``,
the empty-bucket indicator ``e_j = ReLU(1 - s_j)`` (``1 - union``) and the logits
``z_t = -alpha sum_{j in H(t)} e_j``: 0 for members (and false positives), ``<= -alpha`` otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from mlpgeo.models import check_input, hidden_layers, mlp, train
from mlpgeo.report import summarize, threshold_verdict

FPR_METHODS = ("exact", "approx")
HASH_SIDES = ("low", "high", "minority")
# Learning rates used when none is given: Adam is insensitive to the loss's scale; plain SGD on the
# softmax-MSE loss sees gradients ~V^2 times smaller than on cross-entropy near the uniform softmax (the
# mean runs over V outputs and each softmax derivative carries a factor p_t ~ 1/V): lr = V^2 / 16.
DEFAULT_LR = {("adam", "cross_entropy"): 1e-2, ("adam", "softmax_mse"): 1e-2, ("adam", "mse"): 1e-2,
              ("sgd", "cross_entropy"): 0.5, ("sgd", "mse"): 0.5}
SGD_SOFTMAX_MSE_LR_SCALE = 1 / 16


# --------------------------------------------------------------------------------------------------
# The k-of-V task
# --------------------------------------------------------------------------------------------------


def check_task(vocab: int, k: int) -> None:
    """Raise ``ValueError`` unless ``1 <= k <= vocab``."""
    if not isinstance(vocab, int) or vocab < 1:
        raise ValueError(f"vocab must be a positive integer (the number of tokens V), got {vocab!r}.")
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1 (active tokens per input), got {k!r}.")
    if k > vocab:
        raise ValueError(f"k={k} exceeds the vocabulary V={vocab}: an input cannot hold more distinct tokens than V.")


def check_width(width: int) -> None:
    """Raise ``ValueError`` unless ``width >= 1``."""
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width (hidden units / Bloom bits m) must be an integer >= 1, got {width!r}.")


def sample_sets(n: int, vocab: int, k: int, generator: torch.Generator) -> Tensor:
    """``n`` uniformly random ``k``-subsets of ``{0, ..., V-1}``.

    The ``k`` largest of ``V`` i.i.d. uniforms sit at a uniformly random ``k``-subset of positions.

    Returns:
        ``(n, k)`` int64 token indices, distinct within each row.
    """
    check_task(vocab, k)
    return torch.rand(n, vocab, generator=generator).topk(k, dim=1).indices


def multi_hot(sets: Tensor, vocab: int) -> Tensor:
    """``(n, k)`` token indices -> ``(n, V)`` float32 multi-hot rows."""
    if sets.numel() and (sets.min() < 0 or sets.max() >= vocab):
        raise ValueError(f"token indices must lie in 0..{vocab - 1}; got range {int(sets.min())}..{int(sets.max())}.")
    return torch.zeros(len(sets), vocab).scatter_(1, sets.long(), 1.0)


def k_of_v_task(n: int, vocab: int, k: int, seed: int = 0) -> tuple[Tensor, Tensor]:
    """A seeded batch of the k-of-V task.

    Args:
        n: number of examples.
        vocab: vocabulary size ``V``.
        k: active tokens per example, ``1 <= k <= V``.
        seed: seed of the local generator.

    Returns:
        ``x: (n, V)`` multi-hot inputs (exactly ``k`` ones per row) and ``y = x / k``: ``(n, V)`` target
        distributions.

    Raises:
        ValueError: ``k < 1``, ``k > V`` or ``n < 1``.
    """
    check_task(vocab, k)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}.")
    x = multi_hot(sample_sets(n, vocab, k, torch.Generator().manual_seed(seed)), vocab)
    return x, x / k


def topk_set(scores: Tensor, k: int) -> Tensor:
    """The ``k`` highest-scoring tokens of each row as a ``(n, V)`` bool mask (ties broken by torch.topk)."""
    return torch.zeros_like(scores, dtype=torch.bool).scatter_(1, scores.topk(k, dim=1).indices, True)


def exact_set_accuracy(predicted: Tensor, x: Tensor) -> float:
    """Fraction of rows whose predicted token set ``(n, V)`` bool equals the true set ``x > 0`` exactly."""
    return float((predicted == (x > 0)).all(dim=1).float().mean())


def measured_false_positive_rate(predicted: Tensor, x: Tensor) -> float:
    """Fraction of non-member tokens reported as members: ``sum(pred & ~S) / sum(~S)`` over the batch."""
    absent = x <= 0
    return float((predicted & absent).sum() / absent.sum().clamp(min=1))


@torch.no_grad()
def topk_accuracy(model: nn.Module, x: Tensor, k: int) -> float:
    """Exact top-k accuracy: the model's ``k`` largest outputs are exactly the ``k`` active tokens."""
    x = check_input(model, x)
    return exact_set_accuracy(topk_set(model(x), k), x)


# --------------------------------------------------------------------------------------------------
# Bloom filter mathematics
# --------------------------------------------------------------------------------------------------


def false_positive_rate(m: int, n: int, h: int | float, method: str = "exact") -> float:
    """False-positive rate of a Bloom filter with ``m`` bits, ``n`` stored items and ``h`` hash functions.

    ``"exact"``: Bloom's formula ``(1 - (1 - 1/m)^(h n))^h`` (exact for the probability that a given bit is
    set; it treats the ``h`` bits of the query as independent). ``"approx"``: ``(1 - exp(-h n / m))^h``.

    Raises:
        ValueError: ``m < 1``, ``n < 0``, ``h <= 0`` or an unknown method.
    """
    if m < 1 or n < 0 or h <= 0:
        raise ValueError(f"need m >= 1 bits, n >= 0 items and h > 0 hashes; got m={m}, n={n}, h={h}.")
    if method == "exact":
        return float((1.0 - (1.0 - 1.0 / m) ** (h * n)) ** h)
    if method == "approx":
        return float((1.0 - math.exp(-h * n / m)) ** h)
    raise ValueError(f"unknown method {method!r}; use one of {FPR_METHODS}.")


def optimal_hashes(m: int, n: int) -> float:
    """The real-valued optimum ``h* = (m / n) ln 2`` of the approximate false-positive rate."""
    if m < 1 or n < 1:
        raise ValueError(f"need m >= 1 bits and n >= 1 items, got m={m}, n={n}.")
    return m / n * math.log(2.0)


def best_integer_hashes(m: int, n: int) -> int:
    """The integer ``h >= 1`` minimising the exact false-positive rate (checked around ``h*``)."""
    h_star = optimal_hashes(m, n)
    candidates = {max(1, math.floor(h_star)), max(1, math.ceil(h_star))}
    return min(candidates, key=lambda h: false_positive_rate(m, n, h))


def optimal_bloom_accuracy(vocab: int, m: int, k: int) -> float:
    """Approximate exact-set accuracy of an optimal Bloom filter: ``(1 - p)^(V - k)`` at the best integer ``h``
    (treats the absent tokens' false positives as independent)."""
    check_task(vocab, k)
    return (1 - false_positive_rate(m, k, best_integer_hashes(m, k))) ** (vocab - k)


# --------------------------------------------------------------------------------------------------
# A real Bloom filter
# --------------------------------------------------------------------------------------------------

MERSENNE_PRIME = 2**31 - 1


class BloomFilter:
    """A Bloom filter over non-negative integer keys: ``m`` bits, ``h`` universal hash functions.

    Hash ``i`` maps key ``x`` to ``((a_i x + b_i) mod P) mod m`` with ``P = 2^31 - 1`` and ``a_i, b_i`` drawn
    from a generator seeded by ``seed``. Every operation is vectorised over a batch of keys.

    Args:
        m: number of bits.
        h: number of hash functions.
        seed: seed of the hash functions.
    """

    def __init__(self, m: int, h: int, seed: int = 0) -> None:
        check_width(m)
        if not isinstance(h, int) or h < 1:
            raise ValueError(f"h (hash functions) must be an integer >= 1, got {h!r}.")
        generator = torch.Generator().manual_seed(seed)
        self.m, self.h = m, h
        self.a = torch.randint(1, MERSENNE_PRIME, (h,), generator=generator, dtype=torch.int64)
        self.b = torch.randint(0, MERSENNE_PRIME, (h,), generator=generator, dtype=torch.int64)
        self.bits = torch.zeros(m, dtype=torch.bool)

    def positions(self, keys: Tensor) -> Tensor:
        """Bit positions ``(..., h)`` of integer keys ``(...)`` in ``[0, P)``."""
        keys = torch.as_tensor(keys, dtype=torch.int64)
        if keys.numel() and (keys.min() < 0 or keys.max() >= MERSENNE_PRIME):
            raise ValueError(f"keys must lie in [0, {MERSENNE_PRIME}); got range {int(keys.min())}..{int(keys.max())}.")
        return ((keys.unsqueeze(-1) * self.a + self.b) % MERSENNE_PRIME) % self.m

    def add(self, keys: Tensor) -> None:
        """Set the bits of every key in ``keys``."""
        self.bits[self.positions(keys).flatten()] = True

    def contains(self, keys: Tensor) -> Tensor:
        """Membership answers ``(...)`` bool: all ``h`` bits of the key are set (false positives possible)."""
        return self.bits[self.positions(keys)].all(dim=-1)

    def hash_matrix(self, vocab: int) -> Tensor:
        """The hashes of tokens ``0..V-1`` as a ``(V, m)`` bool matrix (``<= h`` ones per row: collisions merge)."""
        rows = torch.arange(vocab).unsqueeze(1).expand(vocab, self.h)
        return torch.zeros(vocab, self.m, dtype=torch.bool).index_put_((rows, self.positions(torch.arange(vocab))), torch.tensor(True))


def hash_matrix(hashes: Tensor | Sequence[Sequence[int]], width: int | None = None) -> Tensor:
    """A hash assignment as a ``(V, m)`` bool matrix, after checking it.

    Args:
        hashes: a ``(V, m)`` 0/1 (or bool) tensor, or one sequence of bit indices per token (then ``width``).
        width: the number of bits ``m`` when ``hashes`` is a list of index sets.

    Raises:
        ValueError: entries other than 0/1, an index outside ``0..m-1``, a missing or bad width.
    """
    if isinstance(hashes, Tensor):
        if hashes.dim() != 2:
            raise ValueError(f"a hash matrix must be (V, m); got shape {tuple(hashes.shape)}.")
        if not ((hashes == 0) | (hashes == 1)).all():
            raise ValueError("a hash matrix must hold only 0/1 (or bool) entries; threshold it first.")
        check_width(hashes.shape[1])
        return hashes.bool()
    if width is None:
        raise ValueError("pass width=m with a list of hash index sets (one per token).")
    check_width(width)
    matrix = torch.zeros(len(hashes), width, dtype=torch.bool)
    for token, bits in enumerate(hashes):
        bits = [int(b) for b in bits]
        if any(b < 0 or b >= width for b in bits):
            raise ValueError(f"token {token}'s hash {bits} has bits outside 0..{width - 1} (width m={width}).")
        matrix[token, bits] = True
    return matrix


def random_hashes(vocab: int, width: int, h: int, seed: int = 0) -> Tensor:
    """Each token gets ``h`` distinct bits drawn uniformly from ``m``: a ``(V, m)`` bool matrix."""
    check_width(width)
    if not 1 <= h <= width:
        raise ValueError(f"h must lie in 1..m={width}, got {h}.")
    generator = torch.Generator().manual_seed(seed)
    bits = torch.rand(vocab, width, generator=generator).topk(h, dim=1).indices
    return torch.zeros(vocab, width, dtype=torch.bool).scatter_(1, bits, True)


def hash_hits(hashes: Tensor, x: Tensor) -> Tensor:
    """``s_j = |{t in S : j in H(t)}|``: ``(n, m)`` counts of active tokens hitting each bit."""
    return (x > 0).float() @ hashes.float()


def bloom_membership(hashes: Tensor, x: Tensor) -> Tensor:
    """Answers of one Bloom filter per row of ``x``: ``(n, V)`` bool, token ``t`` is a member when every bit
    of ``H(t)`` is set by the row's active tokens. Vectorised: ``missing = (s == 0) @ H^T``, member iff 0."""
    hashes = hash_matrix(hashes)
    if x.dim() != 2 or x.shape[1] != hashes.shape[0]:
        raise ValueError(f"x has shape {tuple(x.shape)} but the hashes cover V={hashes.shape[0]} tokens; pass x: (n, {hashes.shape[0]}).")
    empty = (hash_hits(hashes, x) == 0).float()
    return (empty @ hashes.float().T) == 0


# --------------------------------------------------------------------------------------------------
# The hand-built Bloom network
# --------------------------------------------------------------------------------------------------


def bloom_network(hashes: Tensor | Sequence[Sequence[int]], width: int | None = None, alpha: float = 1.0) -> nn.Sequential:
    """A 1-hidden-layer ReLU network that implements a Bloom filter exactly.

    ``W_in = -H^T`` and ``b_in = 1`` give the empty-bucket units ``e_j = ReLU(1 - s_j)``; ``W_out = -alpha H``,
    ``b_out = 0`` give ``z_t = -alpha |{j in H(t) : e_j = 1}|``: 0 for Bloom members, ``<= -alpha`` otherwise.
    Its membership answer is ``z > -alpha / 2`` (:func:`network_membership`).

    Args:
        hashes: the hash assignment (see :func:`hash_matrix`), ``V`` tokens over ``m`` bits.
        width: ``m`` when ``hashes`` is a list of index sets.
        alpha: logit gap between members and non-members (> 0).

    Returns:
        ``nn.Sequential(Linear(V, m), ReLU(), Linear(m, V))``.
    """
    matrix = hash_matrix(hashes, width).float()
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0, got {alpha}.")
    vocab, m = matrix.shape
    model = mlp([vocab, m, vocab])
    with torch.no_grad():
        model[0].weight.copy_(-matrix.T)
        model[0].bias.fill_(1.0)
        model[2].weight.copy_(-alpha * matrix)
        model[2].bias.zero_()
    return model


@torch.no_grad()
def network_membership(model: nn.Sequential, x: Tensor, alpha: float = 1.0) -> Tensor:
    """Membership answers of a hand-built Bloom network: ``(n, V)`` bool, ``z > -alpha / 2``."""
    return model(x) > -alpha / 2


# --------------------------------------------------------------------------------------------------
# Training on the task
# --------------------------------------------------------------------------------------------------


def default_lr(optimizer: str, loss: str, vocab: int) -> float:
    """The learning rate used when none is given (see :data:`DEFAULT_LR`)."""
    if (optimizer, loss) == ("sgd", "softmax_mse"):
        return SGD_SOFTMAX_MSE_LR_SCALE * vocab**2
    return DEFAULT_LR[(optimizer, loss)]


def train_task_network(
    vocab: int,
    width: int,
    k: int,
    *,
    loss: str = "cross_entropy",
    optimizer: str = "adam",
    bias: bool = True,
    seed: int = 0,
    n_train: int = 8192,
    epochs: int = 15,
    batch_size: int = 256,
    lr: float | None = None,
    momentum: float = 0.9,
    device: str | torch.device | None = None,
) -> tuple[nn.Sequential, list[float]]:
    """Train ``V -> m -> V`` ReLU network on a fixed seeded sample of the k-of-V task.

    Args:
        loss: ``"cross_entropy"`` (against ``y = x / k``), ``"softmax_mse"`` or ``"mse"`` (linear read-out).
        optimizer: ``"adam"`` or ``"sgd"`` (with ``momentum``).
        lr: learning rate; ``None`` uses :func:`default_lr`.
        seed: seeds the initialisation, the training sample and the batch order.
        device: where to train (default: :func:`mlpgeo.config.device`, i.e. ``MLPGEO_DEVICE``).

    Returns:
        The trained model, moved back to the CPU (where every analysis of this module runs: the networks
        are tiny), and its per-epoch training loss.
    """
    check_task(vocab, k)
    check_width(width)
    x, y = k_of_v_task(n_train, vocab, k, seed=10_000 + seed)
    model = mlp([vocab, width, vocab], bias=bias, seed=seed)
    history = train(model, x, y, loss=loss, optimizer=optimizer, lr=lr or default_lr(optimizer, loss, vocab),
                    epochs=epochs, batch_size=batch_size, momentum=momentum if optimizer == "sgd" else 0.0,
                    seed=seed, progress=False, device=device)
    return model.cpu(), history.epoch_loss


TRAINING_VARIANTS = [dict(loss=loss, optimizer=optimizer, bias=bias) for loss in ("cross_entropy", "softmax_mse")
                     for optimizer in ("adam", "sgd") for bias in (True, False)]
"""The 8 training settings of the grid: loss x optimiser x bias."""


def run_grid(configs: Sequence[dict[str, Any]], seeds: Sequence[int], n_test: int = 4096, **train_kwargs: Any) -> list[dict[str, Any]]:
    """Train one network per (config, seed) and measure it on fresh test sets.

    Args:
        configs: dicts with ``vocab, width, k, loss, optimizer, bias``.
        seeds: seeds per config.
        n_test: test examples (seed ``20000 + seed``, disjoint stream from training).

    Returns:
        One row per run: the config, ``seed``, ``accuracy`` (exact top-k), ``fpr`` (per-token false-positive
        rate of the top-k), ``final_loss`` and the scalars of :meth:`BloomAnalysis.summary` (modes,
        bimodality, hash sizes, R^2 of union vs count, clipping, Bloom comparisons).
    """
    rows = []
    for config in configs:
        for seed in seeds:
            model, losses = train_task_network(**config, seed=seed, **train_kwargs)
            x, _ = k_of_v_task(n_test, config["vocab"], config["k"], seed=20_000 + seed)
            analysis = analyze_network(model, x, config["k"], seed=seed).summary()
            rows.append({**config, "seed": seed, "accuracy": analysis["network_accuracy"],
                         "fpr": analysis["network_fpr"], "final_loss": losses[-1], **analysis})
    return rows


def group_rows(rows: Sequence[dict[str, Any]], keys: Sequence[str], metrics: Sequence[str]) -> list[dict[str, Any]]:
    """Mean and standard deviation (over seeds) of ``metrics`` for each distinct value of ``keys``.

    Returns:
        One dict per group, in first-seen order: the key values, ``n``, ``<metric>`` (mean) and
        ``<metric>_std`` (sample std, 0 for one seed).
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[key] for key in keys), []).append(row)
    out = []
    for values, members in groups.items():
        entry: dict[str, Any] = dict(zip(keys, values), n=len(members))
        for metric in metrics:
            column = torch.tensor([float(m[metric]) for m in members], dtype=torch.float64)
            entry[metric] = float(column.mean())
            entry[f"{metric}_std"] = float(column.std()) if len(column) > 1 else 0.0
        out.append(entry)
    return out


# --------------------------------------------------------------------------------------------------
# The linear read-out by MSE: the subspace bound
# --------------------------------------------------------------------------------------------------


def subspace_mse_bound(vocab: int, width: int, k: int) -> float:
    """Lower bound on the per-coordinate MSE of any predictor of ``y = x / k`` whose outputs lie in an affine
    subspace of dimension ``m`` (a linear read-out of ``m`` hidden units plus a bias).

    ``Cov(y)`` has one zero eigenvalue (``sum y = 1``) and ``V - 1`` equal ones ``lambda = (1 - k/V) / (k (V-1))``;
    the best ``m``-dimensional affine fit leaves the ``V - m - 1`` smallest: ``MSE >= (V-m-1) lambda / V``,
    i.e. ``(V-m-1)/(V-1)`` times the constant predictor's MSE ``(1 - k/V) / (k V)``.
    """
    check_task(vocab, k)
    check_width(width)
    constant = (1 - k / vocab) / (k * vocab)
    return max(vocab - width - 1, 0) / (vocab - 1) * constant


@torch.no_grad()
def output_mse(model: nn.Sequential, x: Tensor, k: int, softmax: bool) -> float:
    """Per-coordinate MSE between the model's outputs (``softmax`` of them, or raw) and ``y = x / k``."""
    out = model(x)
    out = out.softmax(dim=1) if softmax else out
    return float((out - x / k).pow(2).mean())


def constant_predictor_mse(vocab: int, k: int) -> float:
    """Per-coordinate MSE of the best constant predictor ``1/V``: ``(1 - k/V) / (k V)``."""
    check_task(vocab, k)
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
        ashman_d: ``sqrt(2) |high - low| / sqrt(s_low^2 + s_high^2)``; > 2 means cleanly separated modes.
            (A uniform distribution already gives ``sqrt(12) ~ 3.5``: D measures separation, not a dip.)
        bimodality_coefficient: Sarle's ``(g^2 + 1) / (kappa + 3 (n-1)^2 / ((n-2)(n-3)))``; > 5/9 suggests
            bimodality (5/9 for a uniform distribution); broad symmetric modes can stay below it.
        valley_ratio: histogram density at the lowest point between the two peaks over the lower of the two
            peaks (40 bins over the 0.5-99.5% quantile range, 3-bin moving average); 1 for a uniform or
            unimodal distribution, near 0 for two separated modes.
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
    """Fit two modes to the entries of ``weight`` (any shape) by 1-D 2-means, started at the quartiles."""
    values = weight.detach().flatten().double()
    if values.numel() < 4 or not torch.isfinite(values).all():
        raise ValueError("weight_modes needs at least 4 finite entries.")
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
    ``[0, 1]`` (1: no dip).
    """
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
    """Hashes read off ``W_in`` by thresholding between its two modes: ``(V, m)`` bool.

    Args:
        side: which mode holds the hash bits: ``"low"`` (the empty-bucket reading: a hash bit switches the
            unit off, as in :func:`bloom_network`), ``"high"``, or ``"minority"`` (the rarer side).
        modes: precomputed :func:`weight_modes` of ``W_in``.
    """
    if side not in HASH_SIDES:
        raise ValueError(f"unknown side {side!r}; use one of {HASH_SIDES}.")
    weight = hidden_layers(model)[0][0].weight.detach()
    modes = modes or weight_modes(weight)
    if side == "minority":
        side = "high" if modes.fraction_high < 0.5 else "low"
    bits = weight > modes.threshold if side == "high" else weight <= modes.threshold
    return bits.T.contiguous()


def unit_r2(hidden: Tensor, feature: Tensor) -> Tensor:
    """Per-unit ``R^2`` of the affine fit ``hidden_j ~ a_j + b_j feature_j``: squared correlation, ``(m,)``.

    Units where either column is constant get ``R^2 = 0`` for a non-constant hidden unit (the feature
    explains nothing) and NaN for a constant (dead) hidden unit.
    """
    h = hidden - hidden.mean(0)
    f = feature - feature.mean(0)
    cov = (h * f).mean(0)
    var_h, var_f = h.pow(2).mean(0), f.pow(2).mean(0)
    r2 = cov.pow(2) / (var_h * var_f).clamp(min=1e-30)
    r2 = torch.where(var_f > 1e-12, r2, torch.zeros_like(r2))
    return torch.where(var_h > 1e-12, r2, torch.full_like(r2, math.nan))


@torch.no_grad()
def clipping_rate(model: nn.Sequential, x: Tensor) -> float:
    """Fraction of (example, hidden unit) pairs whose pre-activation is negative (ReLU clips)."""
    return float((model[0](x) < 0).float().mean())


@dataclass
class BloomAnalysis:
    """The Bloom reading of one trained network (see :func:`analyze_network`)."""

    modes: WeightModes
    hash_sizes: list[int]
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
        """Scalars only (for metrics)."""
        out = {key: value for key, value in asdict(self).items() if key not in ("hash_sizes", "modes")}
        out.update({f"mode_{key}": value for key, value in self.modes.as_dict().items()})
        return out


@torch.no_grad()
def analyze_network(model: nn.Sequential, x: Tensor, k: int, side: str = "low", seed: int = 0) -> BloomAnalysis:
    """Read a trained ``V -> m -> V`` network as a Bloom filter.

    Measures the two modes of ``W_in`` and the hashes between them; how well each hidden unit is explained
    (``R^2``, mean over live units) by the empty-bucket / union indicator ``[s_j = 0]`` of the extracted
    hashes versus by the plain hit count ``s_j``; how often the ReLU clips; and the exact-set accuracy and
    per-token false-positive rate of (a) the network's top-k, (b) a Bloom filter with the extracted hashes,
    (c) a Bloom filter of the same width with random hashes of the best integer size.

    Args:
        x: ``(n, V)`` test inputs with ``k`` active tokens each.
        side: see :func:`extract_hashes`.
        seed: seed of the random hashes of the optimal Bloom filter.
    """
    first = hidden_layers(model)[0][0]
    vocab, m = first.in_features, first.out_features
    x = check_input(model, x)
    modes = weight_modes(first.weight)
    hashes = extract_hashes(model, side=side, modes=modes)
    hidden = torch.relu(first(x))
    hits = hash_hits(hashes, x)
    predicted = topk_set(model(x), k)
    extracted = bloom_membership(hashes, x)
    h_best = best_integer_hashes(m, k)
    optimal = bloom_membership(random_hashes(vocab, m, min(h_best, m), seed=seed), x)
    sizes = hashes.sum(1)
    return BloomAnalysis(
        modes=modes, hash_sizes=sizes.tolist(), mean_hash_size=float(sizes.float().mean()),
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


@torch.no_grad()
def compare_with_bloom_network(model: nn.Sequential, x: Tensor, k: int, side: str = "low") -> dict[str, float]:
    """The trained network against the hand-built Bloom network built from its extracted hashes.

    Returns:
        ``agreement``: share of examples where the trained top-k equals the hand-built network's top-k;
        ``accuracy_trained`` / ``accuracy_bloom``: exact top-k accuracy of each (the Bloom network's top-k
        among tied members breaks ties by index); ``member_overlap``: share of the trained top-k tokens that
        the Bloom network calls members; ``logit_corr``: correlation of the two networks' logits.
    """
    x = check_input(model, x)
    hashes = extract_hashes(model, side=side)
    bloom = bloom_network(hashes)
    z_trained, z_bloom = model(x), bloom(x)
    top_trained, top_bloom = topk_set(z_trained, k), topk_set(z_bloom, k)
    members = network_membership(bloom, x)
    corr = torch.corrcoef(torch.stack([z_trained.flatten(), z_bloom.flatten()]).double())[0, 1]
    return {
        "agreement": float((top_trained == top_bloom).all(1).float().mean()),
        "accuracy_trained": exact_set_accuracy(top_trained, x),
        "accuracy_bloom": exact_set_accuracy(top_bloom, x),
        "member_overlap": float((top_trained & members).sum() / top_trained.sum()),
        "logit_corr": float(corr),
    }


@torch.no_grad()
def union_readout(model: nn.Sequential, x_fit: Tensor, x_test: Tensor, k: int, side: str = "low") -> dict[str, float]:
    """How well the network's logits are a linear read-out of the union state of its extracted hashes.

    Fits ``z ~ W [u, 1]`` by least squares on ``x_fit``, where ``u_j = [s_j > 0]`` is the union indicator of
    the extracted hashes, and measures on ``x_test``: ``r2`` (share of the logits' variance explained) and
    ``accuracy`` (exact top-k of the fitted read-out). The same with the hit counts ``s_j`` as features
    (``r2_count``, ``accuracy_count``) is the near-linear alternative.
    """
    hashes = extract_hashes(model, side=side)
    out: dict[str, float] = {}
    for name, feature in (("", lambda s: (s > 0).float()), ("_count", lambda s: s)):
        def design(x: Tensor) -> Tensor:
            f = feature(hash_hits(hashes, x))
            return torch.cat([f, torch.ones(len(f), 1)], 1).double()

        readout = torch.linalg.lstsq(design(x_fit), model(x_fit).double()).solution
        z, fitted = model(x_test).double(), design(x_test) @ readout
        out[f"r2{name}"] = float(1 - (z - fitted).pow(2).sum() / (z - z.mean(0)).pow(2).sum())
        out[f"accuracy{name}"] = exact_set_accuracy(topk_set(fitted, k), x_test)
    return out


# --------------------------------------------------------------------------------------------------
# JL-style superposition baseline and scaling fits
# --------------------------------------------------------------------------------------------------


def random_embeddings(vocab: int, width: int, seed: int = 0) -> Tensor:
    """Random dense token embeddings ``E: (m, V)`` with i.i.d. ``N(0, 1/m)`` entries (columns ~ unit norm)."""
    check_width(width)
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(width, vocab, generator=generator) / math.sqrt(width)


def superposition_scores(embeddings: Tensor, x: Tensor) -> Tensor:
    """The JL-style solution: hidden state ``E x`` (sum of the active tokens' embeddings), linear read-out
    ``E^T``: scores ``(n, V) = x E^T E``; token ``t`` scores ``<e_t, sum_{s in S} e_s>``."""
    return (x @ embeddings.T) @ embeddings


def superposition_interference(vocab: int, width: int, k: int, x: Tensor, seed: int = 0) -> float:
    """Mean squared error of the superposition scores against the indicator ``x``: the interference
    ``<e_t, sum_{s in S} e_s> - x_t``, per coordinate. With ``N(0, 1/m)`` embeddings an absent token's score has
    variance ``k/m`` and an active token's error ``(k+1)/m`` (``Var ||e_t||^2 = 2/m``), so the expectation is
    ``k (V + 1) / (V m)``: it falls as ``1/m``, polynomially."""
    return float((superposition_scores(random_embeddings(vocab, width, seed), x) - x).pow(2).mean())


def superposition_accuracy(vocab: int, width: int, k: int, x: Tensor, seed: int = 0) -> float:
    """Exact top-k accuracy of :func:`superposition_scores` with fresh random embeddings."""
    return exact_set_accuracy(topk_set(superposition_scores(random_embeddings(vocab, width, seed), x), k), x)


def scaling_errors(vocab: int, k: int, widths: Sequence[int], seeds: Sequence[int], x_test: Tensor,
                   learned_widths: Sequence[int] | None = None, **train_kwargs: Any) -> dict[str, Any]:
    """Error ``1 - exact top-k accuracy`` against width for the learned network, the JL-style superposition
    baseline and an optimal Bloom filter (random hashes of the best integer size), all on ``x_test``.

    Args:
        widths: widths of the baselines.
        learned_widths: widths at which networks are trained (default ``widths``).
        seeds: one trained network / one draw of embeddings or hashes per seed.
        train_kwargs: passed to :func:`train_task_network` (``loss``, ``optimizer``, ``epochs``, ...).

    Returns:
        ``{"learned_widths", "learned" (seeds x widths), "widths", "superposition" (seeds x widths),
        "superposition_interference" (seeds x widths, see :func:`superposition_interference`),
        "bloom" (seeds x widths)}`` as nested lists.
    """
    learned_widths = list(learned_widths or widths)
    learned = [[1 - topk_accuracy(train_task_network(vocab, m, k, seed=seed, **train_kwargs)[0], x_test, k)
                for m in learned_widths] for seed in seeds]
    superposition = [[1 - superposition_accuracy(vocab, m, k, x_test, seed=seed) for m in widths] for seed in seeds]
    interference = [[superposition_interference(vocab, m, k, x_test, seed=seed) for m in widths] for seed in seeds]
    bloom = [[1 - exact_set_accuracy(bloom_membership(random_hashes(vocab, m, min(best_integer_hashes(m, k), m), seed=seed), x_test), x_test)
              for m in widths] for seed in seeds]
    return {"learned_widths": learned_widths, "learned": learned, "widths": list(widths),
            "superposition": superposition, "superposition_interference": interference, "bloom": bloom}


def tail_fits(widths: Sequence[float], errors: Sequence[Sequence[float]], max_error: float = 0.5) -> dict[str, Any]:
    """:func:`compare_fits` on the seed-mean error, restricted to the tail ``0 < error < max_error``.

    In the tail the error of a top-k answer is close to the expected number of wrong tokens (a union
    bound), the quantity whose decay in ``m`` the two laws describe; near ``error = 1`` every curve saturates.
    """
    mean = torch.tensor(errors, dtype=torch.float64).mean(0)
    keep = (mean > 0) & (mean < max_error)
    w = torch.as_tensor(widths, dtype=torch.float64)[keep]
    return {**compare_fits(w, mean[keep]), "widths": w.tolist(), "errors": mean[keep].tolist()}


def vocabulary_sweep(vocabs: Sequence[int], width: int, k: int, seeds: Sequence[int], n_test: int = 8192,
                     **train_kwargs: Any) -> list[dict[str, Any]]:
    """Exact top-k accuracy at a fixed width for growing vocabularies: trained network, optimal Bloom filter
    (random hashes of the best integer size) and the JL superposition baseline, on the same test sets.

    Returns:
        One row per (vocab, seed): ``vocab, width, k, seed, ratio = V / m``, the three accuracies ``learned,
        bloom, superposition``, and the trained network's Bloom reading (:func:`analyze_network`):
        ``valley_ratio, r2_union, r2_count, clipping, hash_size, h_star``.
    """
    rows = []
    for vocab in vocabs:
        for seed in seeds:
            x, _ = k_of_v_task(n_test, vocab, k, seed=20_000 + seed)
            model, _ = train_task_network(vocab, width, k, seed=seed, **train_kwargs)
            hashes = random_hashes(vocab, width, min(best_integer_hashes(width, k), width), seed=seed)
            analysis = analyze_network(model, x, k, seed=seed)
            rows.append({"vocab": vocab, "width": width, "k": k, "seed": seed, "ratio": vocab / width,
                         "learned": analysis.network_accuracy,
                         "bloom": exact_set_accuracy(bloom_membership(hashes, x), x),
                         "superposition": superposition_accuracy(vocab, width, k, x, seed=seed),
                         "valley_ratio": analysis.modes.valley_ratio, "r2_union": analysis.r2_union,
                         "r2_count": analysis.r2_count, "clipping": analysis.clipping,
                         "hash_size": analysis.mean_hash_size, "h_star": analysis.h_star})
    return rows


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
        """The fitted error at ``width`` (a number or a tensor of widths)."""
        width = torch.as_tensor(width, dtype=torch.float64)
        feature = width if self.kind == "exponential" else width.log()
        return torch.exp(self.a - self.b * feature)


def fit_error_curve(width: Sequence[float], error: Sequence[float], kind: str) -> CurveFit:
    """Fit ``error(width)`` by an exponential or a power law in log space (zero errors left out).

    Raises:
        ValueError: unknown kind, fewer than 3 positive errors, or a single width.
    """
    if kind not in ("exponential", "power"):
        raise ValueError(f"unknown kind {kind!r}; use 'exponential' or 'power'.")
    w = torch.as_tensor(width, dtype=torch.float64)
    e = torch.as_tensor(error, dtype=torch.float64)
    keep = e > 0
    if int(keep.sum()) < 3:
        raise ValueError(f"need at least 3 positive errors to fit a curve, got {int(keep.sum())}; widen the range or use more test examples.")
    w, e = w[keep], e[keep]
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


def compare_fits(width: Sequence[float], error: Sequence[float]) -> dict[str, Any]:
    """Both fits and which one has the smaller log-space RMSE (``"better"``) and their RMSE ratio."""
    exponential = fit_error_curve(width, error, "exponential")
    power = fit_error_curve(width, error, "power")
    better = "exponential" if exponential.rmse_log < power.rmse_log else "power"
    return {"exponential": exponential, "power": power, "better": better,
            "rmse_ratio_power_over_exponential": power.rmse_log / max(exponential.rmse_log, 1e-12)}


# --------------------------------------------------------------------------------------------------
# The report's studies: grids over settings and seeds, summaries, claims and their verdicts
# --------------------------------------------------------------------------------------------------

GRID_KEYS = ("vocab", "width", "k", "loss", "optimizer", "bias")
"""The columns that identify one cell of the grid (a task and a training setting)."""
GRID_METRICS = ("accuracy", "mode_valley_ratio", "r2_union", "r2_count", "clipping", "mean_hash_size", "h_star")
"""The per-run numbers averaged over seeds in each grid cell."""
Claim = tuple[dict[str, Any], str]
"""A claim's evidence: the measured numbers (name -> number or :func:`summarize` dict) and the verdict."""


def grid_configs(tasks: Sequence[tuple[int, int, int]], variants: Sequence[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every task ``(V, m, k)`` crossed with every training setting (default :data:`TRAINING_VARIANTS`).

    Returns:
        ``len(tasks) * len(variants)`` dicts ``{vocab, width, k, loss, optimizer, bias}``, task-major.
    """
    variants = TRAINING_VARIANTS if variants is None else variants
    return [dict(vocab=v, width=m, k=k, **variant) for v, m, k in tasks for variant in variants]


def grid_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The grid's runs averaged over seeds: :func:`group_rows` by :data:`GRID_KEYS` over :data:`GRID_METRICS`."""
    return group_rows(rows, GRID_KEYS, GRID_METRICS)


def with_union_minus_count(groups: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of the grid cells with ``union_minus_count = r2_union - r2_count`` (> 0: union-like units)."""
    return [{**g, "union_minus_count": g["r2_union"] - g["r2_count"]} for g in groups]


def grid_shares(rows: Sequence[dict[str, Any]], solved_accuracy: float = 0.9) -> dict[str, float]:
    """Shares of all grid runs (every cell and seed) in which a property holds.

    Args:
        rows: per-run rows of :func:`run_grid`.
        solved_accuracy: a run is solved when its exact top-k accuracy exceeds this.

    Returns:
        ``bimodal`` (``W_in`` bimodal), ``union_beats_count`` (``R^2`` union ``>`` ``R^2`` count) and
        ``solved``, each in ``[0, 1]``.

    Raises:
        ValueError: no rows.
    """
    if not rows:
        raise ValueError("grid_shares needs at least one run; run_grid returned nothing.")
    n = len(rows)
    return {"bimodal": sum(r["mode_bimodal"] for r in rows) / n,
            "union_beats_count": sum(r["r2_union"] > r["r2_count"] for r in rows) / n,
            "solved": sum(r["accuracy"] > solved_accuracy for r in rows) / n}


SHORT_NAMES = {"cross_entropy": "CE", "softmax_mse": "sMSE", "adam": "Adam", "sgd": "SGD+m"}
"""Short labels of the losses and optimisers in tables and figures."""


def variant_label(loss: str, optimizer: str, bias: bool, sep: str = " ") -> str:
    """A training setting as a short label, e.g. ``"CE Adam bias"`` (``sep`` between the three parts)."""
    return sep.join([SHORT_NAMES.get(loss, loss), SHORT_NAMES.get(optimizer, optimizer), "bias" if bias else "no bias"])


def grid_where(groups: Sequence[dict[str, Any]], holds: Any) -> dict[tuple[int, int, int], list[str]]:
    """The grid cells where a property holds, by task.

    Args:
        groups: seed-averaged cells of :func:`grid_table`.
        holds: ``holds(cell) -> bool``, e.g. ``lambda g: g["accuracy"] > 0.9``.

    Returns:
        ``{(V, m, k): [variant labels where it holds]}`` for every task of the grid (empty lists included),
        in first-seen order.
    """
    out: dict[tuple[int, int, int], list[str]] = {}
    for g in groups:
        labels = out.setdefault((g["vocab"], g["width"], g["k"]), [])
        if holds(g):
            labels.append(variant_label(g["loss"], g["optimizer"], g["bias"]))
    return out


def describe_grid_where(groups: Sequence[dict[str, Any]], solved_accuracy: float = 0.9, bimodal_valley: float = 0.5) -> str:
    """Where in the grid (seed means) the task is solved, ``W_in`` is bimodal, and the union beats the count.

    One block per property: the number of cells where it holds, then one line per task listing its settings.
    """
    properties = [(f"solved (accuracy > {solved_accuracy})", lambda g: g["accuracy"] > solved_accuracy),
                  (f"bimodal W_in (valley ratio < {bimodal_valley})", lambda g: g["mode_valley_ratio"] < bimodal_valley),
                  ("bimodal AND solved", lambda g: g["mode_valley_ratio"] < bimodal_valley and g["accuracy"] > solved_accuracy),
                  ("union explains hidden units better than the count", lambda g: g["r2_union"] > g["r2_count"])]
    lines = []
    for name, holds in properties:
        where = grid_where(groups, holds)
        lines.append(f"{name}: {sum(map(len, where.values()))} of {len(groups)} cells")
        lines += [f"   V={v}, m={m}, k={k}: {', '.join(labels) or '-'}" for (v, m, k), labels in where.items()]
    return "\n".join(lines)


def describe_optimal_bloom(tasks: Sequence[tuple[int, int, int]]) -> str:
    """One line per task ``(V, m, k)``: the optimal Bloom filter's exact-set accuracy (:func:`optimal_bloom_accuracy`)."""
    return "\n".join(f"V={v}, m={m}, k={k}: optimal Bloom filter accuracy ~ {optimal_bloom_accuracy(v, m, k):.2g}"
                     for v, m, k in tasks)


def train_networks(vocab: int, width: int, k: int, seeds: Sequence[int], **train_kwargs: Any) -> list[nn.Sequential]:
    """One :func:`train_task_network` per seed (same task and training setting), in seed order."""
    return [train_task_network(vocab, width, k, seed=seed, **train_kwargs)[0] for seed in seeds]


@dataclass
class ReadoutStudy:
    """A linear read-out trained by MSE on the logits against the subspace bound (:func:`linear_readout_study`).

    Attributes:
        bound: :func:`subspace_mse_bound` ``(V-m-1)/(V-1)`` times the constant predictor's MSE.
        constant: :func:`constant_predictor_mse` ``(1 - k/V) / (k V)``.
        mse_linear: per seed, MSE of the raw logits of the network trained by MSE.
        accuracy_linear: per seed, its exact top-k accuracy.
        mse_softmax: per seed, MSE of the softmax output of the reference networks.
    """

    bound: float
    constant: float
    mse_linear: list[float]
    accuracy_linear: list[float]
    mse_softmax: list[float]

    def describe(self) -> str:
        """Three lines: the bound, the MSE read-out and the softmax networks, relative to the constant predictor."""
        linear = torch.tensor(self.mse_linear).mean()
        softmax = torch.tensor(self.mse_softmax).mean()
        return (f"constant predictor {self.constant:.3e}; subspace bound {self.bound:.3e} ({self.bound / self.constant:.3f} x constant)\n"
                f"linear read-out by MSE: {linear:.3e} ({linear / self.constant:.3f} x constant), "
                f"top-k accuracy {torch.tensor(self.accuracy_linear).mean():.3f}\n"
                f"softmax output trained by CE: MSE of the distribution {softmax:.2e} ({softmax / self.constant:.4f} x constant)")


def linear_readout_study(vocab: int, width: int, k: int, seeds: Sequence[int], x_test: Tensor,
                         softmax_models: Sequence[nn.Sequential]) -> ReadoutStudy:
    """Train one network per seed with the plain MSE on its logits (Adam) and measure it against the bound.

    Args:
        vocab: ``V``.
        width: ``m``.
        k: active tokens per input.
        seeds: one MSE-trained network per seed.
        x_test: ``(n, V)`` test inputs.
        softmax_models: the reference networks (softmax output), one per seed, whose distribution MSE is shown
            beside it.

    Returns:
        A :class:`ReadoutStudy`.
    """
    mse_linear, accuracy_linear = [], []
    for model in train_networks(vocab, width, k, seeds, loss="mse", optimizer="adam"):
        mse_linear.append(output_mse(model, x_test, k, softmax=False))
        accuracy_linear.append(topk_accuracy(model, x_test, k))
    return ReadoutStudy(bound=subspace_mse_bound(vocab, width, k), constant=constant_predictor_mse(vocab, k),
                        mse_linear=mse_linear, accuracy_linear=accuracy_linear,
                        mse_softmax=[output_mse(model, x_test, k, softmax=True) for model in softmax_models])


def linear_readout_verdict(mse_over_bound: Sequence[float], softmax_over_bound: Sequence[float]) -> str:
    """``"reproduced"`` if every seed's MSE read-out is at or above the bound (1% numerical slack:
    ``mse / bound >= 0.99``) and every softmax network is far below it (``mse / bound < 0.5``), else
    ``"not reproduced"``."""
    ok = min(mse_over_bound) >= 0.99 and max(softmax_over_bound) < 0.5
    return "reproduced" if ok else "not reproduced"


def linear_readout_claim(study: ReadoutStudy) -> Claim:
    """Evidence and verdict (:func:`linear_readout_verdict`) of the claim that an MSE read-out cannot learn the task."""
    mse_ratio = torch.tensor(study.mse_linear) / study.bound
    softmax_ratio = torch.tensor(study.mse_softmax) / study.bound
    measured = {"mse_over_bound": summarize(mse_ratio.tolist()), "bound_over_constant": study.bound / study.constant,
                "topk_accuracy_linear": summarize(study.accuracy_linear),
                "softmax_mse_over_bound": summarize(softmax_ratio.tolist())}
    verdict = linear_readout_verdict(mse_ratio.tolist(), [m / study.bound for m in study.mse_softmax])
    return measured, verdict


def describe_modes(seeds: Sequence[int], modes: Sequence[WeightModes]) -> str:
    """One line per seed: the two modes of ``W_in``, the share of the high one and the bimodality measures."""
    return "\n".join(f"seed {seed}: modes {m.low:+.2f} / {m.high:+.2f}, share high {m.fraction_high:.2f}, "
                     f"valley ratio {m.valley_ratio:.2f}, Ashman D {m.ashman_d:.1f}, bimodal {m.bimodal}"
                     for seed, m in zip(seeds, modes))


def describe_hidden_biases(models: Sequence[nn.Sequential]) -> str:
    """Mean and std of the first hidden layer's biases ``b_in`` over all units of all ``models``."""
    biases = torch.stack([hidden_layers(model)[0][0].bias.detach() for model in models])
    return f"hidden biases: mean {biases.mean():.2f}, std {biases.std():.2f}"


def mode_offset(modes: WeightModes) -> float:
    """How far the nearer mode is from 0, in units of the gap: ``min(|low|, |high|) / (high - low)``.

    0 when one mode is exactly 0 (the "0 or 1" reading); 0.5 for symmetric modes ``+-a``.
    """
    return min(abs(modes.low), abs(modes.high)) / (modes.high - modes.low)


def bimodal_verdict(modes: Sequence[WeightModes], max_offset: float = 0.15) -> str:
    """``"not reproduced"`` unless ``W_in`` is bimodal in every seed; then ``"reproduced"`` if one mode is
    near 0 in every seed (:func:`mode_offset` ``< max_offset``), else ``"partly reproduced"``."""
    if not all(m.bimodal for m in modes):
        return "not reproduced"
    return "reproduced" if max(mode_offset(m) for m in modes) < max_offset else "partly reproduced"


def bimodal_claim(modes: Sequence[WeightModes], grid_share_bimodal: float) -> Claim:
    """Evidence and verdict (:func:`bimodal_verdict`) of the claim that ``W_in`` snaps to two values, 0 and 1."""
    measured = {"valley_ratio": summarize([m.valley_ratio for m in modes]), "mode_low": summarize([m.low for m in modes]),
                "mode_high": summarize([m.high for m in modes]),
                "nearest_mode_to_zero_over_gap": summarize([mode_offset(m) for m in modes]),
                "grid_share_bimodal": grid_share_bimodal}
    return measured, bimodal_verdict(modes)


@dataclass
class MechanismStudy:
    """The Bloom reading of the representative networks, one entry per seed (:func:`mechanism_study`).

    Attributes:
        seeds: the networks' seeds.
        analyses: :func:`analyze_network` of each network.
        readouts: :func:`union_readout` of each network.
        versus: :func:`compare_with_bloom_network` of each network.
    """

    seeds: list[int]
    analyses: list[BloomAnalysis]
    readouts: list[dict[str, float]]
    versus: list[dict[str, float]]

    def describe(self) -> str:
        """Five lines per seed: hashes and units, accuracies, false-positive rates, read-outs, hand-built net."""
        lines = []
        for seed, a, r, v in zip(self.seeds, self.analyses, self.readouts, self.versus):
            lines += [f"seed {seed}: hash size {a.mean_hash_size:.1f} (h* = {a.h_star:.1f}); R2 union {a.r2_union:.2f} vs count "
                      f"{a.r2_count:.2f}; clipping {a.clipping:.2f}",
                      f"   top-k accuracy: network {a.network_accuracy:.3f}, Bloom with its hashes {a.extracted_bloom_accuracy:.3f}, "
                      f"optimal Bloom (h={a.optimal_bloom_h}) {a.optimal_bloom_accuracy:.3f}",
                      f"   false-positive rate per absent token: network {a.network_fpr:.1e}, Bloom with its hashes "
                      f"{a.extracted_bloom_fpr:.1e}, optimal Bloom {a.optimal_bloom_fpr:.1e} (formula {a.optimal_bloom_fpr_formula:.1e})",
                      f"   logits as a linear read-out of the union: R2 {r['r2']:.2f}, accuracy {r['accuracy']:.3f}; of the "
                      f"counts: R2 {r['r2_count']:.2f}, accuracy {r['accuracy_count']:.3f}",
                      f"   vs the hand-built Bloom network on its hashes: same top-k {v['agreement']:.3f}, network's top-k "
                      f"tokens that are Bloom members {v['member_overlap']:.4f}, logit correlation {v['logit_corr']:.2f}"]
        return "\n".join(lines)


def mechanism_study(models: Sequence[nn.Sequential], seeds: Sequence[int], x_test: Tensor, x_fit: Tensor,
                    k: int) -> MechanismStudy:
    """Analyse each trained network as a Bloom filter with its low-side hashes.

    Args:
        models: trained ``V -> m -> V`` networks.
        seeds: their seeds (also the seeds of the optimal Bloom filter's random hashes).
        x_test: ``(n, V)`` inputs on which everything is measured.
        x_fit: ``(n', V)`` inputs on which the union read-out is fitted.
        k: active tokens per input.

    Returns:
        A :class:`MechanismStudy`.
    """
    return MechanismStudy(seeds=list(seeds),
                          analyses=[analyze_network(model, x_test, k, seed=seed) for model, seed in zip(models, seeds)],
                          readouts=[union_readout(model, x_fit, x_test, k) for model in models],
                          versus=[compare_with_bloom_network(model, x_test, k) for model in models])


def describe_hash_side(models: Sequence[nn.Sequential], seeds: Sequence[int], x: Tensor, k: int, side: str) -> str:
    """Mean ``R^2`` of union vs count over the networks when the hash bits are read from ``side`` of ``W_in``."""
    analyses = [analyze_network(model, x, k, side=side, seed=seed) for model, seed in zip(models, seeds)]
    union = sum(a.r2_union for a in analyses) / len(analyses)
    count = sum(a.r2_count for a in analyses) / len(analyses)
    return f"hash bits = the {side} mode: R2 union {union:.2f} vs count {count:.2f}"


def sparse_hashes_verdict(hash_sizes: Sequence[float], h_star: float, width: int, all_bimodal: bool) -> str:
    """``"not reproduced"`` unless ``W_in`` is bimodal in every seed (binary hashes); then ``"reproduced"``
    if the hashes are also sparse: every mean hash size within 30% of ``h*`` and below ``m / 2``; else
    ``"partly reproduced"``."""
    if not all_bimodal:
        return "not reproduced"
    ratios = [size / h_star for size in hash_sizes]
    sparse = all(abs(r - 1) < 0.3 for r in ratios) and max(ratios) * h_star < width / 2
    return "reproduced" if sparse else "partly reproduced"


def sparse_hashes_claim(study: MechanismStudy, width: int) -> Claim:
    """Evidence and verdict (:func:`sparse_hashes_verdict`) of the claim that tokens get sparse binary hashes."""
    analyses = study.analyses
    sizes = [a.mean_hash_size for a in analyses]
    measured = {"hash_size": summarize(sizes), "h_star": analyses[0].h_star,
                "hash_size_over_h_star": summarize([a.mean_hash_size / a.h_star for a in analyses]),
                "hash_density": summarize([size / width for size in sizes])}
    return measured, sparse_hashes_verdict(sizes, analyses[0].h_star, width, all(a.modes.bimodal for a in analyses))


def union_indicator_verdict(r2_union: Sequence[float], r2_count: Sequence[float]) -> str:
    """``"reproduced"`` if the union explains ``>= 0.9`` of every network's units (mean ``R^2``) and beats the
    count in each; ``"partly reproduced"`` if it beats the count in each; ``"not reproduced"`` otherwise."""
    beats = all(u > c for u, c in zip(r2_union, r2_count))
    if beats and min(r2_union) >= 0.9:
        return "reproduced"
    return "partly reproduced" if beats else "not reproduced"


def union_indicator_claim(study: MechanismStudy, grid_share_union_beats_count: float) -> Claim:
    """Evidence and verdict (:func:`union_indicator_verdict`) of the claim that hidden units are a union indicator."""
    r2_union = [a.r2_union for a in study.analyses]
    r2_count = [a.r2_count for a in study.analyses]
    measured = {"r2_union": summarize(r2_union), "r2_count": summarize(r2_count),
                "clipping": summarize([a.clipping for a in study.analyses]),
                "grid_share_union_beats_count": grid_share_union_beats_count}
    return measured, union_indicator_verdict(r2_union, r2_count)


def union_readout_verdict(readouts: Sequence[dict[str, float]], network_accuracy: Sequence[float]) -> str:
    """``"reproduced"`` if the union read-out explains ``>= 0.9`` of the logits' variance and keeps ``>= 90%``
    of the network's accuracy in every seed; ``"partly reproduced"`` if it explains ``>= 0.5`` and at least as
    much as a read-out of the hit counts in every seed; ``"not reproduced"`` otherwise.

    Args:
        readouts: :func:`union_readout` results (``r2``, ``accuracy``, ``r2_count``), one per seed.
        network_accuracy: the networks' own exact top-k accuracies, same order.
    """
    r2 = [r["r2"] for r in readouts]
    if min(r2) >= 0.9 and min(r["accuracy"] / n for r, n in zip(readouts, network_accuracy)) >= 0.9:
        return "reproduced"
    if min(r2) >= 0.5 and all(r["r2"] >= r["r2_count"] for r in readouts):
        return "partly reproduced"
    return "not reproduced"


def union_readout_claim(study: MechanismStudy) -> Claim:
    """Evidence and verdict (:func:`union_readout_verdict`) of the claim that logits read the union linearly."""
    network_accuracy = [a.network_accuracy for a in study.analyses]
    measured = {"r2_logits_from_union": summarize([r["r2"] for r in study.readouts]),
                "accuracy_union_readout": summarize([r["accuracy"] for r in study.readouts]),
                "accuracy_network": summarize(network_accuracy),
                "r2_logits_from_counts": summarize([r["r2_count"] for r in study.readouts])}
    return measured, union_readout_verdict(study.readouts, network_accuracy)


def bloom_agreement_verdict(agreement: Sequence[float], member_overlap: Sequence[float]) -> str:
    """``"reproduced"`` if the trained top-k equals the hand-built Bloom network's on ``>= 90%`` of inputs in
    every seed; ``"partly reproduced"`` if at least ``95%`` of the trained top-k tokens are Bloom members in
    every seed; ``"not reproduced"`` otherwise."""
    if min(agreement) >= 0.9:
        return "reproduced"
    return "partly reproduced" if min(member_overlap) >= 0.95 else "not reproduced"


def bloom_agreement_claim(study: MechanismStudy) -> Claim:
    """Evidence and verdict (:func:`bloom_agreement_verdict`) of the claim that the network converges to a Bloom filter."""
    agreement = [v["agreement"] for v in study.versus]
    overlap = [v["member_overlap"] for v in study.versus]
    measured = {"same_topk_as_hand_built": summarize(agreement), "topk_tokens_that_are_members": summarize(overlap),
                "accuracy_network": summarize([a.network_accuracy for a in study.analyses]),
                "accuracy_bloom_with_extracted_hashes": summarize([a.extracted_bloom_accuracy for a in study.analyses]),
                "accuracy_optimal_bloom": summarize([a.optimal_bloom_accuracy for a in study.analyses])}
    return measured, bloom_agreement_verdict(agreement, overlap)


SCALING_CURVES = ("learned", "superposition", "bloom")
"""The three error curves of :func:`scaling_errors`."""


def curve_widths(curves: dict[str, Any], name: str) -> list[int]:
    """The widths of curve ``name``: ``learned_widths`` for the trained networks, ``widths`` for the baselines."""
    return curves["learned_widths"] if name == "learned" else curves["widths"]


def scaling_fits(curves: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """:func:`tail_fits` of each of the :data:`SCALING_CURVES` of :func:`scaling_errors`."""
    return {name: tail_fits(curve_widths(curves, name), curves[name]) for name in SCALING_CURVES}


def fit_summary(fits: dict[str, Any]) -> dict[str, Any]:
    """The numbers of one :func:`tail_fits` result for the metrics: better law, rates, exponents, log-RMSEs, widths."""
    return {"better": fits["better"], "exp_rate": fits["exponential"].b, "exp_rmse_log": fits["exponential"].rmse_log,
            "power_exponent": fits["power"].b, "power_rmse_log": fits["power"].rmse_log, "widths": fits["widths"]}


def describe_fits(fits: dict[str, dict[str, Any]]) -> str:
    """One line per curve: the better law, the exponential rate and the power exponent with their log-RMSEs."""
    return "\n".join(f"{name}: better fit {f['better']}; exponential rate b = {f['exponential'].b:.3f}/unit (log-RMSE "
                     f"{f['exponential'].rmse_log:.2f}), power exponent b = {f['power'].b:.2f} (log-RMSE "
                     f"{f['power'].rmse_log:.2f}); tail widths {f['widths']}" for name, f in fits.items())


def interference_fits(curves: dict[str, Any]) -> dict[str, Any]:
    """:func:`compare_fits` of the seed-mean JL interference (:func:`superposition_interference`) against width."""
    return compare_fits(curves["widths"], torch.tensor(curves["superposition_interference"]).mean(0))


def interference_summary(fits: dict[str, Any]) -> dict[str, Any]:
    """The numbers of :func:`interference_fits` for the metrics."""
    return {"better": fits["better"], "power_exponent": fits["power"].b, "power_rmse_log": fits["power"].rmse_log,
            "exp_rmse_log": fits["exponential"].rmse_log}


def errors_at(curves: dict[str, Any], name: str, width: int) -> list[float]:
    """Per-seed error of curve ``name`` at ``width`` (which must be one of the curve's widths)."""
    widths = curve_widths(curves, name)
    if width not in widths:
        raise ValueError(f"width {width} is not on the {name} curve (widths {widths}); pick one of them.")
    return [row[widths.index(width)] for row in curves[name]]


def width_reaching(fit: CurveFit, error: float) -> float:
    """The width at which an exponential fit ``e^(a - b m)`` reaches ``error``: ``m = (a - ln error) / b``."""
    if fit.kind != "exponential":
        raise ValueError(f"width_reaching needs an exponential fit, got {fit.kind!r}.")
    if not error > 0:
        raise ValueError(f"error must be > 0 to take its logarithm, got {error}.")
    return (fit.a - math.log(error)) / fit.b


def bloom_decay_rate(k: int) -> float:
    """Decay rate per unit of an optimal Bloom filter's error: ``p* = 2^(-h*) = exp(-(ln 2)^2 m / k)``, rate ``(ln 2)^2 / k``."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}.")
    return math.log(2) ** 2 / k


def describe_scaling(curves: dict[str, Any], fits: dict[str, dict[str, Any]], interference: dict[str, Any],
                     k: int, width: int = 32) -> str:
    """Where each baseline's exponential fit reaches the trained network's error at ``width``; the Bloom
    filter's theoretical rate; the law of the JL interference."""
    errors = errors_at(curves, "learned", width)
    target = sum(errors) / len(errors)
    lines = [f"{name} reaches the trained network's error at m={width} ({target:.1e}) at m ~ "
             f"{width_reaching(fits[name]['exponential'], target):.0f}" for name in ("bloom", "superposition")]
    lines.append(f"theoretical decay rate of an optimal Bloom filter's error: (ln 2)^2 / k = {bloom_decay_rate(k):.3f}/unit")
    lines.append(f"JL interference (MSE of the scores): better fit {interference['better']}, power exponent "
                 f"{interference['power'].b:.2f} (expected 1: k(V+1)/(V m))")
    return "\n".join(lines)


def scaling_verdict(learned_better: str, jl_better: str) -> str:
    """``"reproduced"`` if the learned curve fits an exponential better AND the JL curve a power law better;
    ``"partly reproduced"`` if one of the two holds; ``"not reproduced"`` if neither (a count, thresholds 2, 1)."""
    return threshold_verdict(int(learned_better == "exponential") + int(jl_better == "power"), 2, 1)


def scaling_claim(curves: dict[str, Any], fits: dict[str, dict[str, Any]], interference: dict[str, Any],
                  k: int, width: int = 32) -> Claim:
    """Evidence and verdict (:func:`scaling_verdict`) of the claim: exponential (learned) vs polynomial (JL) error."""
    learned, jl = fits["learned"], fits["superposition"]
    measured = {"learned_better_fit_is_exponential": learned["better"] == "exponential",
                "learned_exp_rmse_log": learned["exponential"].rmse_log, "learned_power_rmse_log": learned["power"].rmse_log,
                "learned_power_exponent": learned["power"].b,
                "jl_better_fit_is_power": jl["better"] == "power",
                "jl_exp_rmse_log": jl["exponential"].rmse_log, "jl_power_rmse_log": jl["power"].rmse_log,
                "jl_interference_power_exponent": interference["power"].b,
                "learned_exp_rate": learned["exponential"].b, "bloom_theory_rate": bloom_decay_rate(k),
                "jl_exp_rate": jl["exponential"].b,
                f"learned_error_at_{width}": summarize(errors_at(curves, "learned", width)),
                f"jl_error_at_{width}": summarize(errors_at(curves, "superposition", width))}
    return measured, scaling_verdict(learned["better"], jl["better"])


def describe_sweep(sweep: Sequence[dict[str, Any]]) -> str:
    """Two lines per vocabulary of :func:`vocabulary_sweep`: seed-mean accuracies, then the Bloom reading."""
    lines = []
    for vocab in sorted({r["vocab"] for r in sweep}):
        rows = [r for r in sweep if r["vocab"] == vocab]

        def mean(key: str) -> float:
            return sum(r[key] for r in rows) / len(rows)

        lines += [f"V = {vocab} (V/m = {rows[0]['ratio']:.0f}): trained {mean('learned'):.3f}, optimal Bloom "
                  f"{mean('bloom'):.3f}, JL superposition {mean('superposition'):.3f}",
                  f"   its W_in valley ratio {mean('valley_ratio'):.2f}, hash size {mean('hash_size'):.1f} "
                  f"(h* = {rows[0]['h_star']:.1f}), R2 union {mean('r2_union'):.2f} vs count {mean('r2_count'):.2f}, "
                  f"clipping {mean('clipping'):.2f}"]
    return "\n".join(lines)


def vocabulary_claim(sweep: Sequence[dict[str, Any]]) -> Claim:
    """Evidence and verdict of the claim that vocabularies far above the width are handled: at the largest
    ``V`` of the sweep, ``threshold_verdict(min accuracy over seeds, 0.9, 0.5)``."""
    largest = max(r["vocab"] for r in sweep)
    rows = [r for r in sweep if r["vocab"] == largest]
    accuracy = [r["learned"] for r in rows]
    measured = {"ratio_V_over_m": rows[0]["ratio"], "accuracy_trained": summarize(accuracy),
                "accuracy_optimal_bloom": summarize([r["bloom"] for r in rows]),
                "accuracy_jl": summarize([r["superposition"] for r in rows])}
    return measured, threshold_verdict(min(accuracy), 0.9, 0.5)


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


def plot_weight_image(model: nn.Sequential, tokens: int = 64, ax: Any = None) -> Any:
    """``W_in`` of the first ``tokens`` tokens as an image (hidden units x tokens), diverging colours."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    weight = hidden_layers(model)[0][0].weight.detach()[:, :tokens]
    bound = float(weight.abs().max())
    image = ax.imshow(weight, cmap="RdBu_r", vmin=-bound, vmax=bound, aspect="auto", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="weight")
    ax.set(xlabel="token", ylabel="hidden unit", title=f"$W_{{in}}$, first {tokens} tokens")
    ax.grid(False)
    return ax


def plot_weight_histogram(model: nn.Sequential, ax: Any = None, bins: int = 60) -> Any:
    """Histogram of the ``W_in`` entries with the two fitted modes and the threshold."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    weight = hidden_layers(model)[0][0].weight.detach().flatten()
    modes = weight_modes(weight)
    ax.hist(weight.numpy(), bins=bins, color="#0072B2", alpha=0.8)
    for value, label in ((modes.low, "2-means centres"), (modes.high, None)):
        ax.axvline(value, color="#D55E00", ls="--", lw=1, label=label)
    ax.axvline(modes.threshold, color="#000000", ls=":", lw=1, label="threshold")
    ax.set(xlabel="$W_{in}$ entry", ylabel="count",
           title=f"modes {modes.low:.2f} / {modes.high:.2f}, valley ratio {modes.valley_ratio:.2f}")
    ax.legend()
    return ax


def plot_grid(groups: Sequence[dict[str, Any]], metric: str, ax: Any = None, fmt: str = "{:.2f}",
              vmin: float | None = None, vmax: float | None = None, cmap: str = "viridis", title: str | None = None,
              label: str | None = None) -> Any:
    """Heat table of a grid metric: rows = task ``(V, m, k)``, columns = training variant (loss, optimiser, bias).

    Args:
        groups: output of :func:`group_rows` keyed by ``vocab, width, k, loss, optimizer, bias``.
        metric: the column to show (cells annotated with its mean over seeds).
        ax: the axes to draw on (default: the current axes).
        fmt: format of the cell annotations.
        vmin: lower end of the colour scale (default: the smallest value).
        vmax: upper end of the colour scale (default: the largest value).
        cmap: matplotlib colour map.
        title: the panel's title (default: none).
        label: the colour bar's label (default: ``metric``).
    """
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    tasks = list(dict.fromkeys((g["vocab"], g["width"], g["k"]) for g in groups))
    variants = list(dict.fromkeys((g["loss"], g["optimizer"], g["bias"]) for g in groups))
    table = torch.full((len(tasks), len(variants)), math.nan)
    for g in groups:
        table[tasks.index((g["vocab"], g["width"], g["k"])), variants.index((g["loss"], g["optimizer"], g["bias"]))] = g[metric]
    image = ax.imshow(table, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(variants)), [variant_label(l, o, b, sep="\n") for l, o, b in variants], fontsize=8)
    ax.set_yticks(range(len(tasks)), [f"V={v}, m={m}, k={k}" for v, m, k in tasks])
    for i in range(len(tasks)):
        for j in range(len(variants)):
            value = float(table[i, j])
            if not math.isnan(value):
                red, green, blue, _ = image.cmap(image.norm(value))  # text colour from the cell's luminance
                ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=8,
                        color="white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else "black")
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label=label or metric)
    if title:
        ax.set_title(title)
    return ax


def plot_scaling(curves: dict[str, Any], fits: dict[str, dict[str, Any]], ax: Any = None) -> Any:
    """Error against width (log scale): learned network, JL superposition baseline, optimal Bloom filter,
    with the exponential (solid) and power-law (dotted) tail fits of each curve in ``fits``."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    colours = {"learned": "#0072B2", "superposition": "#E69F00", "bloom": "#009E73"}
    labels = {"learned": "trained ReLU net", "superposition": "JL superposition (random E, read-out $E^T$)",
              "bloom": "optimal Bloom filter (random hashes)"}
    for name in ("learned", "superposition", "bloom"):
        widths = curves["learned_widths"] if name == "learned" else curves["widths"]
        errors = torch.tensor(curves[name], dtype=torch.float64)
        mean, std = errors.mean(0), errors.std(0) if len(errors) > 1 else torch.zeros(errors.shape[1])
        shown = mean > 0
        ax.errorbar(torch.tensor(widths)[shown], mean[shown], yerr=std[shown], fmt="o", ms=4, capsize=2,
                    color=colours[name], label=labels[name])
        if name in fits:
            grid = torch.linspace(min(fits[name]["widths"]), max(fits[name]["widths"]), 50)
            for kind, style in (("exponential", "-"), ("power", ":")):
                fit = fits[name][kind]
                ax.plot(grid, fit.predict(grid), style, color=colours[name], lw=1.2,
                        label=f"{name}: {kind} fit (log-RMSE {fit.rmse_log:.2f})")
    ax.set(yscale="log", xlabel="hidden width m (units / bits)", ylabel="error = 1 - exact top-k accuracy")
    ax.legend(fontsize=7)
    return ax


def plot_hash_sizes(analyses: Sequence[BloomAnalysis], width: int, ax: Any = None) -> Any:
    """Histogram of the extracted hash sizes ``|H(t)|`` (every token of every network in ``analyses``), with the
    Bloom optimum ``h* = (m/k) ln 2`` and half the width ``m/2`` (the size of a hash with no sparsity) marked.

    Args:
        analyses: :func:`analyze_network` results of networks of the same width ``m`` and ``k``.
        width: the hidden width ``m``.
        ax: the axes to draw on (default: the current axes).
    """
    import matplotlib.pyplot as plt

    from mlpgeo.plotting import color

    ax = ax or plt.gca()
    sizes = [size for analysis in analyses for size in analysis.hash_sizes]
    ax.hist(sizes, bins=torch.arange(-0.5, width + 1.5).tolist(), color=color(0), alpha=0.8,
            label=f"extracted hashes ({len(analyses)} networks)")
    ax.axvline(analyses[0].h_star, color=color(3), ls="--", lw=1.2, label=f"Bloom optimum $h^*$ = {analyses[0].h_star:.1f}")
    ax.axvline(width / 2, color="#000000", ls=":", lw=1.2, label=f"$m/2$ = {width / 2:g}")
    ax.set(xlabel="hash size $|H(t)|$ (units per token)", ylabel="tokens", title="hash sizes against $h^*$",
           xlim=(-0.5, width + 0.5))
    ax.legend(fontsize=8)
    return ax


def plot_hidden_vs_hits(model: nn.Sequential, x: Tensor, units: Sequence[int] = (0, 1, 2, 3), side: str = "low",
                        ax: Any = None) -> Any:
    """Hidden activation of a few units against the number ``s_j`` of active tokens hitting the unit's hash
    (box plots per ``s_j``): an empty-bucket unit is high at ``s_j = 0`` and 0 for every ``s_j >= 1``;
    a count code falls linearly with ``s_j``."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    hashes = extract_hashes(model, side=side)
    with torch.no_grad():
        hidden = torch.relu(model[0](x))
    hits = hash_hits(hashes, x)
    width = 0.8 / len(units)
    for i, unit in enumerate(units):
        levels = sorted(set(hits[:, unit].long().tolist()))
        data = [hidden[hits[:, unit] == s, unit].numpy() for s in levels]
        positions = [s + (i - (len(units) - 1) / 2) * width for s in levels]
        box = ax.boxplot(data, positions=positions, widths=width * 0.9, patch_artist=True, showfliers=False,
                         manage_ticks=False)
        for patch in box["boxes"]:
            patch.set_facecolor(["#0072B2", "#E69F00", "#009E73", "#CC79A7"][i % 4])
        ax.plot([], [], "s", color=["#0072B2", "#E69F00", "#009E73", "#CC79A7"][i % 4], label=f"unit {unit}")
    ax.set_xticks(sorted(set(hits[:, list(units)].long().flatten().tolist())))
    ax.set(xlabel="$s_j$ = active tokens whose hash contains unit j", ylabel="hidden activation $h_j$",
           title="hidden units against hash hits")
    ax.legend(fontsize=8)
    return ax


@torch.no_grad()
def plot_logits_vs_bloom(model: nn.Sequential, x: Tensor, side: str = "low", ax: Any = None) -> Any:
    """Scatter of the trained network's logits against the hand-built Bloom network's on the extracted hashes.

    Each point is one (input, token) pair of ``x: (n, V)``; active tokens and absent tokens are coloured apart.
    The hand-built logit is ``-`` the number of empty bits in the token's hash (:func:`bloom_network`).

    Args:
        model: a trained ``V -> m -> V`` network.
        x: ``(n, V)`` inputs (a few hundred rows keep the figure light).
        side: which mode of ``W_in`` holds the hash bits (:func:`extract_hashes`).
        ax: the axes to draw on (default: the current axes).
    """
    import matplotlib.pyplot as plt

    from mlpgeo.plotting import color

    ax = ax or plt.gca()
    x = check_input(model, x)
    z_trained = model(x)
    z_bloom = bloom_network(extract_hashes(model, side=side))(x)
    member = x > 0
    ax.scatter(z_bloom[~member], z_trained[~member], s=3, alpha=0.3, color=color(0), label="absent tokens")
    ax.scatter(z_bloom[member], z_trained[member], s=6, color=color(3), label="active tokens")
    ax.set(xlabel="hand-built Bloom network logit ($-$ empty bits of the token's hash)",
           ylabel="trained network logit", title="logits: trained vs hand-built on the extracted hashes")
    ax.legend()
    return ax
