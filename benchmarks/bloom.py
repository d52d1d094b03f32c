"""Benchmarks of the Bloom report, each against a baseline measured in the same run.

1. Vectorised Bloom-filter membership for a batch of k-sets against a per-item Python Bloom filter. For every
   input row (a set S of k active tokens) both answer, for all V tokens, "is t a member of the Bloom filter
   holding S?". mlpgeo.bloom.bloom_membership does it for the whole batch with two matrix products; the baseline
   builds one Python bit array per row and tests the tokens one by one. Results must be equal.
2. Batched training (issue 13, item 2): the networks of one job of the report's search (one task, optimiser and
   learning rate: every initial scale and seed) trained as one stack by mlpgeo.batched.train_stacked, against
   the same networks trained one by one by mlpgeo.models.train. Constant learning rate (the one-by-one trainer
   has no schedule), so the two must give the same networks (to float32 rounding).

Run: ``python benchmarks/bloom.py`` (one torch thread, as every job of the report).
"""

from __future__ import annotations

import time

import torch

from mlpgeo import batched, bloom
from mlpgeo.models import mlp, seeded, train


def python_membership(hash_lists: list[list[int]], width: int, sets: list[list[int]], vocab: int) -> list[list[bool]]:
    """Per-row, per-token pure-Python Bloom filters: the baseline."""
    answers = []
    for tokens in sets:
        bits = [False] * width
        for token in tokens:
            for bit in hash_lists[token]:
                bits[bit] = True
        answers.append([all(bits[bit] for bit in hash_lists[t]) for t in range(vocab)])
    return answers


def batched_training(vocab: int = 128, width: int = 16, k: int = 2, steps: int = 256, n_train: int = 8192,
                     batch_size: int = 128) -> float:
    """Stacked vs one-by-one training of one search job's networks (5 initial scales x 3 seeds); the speedup."""
    seeds, scales = [0, 1, 2], [0.1, 0.3, 1.0, 3.0, 10.0]
    samples = [bloom.k_of_v_task(n_train, vocab, k, generator=seeded(10_000 + s)) for s in seeds]
    x, y = torch.stack([a for a, _ in samples]), torch.stack([b for _, b in samples])
    settings = [batched.NetworkSetting(seed=s, sample=j, optimizer="sgd", lr=0.5, init_scale=scale)
                for scale in scales for j, s in enumerate(seeds)]
    epochs = steps // (n_train // batch_size)

    start = time.perf_counter()
    alone = []
    for setting in settings:
        model = mlp([vocab, width, vocab], generator=seeded(setting.seed))
        with torch.no_grad():
            model[0].weight.mul_(setting.init_scale)
        train(model, x[setting.sample], y[setting.sample], loss="cross_entropy", optimizer="sgd", lr=setting.lr,
              epochs=epochs, batch_size=batch_size, momentum=setting.momentum, generator=seeded(setting.seed),
              progress=False, device="cpu")
        alone.append(model)
    slow = time.perf_counter() - start

    start = time.perf_counter()
    stacked = batched.train_stacked(x, y, [vocab, width, vocab], settings, epochs=epochs, batch_size=batch_size)
    fast = time.perf_counter() - start

    gap = max(float((a - b).detach().abs().max()) for i, model in enumerate(alone)
              for a, b in zip(stacked.model(i).parameters(), model.parameters()))
    print(f"\nV={vocab}, m={width}, k={k}: {len(settings)} networks x {epochs * (n_train // batch_size)} steps "
          f"(batch {batch_size})")
    print(f"one by one (models.train): {slow:.2f} s; stacked (batched.train_stacked): {fast:.2f} s")
    print(f"largest parameter difference: {gap:.1e}")
    if gap > 1e-4:
        raise SystemExit("stacked and one-by-one training disagree")
    print(f"speedup: {slow / fast:.1f}x")
    return slow / fast


def main() -> None:
    torch.set_num_threads(1)
    vocab, width, k, h, n = 1024, 64, 4, 11, 2000
    hashes = bloom.random_hashes(vocab, width, h, generator=torch.Generator().manual_seed(0))
    x, _ = bloom.k_of_v_task(n, vocab, k, generator=torch.Generator().manual_seed(1))
    hash_lists = [torch.nonzero(row).flatten().tolist() for row in hashes]
    sets = [torch.nonzero(row).flatten().tolist() for row in x]

    start = time.perf_counter()
    reference = python_membership(hash_lists, width, sets, vocab)
    slow = time.perf_counter() - start

    bloom.bloom_membership(hashes, x[:10])  # warm-up
    repeats = 20
    start = time.perf_counter()
    for _ in range(repeats):
        fast_answer = bloom.bloom_membership(hashes, x)
    fast = (time.perf_counter() - start) / repeats

    equal = torch.equal(fast_answer, torch.tensor(reference))
    print(f"V={vocab}, m={width}, k={k}, h={h}, {n} sets: {fast_answer.sum().item()} member answers")
    print(f"python per-item Bloom filters: {slow * 1e3:.1f} ms; vectorised bloom_membership: {fast * 1e3:.2f} ms")
    print(f"equal results: {equal}")
    if not equal:
        raise SystemExit("the two implementations disagree")
    print(f"speedup: {slow / fast:.1f}x")
    batched_training()


if __name__ == "__main__":
    main()
