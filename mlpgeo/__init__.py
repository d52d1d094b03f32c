"""mlpgeo: the geometry of multi-layer perceptrons, one module per lens.

Every lens takes a plain ``torch.nn.Sequential`` MLP (Linear layers and element-wise activations)
and tensors, and returns tensors or small dataclasses:

- :mod:`mlpgeo.config`   scale (``ci`` / ``full``), device, thread count
- :mod:`mlpgeo.data`     MNIST (embedded 10,000 digits or full IDX), two moons, high-dimensional moons
- :mod:`mlpgeo.models`   ``mlp`` builder and a seeded, deterministic ``train``
- :mod:`mlpgeo.patterns` pre-activations, activation patterns (hash codes), code counts
- :mod:`mlpgeo.regions`  exact linear regions in 1-D and 2-D, counting bounds
- :mod:`mlpgeo.lora`     low-rank adaptation and hyperplane motion
- :mod:`mlpgeo.vq`       VQ-kernel (Hamming distance of patterns), heat kernels, MDS
- :mod:`mlpgeo.kag`      Kolmogorov-Arnold geometry metrics of Jacobian minors
- :mod:`mlpgeo.bloom`    the k-of-V task, Bloom filters, Bloom analysis of trained networks
- :mod:`mlpgeo.memory`   key-value decomposition of an MLP's output
- :mod:`mlpgeo.plotting` the figure style shared by every report
- :mod:`mlpgeo.report`   metrics and claim verdicts recorded by the reports
"""

__version__ = "0.1.0"
