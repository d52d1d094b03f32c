"""What each report runs: one module per report notebook (same name), built from the lens modules.

- :mod:`mlpgeo.experiments.catalog`                 each report's title, source and description, written once
- :mod:`mlpgeo.experiments.hashing`                 "MLPs as hashing functions"
- :mod:`mlpgeo.experiments.kag`                     "Kolmogorov-Arnold geometry"
- :mod:`mlpgeo.experiments.bloom`                   "Bloom filters in tiny ReLU networks"
- :mod:`mlpgeo.experiments.vq_kernels`              "VQ-kernels"
- :mod:`mlpgeo.experiments.function_approximation`  "Key-value memory and x²"

Each module holds its report's drivers and sweeps (taking ``seed: int``), its claim rules (each returning a
:class:`mlpgeo.report.Claim`), its text summaries and its report-only figures. Lens modules never import
from here.
"""
