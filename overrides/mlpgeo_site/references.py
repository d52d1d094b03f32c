"""The works the reports cite, and the references section the site adds at the end of each report.

A report page's references are its source document (from ``mlpgeo.experiments.catalog``) and every work
below that its text cites: a work is cited when one of its ``patterns`` occurs in the page's prose
(markdown cells, figure captions and the verdict table; not code). Add a work here when a report starts
citing it; the test in tests/test_hooks.py lists the citations of the notebooks that match no work.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Work:
    """A cited work.

    Attributes:
        key: a short identifier (the anchor is ``ref-<key>``).
        patterns: regular expressions (case-sensitive) of how the reports cite it.
        text: authors, title, venue and year, as plain text.
        link: a public address (arXiv, DOI or the publisher's page); ``""`` if there is none.
    """

    key: str
    patterns: tuple[str, ...]
    text: str
    link: str = ""


WORKS: tuple[Work, ...] = (
    Work("zaslavsky1975", (r"Zaslavsky",),
         'T. Zaslavsky, "Facing up to arrangements: face-count formulas for partitions of space by hyperplanes", '
         "Memoirs of the American Mathematical Society 154 (1975)", "https://doi.org/10.1090/memo/0154"),
    Work("pascanu2013", (r"Pascanu",),
         'R. Pascanu, G. Montúfar, Y. Bengio, "On the number of response regions of deep feed forward networks '
         'with piece-wise linear activations", ICLR 2014', "https://arxiv.org/abs/1312.6098"),
    Work("montufar2014", (r"Mont[uú]far",),
         'G. Montúfar, R. Pascanu, K. Cho, Y. Bengio, "On the number of linear regions of deep neural networks", '
         "NeurIPS 2014", "https://arxiv.org/abs/1402.1869"),
    Work("serra2018", (r"Serra\b",),
         'T. Serra, C. Tjandraatmadja, S. Ramalingam, "Bounding and counting linear regions of deep neural '
         'networks", ICML 2018', "https://arxiv.org/abs/1711.02114"),
    Work("hanin2019a", (r"Hanin",),
         'B. Hanin, D. Rolnick, "Complexity of linear regions in deep networks", ICML 2019',
         "https://arxiv.org/abs/1901.09021"),
    Work("hanin2019b", (r"Hanin",),
         'B. Hanin, D. Rolnick, "Deep ReLU networks have surprisingly few activation patterns", NeurIPS 2019',
         "https://arxiv.org/abs/1906.00904"),
    Work("he2021", (r"He et al", r"hash encoder"),
         'F. He, S. Lei, J. Ji, D. Tao, "Neural networks behave as hash encoders: an empirical study", 2021',
         "https://arxiv.org/abs/2101.05490"),
    Work("humayun2024", (r"Humayun", r"local complexity"),
         'A. I. Humayun, R. Balestriero, R. Baraniuk, "Deep networks always grok and here is why", ICML 2024',
         "https://arxiv.org/abs/2402.15555"),
    Work("humayun2023", (r"SplineCam",),
         'A. I. Humayun, R. Balestriero, G. Balakrishnan, R. Baraniuk, "SplineCam: exact visualization and '
         'characterization of deep network geometry and decision boundaries", CVPR 2023',
         "https://arxiv.org/abs/2302.12828"),
    Work("hu2021", (r"\bLoRA\b",),
         'E. J. Hu, Y. Shen, P. Wallis, Z. Allen-Zhu, Y. Li, S. Wang, L. Wang, W. Chen, "LoRA: low-rank adaptation '
         'of large language models", ICLR 2022', "https://arxiv.org/abs/2106.09685"),
    Work("balestriero2018", (r"Mad Max", r"Balestriero (and|&) Baraniuk", r"spline operator"),
         'R. Balestriero, R. G. Baraniuk, "Mad Max: affine spline insights into deep learning", Proceedings of '
         "the IEEE 109(5), 2021", "https://arxiv.org/abs/1805.06576"),
    Work("plan2014", (r"Plan (and|&) Vershynin", r"Vershynin"),
         'Y. Plan, R. Vershynin, "Dimension reduction by random hyperplane tessellations", Discrete & '
         "Computational Geometry 51(2), 2014", "https://doi.org/10.1007/s00454-013-9561-6"),
    Work("freedman2025", (r"Mulligan", r"2509\.12326", r"Spontaneous Kolmogorov"),
         'M. H. Freedman, M. Mulligan, "Spontaneous Kolmogorov-Arnold geometry in shallow MLPs", 2025',
         "https://arxiv.org/abs/2509.12326"),
    Work("bloom1970", (r"Bloom \(1970\)", r"Bloom 1970", r"Bloom, 1970"),
         'B. H. Bloom, "Space/time trade-offs in hash coding with allowable errors", Communications of the ACM '
         "13(7), 1970", "https://doi.org/10.1145/362686.362692"),
    Work("rae2019", (r"Rae et al", r"Neural Bloom Filter"),
         'J. W. Rae, S. Bartunov, T. P. Lillicrap, "Meta-learning neural Bloom filters", ICML 2019',
         "https://arxiv.org/abs/1906.04304"),
    Work("elhage2022", (r"Elhage", r"[Ss]uperposition"),
         'N. Elhage et al., "Toy models of superposition", Transformer Circuits Thread, 2022',
         "https://arxiv.org/abs/2209.10652"),
    Work("geva2021", (r"Geva",),
         'M. Geva, R. Schuster, J. Berant, O. Levy, "Transformer feed-forward layers are key-value memories", '
         "EMNLP 2021", "https://arxiv.org/abs/2012.14913"),
    Work("sundararajan2017", (r"[Ii]ntegrated gradients", r"Sundararajan"),
         'M. Sundararajan, A. Taly, Q. Yan, "Axiomatic attribution for deep networks" (integrated gradients), '
         "ICML 2017", "https://arxiv.org/abs/1703.01365"),
    Work("lecun1998", (r"\bMNIST\b",),
         'Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied to document recognition" '
         "(MNIST), Proceedings of the IEEE 86(11), 1998", "https://doi.org/10.1109/5.726791"),
)

CITATION = re.compile(
    r"\b[A-Z][a-zà-ÿ]+(?:-[A-Z][a-z]+)? et al\.?"  # "He et al."
    r"|\b[A-Z][a-zà-ÿ]+ (?:and|&) [A-Z][a-zà-ÿ]+(?='s|\s+\(?(?:19|20)\d\d)"  # "Hanin and Rolnick 2019", "... Rolnick's"
)
"""How a work is cited in passing ("He et al.", "Hanin and Rolnick 2019"): used by the test that every
citation of the reports has an entry here."""


def cited(text: str) -> list[Work]:
    """The works of :data:`WORKS` that ``text`` cites, in the order of :data:`WORKS`."""
    return [work for work in WORKS if any(re.search(p, text) for p in work.patterns)]


def uncited_mentions(text: str) -> list[str]:
    """Citations in ``text`` ("X et al.", "X and Y 2019") that no work of :data:`WORKS` matches."""
    found = []
    for match in CITATION.finditer(text):
        mention = match.group(0)
        if not any(re.search(p, mention) for work in WORKS for p in work.patterns):
            found.append(mention)
    return sorted(set(found))


def entry(text: str, link: str, key: str) -> str:
    """One list item: the work, and its link when there is one."""
    item = html.escape(text)
    if link:
        item += f' <a href="{html.escape(link)}">{html.escape(link.split("://", 1)[-1])}</a>'
    return f'<li id="ref-{key}">{item}</li>'


def references_html(source: str, source_link: str, text: str) -> str:
    """The references section of a report page.

    Args:
        source: the source document's full name (``ReportInfo.source``).
        source_link: its public address (``ReportInfo.link``), ``""`` if none.
        text: the page's prose, searched for citations (:func:`cited`).
    """
    items = [entry(source + " (the source document of this report)", source_link, "source")]
    items += [entry(work.text, work.link, work.key) for work in cited(text)]
    return ('<h2 id="references">References</h2>'
            '<ol class="mlpgeo-references">' + "".join(items) + "</ol>")
