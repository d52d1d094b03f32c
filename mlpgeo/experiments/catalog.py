"""The five reports' metadata, written once: read by the recorder, the site's hooks and its navigation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportInfo:
    """One report of the site.

    Attributes:
        name: the notebook's stem (``reports/<name>.ipynb``) and the experiment module's name.
        title: the report's title, used everywhere (navigation, cards, scorecard, notebook H1).
        number: the source document's number in the project's seeds folder (``"000"`` ... ``"004"``).
        source: the source document's full name: title, authors, venue and year.
        link: a public address of the source (or of the work it summarises), ``""`` if none is known.
        citation: the short citation recorded in metrics files.
        summary: what the report measures, in one line.
    """

    name: str
    title: str
    number: str
    source: str
    link: str
    citation: str
    summary: str


REPORTS: dict[str, ReportInfo] = {
    info.name: info
    for info in (
        ReportInfo(
            name="hashing",
            title="MLPs as hashing functions",
            number="000",
            source='"Understanding MLPs as Hashing Functions: A Geometric Perspective", blog post by S. Shekkizhar '
            "(Tenyx, 2024)",
            link="",
            citation='"Understanding MLPs as Hashing Functions: A Geometric Perspective" (Shekkizhar, Tenyx blog)',
            summary="Neurons as hyperplanes, codes as hashes, exact linear regions, wide vs deep, bias, LoRA.",
        ),
        ReportInfo(
            name="kag",
            title="Kolmogorov-Arnold geometry",
            number="001",
            source='A popular summary of "Scale-Agnostic Kolmogorov-Arnold Geometry in Neural Networks" by '
            "M. Vanherreweghe, M. H. Freedman and R. P. Adams (arXiv 2511.21626, 2025)",
            link="https://arxiv.org/abs/2511.21626",
            citation="Scale-Agnostic Kolmogorov-Arnold Geometry in Neural Networks (arXiv 2511.21626), popular summary",
            summary="Jacobian minors of MNIST MLPs: participation ratio, KL, rotation ratio across spatial scales.",
        ),
        ReportInfo(
            name="bloom",
            title="Bloom filters in tiny ReLU networks",
            number="002",
            source='A digest of "Neural Networks learn Bloom Filters" by A. Gibson (LessWrong, 2026)',
            link="https://www.lesswrong.com/posts/buxBdp8NtHGgBwabv/neural-networks-learn-bloom-filters",
            citation='"Neural Networks learn Bloom Filters" (Gibson, LessWrong; digest: seed 002)',
            summary="Do 1-hidden-layer ReLU nets solve a sparse top-k task with a learned Bloom filter?",
        ),
        ReportInfo(
            name="vq_kernels",
            title="VQ-kernels",
            number="003",
            source='"VQ-Kernels: Unraveling Deep Learning of High-Dimensional Data Geometry" by T. M. Roddenberry, '
            "T. Walker, R. R. Coifman, R. Balestriero and R. G. Baraniuk",
            link="",
            citation='"VQ-Kernels" (Roddenberry et al.)',
            summary="Hamming distance of activation patterns as a kernel on the input space.",
        ),
        ReportInfo(
            name="function_approximation",
            title="Key-value memory and x²",
            number="004",
            source='The marimo notebook "MLP Function Approximation" by Zoë Farmer (2026)',
            link="",
            citation='"MLP Function Approximation" (Zoë Farmer, marimo notebook)',
            summary="An MLP fitted to x², read as keys (activations) and values (effective output weights).",
        ),
    )
}
