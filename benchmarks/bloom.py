"""Benchmark: vectorised Bloom-filter membership for a batch of k-sets against a per-item Python Bloom filter.

For every input row (a set S of k active tokens) both answer, for all V tokens, "is t a member of the Bloom
filter holding S?". mlpgeo.bloom.bloom_membership does it for the whole batch with two matrix products; the
baseline builds one Python bit array per row and tests the tokens one by one. Results must be equal.
"""

from __future__ import annotations

import time

import torch

from mlpgeo import bloom


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


if __name__ == "__main__":
    main()
