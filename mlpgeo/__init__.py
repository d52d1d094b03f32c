"""mlpgeo: the geometry of multi-layer perceptrons, one module per lens.

Every lens takes a plain ``torch.nn.Sequential`` MLP (Linear layers and element-wise activations)
and tensors, and returns tensors or small dataclasses; bad input gets a clear error from
:mod:`mlpgeo.validate`, naming the argument and the fix.

Lenses (general mathematics, usable on any MLP):

- :mod:`mlpgeo.config`   scale (``ci`` / ``full``), device, seeds, thread count
- :mod:`mlpgeo.validate` the validation layer and the memory budget every lens uses
- :mod:`mlpgeo.data`     MNIST (embedded 10,000 digits or full IDX), two moons, high-dimensional moons
- :mod:`mlpgeo.models`   ``mlp`` builder, seeded deterministic ``train``, ``predict``, ``weights``, snapshots
- :mod:`mlpgeo.patterns` pre-activations, activation patterns, codes (hashes), code counts
- :mod:`mlpgeo.regions`  exact linear regions in 1-D and 2-D, counting bounds, local complexity
- :mod:`mlpgeo.compare`  two MLPs compared: hyperplane motion, update spectrum, code drift, map change
- :mod:`mlpgeo.lora`     the low-rank adapter (LoRA) itself
- :mod:`mlpgeo.vq`       VQ-kernel (Hamming distance of patterns), heat kernels, MDS
- :mod:`mlpgeo.kag`      Kolmogorov-Arnold geometry metrics of Jacobian minors
- :mod:`mlpgeo.bloom`    the k-of-V task, Bloom-filter maths, Bloom analysis of trained networks
- :mod:`mlpgeo.memory`   key-value decomposition of an MLP's output
- :mod:`mlpgeo.plotting` the figure style shared by every report, captioned figures

Reports:

- :mod:`mlpgeo.report`      the claim record, the recorder of a report's metrics, seed aggregation, tables
- :mod:`mlpgeo.experiments` one module per report (drivers, sweeps, claim rules), the catalog, jobs
"""

__version__ = "0.1.0"
