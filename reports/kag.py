# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Kolmogorov-Arnold geometry of MNIST MLPs across spatial scales
#
# **Source.** A popular summary (seed document 001) of *Scale-Agnostic Kolmogorov-Arnold Geometry in
# Neural Networks* (Vanherreweghe, Freedman, Adams; arXiv 2511.21626). The summary garbles every
# formula; the metrics below are those of the first author's public toolkit (`kag-core`), as collected
# in the project's reference notes. The paper's body could not be read.
#
# **What the source claims.** Two-layer MLPs trained on MNIST develop "Kolmogorov-Arnold geometry"
# (KAG): the minors of the Jacobian of a hidden layer with respect to the pixels become concentrated
# and axis-aligned. Measured as trained / random-initialisation ratios of three statistics, the
# signature stays "well above baseline" across "Euclidean ball radii of 7 to 28 pixels", for standard
# and for spatially augmented training, with "approximately 30% lower ratios" for the augmented model;
# "larger networks demonstrat[e] stronger geometric signatures". A related talk reports ~9-13% "zero
# rows" after training.
#
# **The metrics** (per input $x$, hidden layer $\ell$, Jacobian $J(x) = \partial a_\ell / \partial x$,
# rows = hidden units, columns = pixels; $N = 500$ random $k$-minors $m_i$ = determinants of $k \times k$
# submatrices with distinct rows and distinct columns):
#
# $$\mathrm{PR} = \frac{\lVert m \rVert_2}{\lVert m \rVert_1} \in [N^{-1/2}, 1], \qquad
#   \mathrm{KL} = \sum_i p_i \log (N p_i),\; p_i = \frac{|m_i|}{\sum_j |m_j|}, \qquad
#   \mathrm{RR} = \frac{\max_i |m_i(J)|}{\tfrac15 \sum_{q=1}^{5} \max_i |m_i(Q_q J)|}$$
#
# PR is the toolkit's convention (higher = more concentrated; the physics convention
# $\lVert m\rVert_1^2 / (N \lVert m\rVert_2^2)$ is the opposite and is not used in the figures);
# $Q_q$ are Haar-random orthogonal matrices rotating the hidden units. Every number is reported as the
# ratio trained / random initialisation on the same inputs. All of it is computed by
# [ka_metrics](../../api/kag/#mlpgeo.kag.ka_metrics) and
# [run_setting](../../api/kag/#mlpgeo.kag.run_setting).

# %% [markdown]
# ## What we could not know, and the readings we chose
#
# | Unknown | Our reading |
# |---|---|
# | hidden widths | two widths at `ci` (32 and 128 units per layer), three at `full` (64, 256, 512) |
# | optimiser, epochs, batch | Adam, lr $10^{-3}$, batch 128, 6 epochs (`ci`) / 20 (`full`); the same seed gives the same batch order for standard and augmented training |
# | augmentation | per batch, every digit rotated by $U(-10°, 10°)$ about the image centre, then shifted by $U(-2, 2)$ pixels on each axis, bilinear resampling with zero padding ([augment_digits](../../api/data/#mlpgeo.data.augment_digits)) |
# | which inputs | the first 24 (`ci`) / 200 (`full`) test digits |
# | "random" baseline | the very initialisation training started from (same architecture, same inputs) |
# | which hidden layer, which $k$ | both layers, $k = 1$ and $2$ |
# | pixel sets at radius $r$ | columns of the minors drawn from the pixels whose centres lie within $r$ of the image centre (13.5, 13.5); rows = all units. Any $r > 13.5\sqrt2 \approx 19.1$ covers all 784 pixels, so **21 and 28 coincide**. Second reading: the mean over balls centred at 5 positions (the centre and (6.5, 6.5), (6.5, 20.5), (20.5, 6.5), (20.5, 20.5)), where 21 and 28 differ |
# | rotation side | hidden units (toolkit); the input side is available (`rotate="columns"`) but not reported |
# | minors, rotations | $N = 500$ minors per input and per rotation, 5 rotations (toolkit defaults) |
# | sampling | the $N$ minor positions are drawn once per batch and shared by its inputs (each input still sees a uniform sample); trained and random networks are measured on the same positions |
# | "zero rows" | threshold = 1st percentile of the initial network's row norms; read per input (rows of $J(x)$) and per unit (root-mean-square norm over inputs) |
#
# At `ci` scale the report trains 24 networks (2 activations x 2 widths x 2 trainings x 3 seeds) in about
# two to three minutes on 2 cores; `full` uses 5 seeds, 3 widths (64, 256, 512), 20 epochs and 200 probe
# digits (the paper's widths, epochs and probe set are unknown). The multi-centre reading and the epoch
# sweep use the widest network only.

# %%
import numpy as np
import torch
import matplotlib.pyplot as plt

from mlpgeo import config, data, kag, plotting, report

plotting.setup_notebook()
torch.set_num_threads(1)
SCALE = config.scale()
SEEDS = config.by_scale(ci=[0, 1, 2], full=[0, 1, 2, 3, 4])
WIDTHS = config.by_scale(ci=[32, 128], full=[64, 256, 512])
ACTIVATIONS = ["relu", "gelu"]
EPOCHS = config.by_scale(ci=6, full=20)
N_PROBE = config.by_scale(ci=24, full=200)
RADII = [7, 14, 21, 28]
CENTERS = [c for c in kag.grid_centers(7.0) if c == kag.IMAGE_CENTER or (c[0] != 13.5 and c[1] != 13.5)]
SNAPSHOTS = sorted({0, 1, 2, 4, EPOCHS})
rec = report.Recorder("kag", "Scale-Agnostic Kolmogorov-Arnold Geometry in Neural Networks (arXiv 2511.21626), popular summary", SEEDS)
x_train, y_train = data.load_mnist("train")
x_test, y_test = data.load_mnist("test")
x_probe = x_test[:N_PROBE]
print(f"scale={SCALE}, seeds={SEEDS}, widths={WIDTHS}, epochs={EPOCHS}, probe digits={N_PROBE}, centres={CENTERS}")

# %%
runs = [
    kag.run_setting(x_train, y_train, x_test, y_test, x_probe, activation, width, seed, EPOCHS,
                    radii=RADII, multi_centers=CENTERS if width == max(WIDTHS) else None,
                    snapshot_epochs=SNAPSHOTS if width == max(WIDTHS) else ())
    for activation in ACTIVATIONS for width in WIDTHS for seed in SEEDS
]
ratios = [r for run in runs for r in run["ratios"]]
print(f"{len(runs)} settings, {len(ratios)} ratio records")

# %% [markdown]
# ## 1. Networks and test accuracy
#
# Each setting is one initialisation (784 -> h -> h -> 10), trained twice: on the digits as they are and
# on augmented digits. Accuracy on the 2000 held-out digits, mean ± std over seeds:

# %%
acc = {}
for activation in ACTIVATIONS:
    for width in WIDTHS:
        for training in ("random", "standard", "augmented"):
            values = [run["accuracy"][training] for run in runs if run["activation"] == activation and run["width"] == width]
            acc[(activation, width, training)] = report.summarize(values)
            print(f"{activation:5s} h={width:4d} {training:9s}: {np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}")
rec.metric("test_accuracy", {f"{a}_{w}_{t}": s for (a, w, t), s in acc.items()})

# %% [markdown]
# ## 2. Pixel sets: balls of radius 7 to 28
#
# Left: the four balls around the image centre; 21 and 28 both hold all 784 pixels. Right: the
# second reading's balls of radius 21 at the five centres (each holds a different part of the image).

# %%
fig, axes = plt.subplots(1, 2, figsize=(7.6, 4.4))
kag.plot_ball_masks(x_probe[0], RADII, ax=axes[0])
kag.plot_ball_centres(x_probe[0], 21, CENTERS, ax=axes[1])
axes[0].set_title("balls around the centre (r = 21, 28 lie outside)", fontsize=9)
axes[1].set_title("r = 21 at five centres (second reading)", fontsize=9)
plt.show()
sizes = {r: int(kag.ball_pixels(r).numel()) for r in RADII}
print("pixels per centred ball:", sizes)
rec.metric("ball_pixels_centre", sizes)

# %% [markdown]
# ## 3. Ratios across scales (centred balls)
#
# Trained / random ratios of PR, KL and RR for the wider network, both activations, standard (solid) and
# augmented (dashed) training; error bars = std over seeds. Dotted line: ratio 1 (no change). Around the
# centre, $r = 21$ and $r = 28$ are the same 784 pixels and, measured on the same sampled positions, give
# identical numbers: the last two points of every curve coincide by construction.

# %%
def ratio_figure(reading, k, width):
    fig, axes = plt.subplots(2, 3, figsize=(9.6, 5.6), sharex=True)
    for row, layer in zip(axes, (1, 2)):
        for ax, metric in zip(row, kag.METRICS):
            curves = {}
            for activation in ACTIVATIONS:
                for training in ("standard", "augmented"):
                    cells = kag.metric_cells(ratios, (metric,), by=("radius",), reading=reading, training=training,
                                             activation=activation, width=width, layer=layer, k=k)
                    curves[f"{activation} {training}"] = ([cells[(r, metric)]["mean"] for r in RADII],
                                                          [cells[(r, metric)]["std"] for r in RADII])
            kag.plot_ratio_curves(RADII, curves, metric, ax=ax)
            ax.set_title(f"{metric.upper()}, layer {layer}, k = {k}")
            if layer == 1:
                ax.set_xlabel("")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"{reading} balls, h = {width}, mean ± std over {len(SEEDS)} seeds")
    plt.show()

ratio_figure("centre", 2, max(WIDTHS))

# %% [markdown]
# Every cell (activation, width, layer, $k$, radius, metric), mean ± std over seeds; "well above 1" means
# a seed mean of at least 1.1 with mean − std > 1:

# %%
def print_cells(cells, label):
    print(label)
    for key, cell in sorted(cells.items(), key=lambda kv: tuple(str(v) for v in kv[0])):
        flag = "well above 1" if kag.well_above_one(cell) else ""
        print(f"  {str(key):42s} {cell['mean']:.3f} ± {cell['std']:.3f}  {flag}")

cells = {t: kag.metric_cells(ratios, reading="centre", training=t) for t in ("standard", "augmented")}
for training in ("standard", "augmented"):
    print_cells({k: v for k, v in cells[training].items() if k[4] != 21}, f"{training} (r = 21 equals r = 28 here and is omitted)")

# %%
def above_one_summary(cell_dict):
    by_metric = {}
    for metric in kag.METRICS:
        chosen = [c for key, c in cell_dict.items() if key[-1] == metric]
        by_metric[f"{metric}_share_well_above_1"] = float(np.mean([kag.well_above_one(c) for c in chosen]))
        by_metric[f"{metric}_median_ratio"] = float(np.median([c["mean"] for c in chosen]))
    for activation in ACTIVATIONS:
        chosen = [c for key, c in cell_dict.items() if key[0] == activation]
        by_metric[f"{activation}_share_well_above_1"] = float(np.mean([kag.well_above_one(c) for c in chosen]))
    share = float(np.mean([kag.well_above_one(c) for c in cell_dict.values()]))
    return share, by_metric

for training in ("standard", "augmented"):
    share, measured = above_one_summary(cells[training])
    verdict = "reproduced" if share >= 0.9 else "partly reproduced" if share >= 0.5 else "not reproduced"
    rec.claim(f"ratios-above-one-{training}",
              f"{training.capitalize()} training: PR, KL and RR ratios (trained / random) are well above 1 at every radius 7-28 px "
              "(criterion: share of cells with seed mean >= 1.1 and mean - std > 1; >= 90% reproduced, >= 50% partly)",
              "well above 1 at every scale", dict(share_well_above_1=share, n_cells=len(cells[training]), **measured),
              verdict, "3. Ratios across scales (centred balls)")
    print(training, verdict, round(share, 3), {k: round(v, 3) for k, v in measured.items()})

# %% [markdown]
# **Reading.** The verdicts lump two different behaviours. For ReLU the raw ratios are mostly *below* 1:
# the trained networks have more active units per digit than their initialisation (section 6), so fewer
# minors are exactly zero and the minors look less concentrated. GELU Jacobians have no zero rows; there
# KL and PR ratios rise above 1 while RR stays near 1 with a wide seed spread. The per-activation shares
# are in the claim's numbers.
#
# **Augmentation.** The source: augmented models show "approximately 30% lower ratios". Reduction per
# cell $= 1 - \text{ratio}_\text{aug} / \text{ratio}_\text{std}$ (seed means; radii 7, 14, 28 around the centre).

# %%
reductions = {}
for key, std_cell in cells["standard"].items():
    if key[4] == 21:
        continue
    reductions[key] = 1 - cells["augmented"][key]["mean"] / std_cell["mean"]
red = np.array(list(reductions.values()))
by_metric = {m: float(np.median([v for k, v in reductions.items() if k[-1] == m])) for m in kag.METRICS}
by_act = {a: float(np.median([v for k, v in reductions.items() if k[0] == a])) for a in ACTIVATIONS}
median_red = float(np.median(red))
print(f"median reduction {median_red:+.3f}; share of cells lowered: {np.mean(red > 0):.2f}; by metric {by_metric}; by activation {by_act}")
verdict = ("reproduced" if 0.2 <= median_red <= 0.45 else
           "partly reproduced" if 0.05 < median_red < 0.2 or 0.45 < median_red < 0.7 else "not reproduced")
rec.claim("augmentation-lowers-ratios",
          "Spatial augmentation lowers the trained/random ratios by about 30% (criterion: median over cells of "
          "1 - aug/std in [0.20, 0.45] reproduced; in (0.05, 0.20) or (0.45, 0.70) partly; otherwise not)",
          "about 30% lower (secondary source: 30-40%)",
          {"median_reduction": median_red, "share_of_cells_lowered": float(np.mean(red > 0)),
           **{f"median_reduction_{m}": v for m, v in by_metric.items()},
           **{f"median_reduction_{a}": v for a, v in by_act.items()}},
          verdict, "3. Ratios across scales (centred balls)")
print(verdict)

# %% [markdown]
# ## 4. Scales that stay distinct: balls at many centres
#
# Around the centre, radii 21 and 28 are the same pixel set. Averaging the metrics over balls at five
# centres keeps the four scales distinct (a radius-21 ball at (6.5, 6.5) misses the opposite corner).
# Wider network, $k = 2$.

# %%
ratio_figure("multi-centre", 2, max(WIDTHS))

# %% [markdown]
# "Scale-agnostic": how much each ratio varies across the four radii, as (max − min) / mean of the seed
# means over radii, per (activation, training, layer, metric), under both readings; and whether a
# series keeps one verdict ("well above 1" or not) at every radius.

# %%
spread, same_side = [], []
for reading, width in (("centre", max(WIDTHS)), ("multi-centre", max(WIDTHS))):
    for training in ("standard", "augmented"):
        c = kag.metric_cells(ratios, reading=reading, training=training, width=width, k=2)
        for activation in ACTIVATIONS:
            for layer in (1, 2):
                for metric in kag.METRICS:
                    series = [c[(activation, width, layer, 2, r, metric)] for r in RADII]
                    means = np.array([s["mean"] for s in series])
                    spread.append((means.max() - means.min()) / means.mean())
                    flags = {kag.well_above_one(s) for s in series}
                    same_side.append(len(flags) == 1)
median_spread = float(np.median(spread))
share_same = float(np.mean(same_side))
verdict = ("reproduced" if median_spread <= 0.15 and share_same >= 0.9 else
           "partly reproduced" if median_spread <= 0.3 else "not reproduced")
print(f"median relative spread across radii {median_spread:.3f}; series with one verdict at every radius {share_same:.2f}")
rec.claim("scale-agnostic",
          "The KAG signature is scale-agnostic: ratios change little between radii 7, 14, 21, 28 px "
          "(criterion: median (max-min)/mean across radii <= 0.15 and >= 90% of series keep one verdict at every radius; "
          "spread <= 0.30 partly)",
          "same qualitative pattern at every radius 7-28 px",
          {"median_relative_spread": median_spread, "share_series_one_verdict": share_same, "n_series": len(spread)},
          verdict, "4. Scales that stay distinct: balls at many centres")
print(verdict)

# %% [markdown]
# ## 5. Minors and Jacobian rows
#
# Distribution of $|k|$-minors (layer 1, $k = 2$, all pixels, wider network, first seed): trained
# against its initialisation. For ReLU a large share of minors is exactly zero (an inactive unit is an
# exactly-zero Jacobian row); the histogram shows the nonzero ones.

# %%
first = {a: next(run for run in runs if run["activation"] == a and run["width"] == max(WIDTHS)) for a in ACTIVATIONS}
fig, axes = plt.subplots(1, 2, figsize=(9, 3.3))
for ax, activation in zip(axes, ACTIVATIONS):
    nets = first[activation]["nets"]
    m = {name: kag.ka_metrics(nets[name], x_probe, layer=1, k=2, generator=torch.Generator().manual_seed(0))["minors"]
         for name in ("standard", "random")}
    kag.plot_minor_histogram(m["standard"], m["random"], k=2, ax=ax)
    ax.set_title(f"{activation}, h = {max(WIDTHS)}, layer 1")
plt.show()

# %% [markdown]
# Jacobian rows of six units of layer 1 at one test digit, as 28 x 28 images (ReLU; the units with the
# largest trained row norms). At layer 1 a row is the unit's weight vector times its slope (0 or 1).
# Training adds stroke-like structure where digits have ink on top of the initial noise; the noise stays
# in the border pixels, which are blank in every training digit, so no gradient ever reaches their weights.

# %%
nets = first["relu"]["nets"]
for name in ("random", "standard", "augmented"):
    jac = kag.layer_jacobians(nets[name], x_probe[:1], 1)[0]
    if name == "random":
        units = kag.row_norms(kag.layer_jacobians(nets["standard"], x_probe[:1], 1))[0].argsort(descending=True)[:6].tolist()
    kag.plot_jacobian_rows(jac, units, title=f"{name}: rows of J(x) for layer 1 (ReLU, h = {max(WIDTHS)})")
    plt.show()

# %% [markdown]
# ## 6. The active-fraction confound
#
# For ReLU, an inactive unit makes a Jacobian row exactly zero, and a 2-minor touching it is zero. PR and
# KL grow when more minors are zero, with no change in geometry: if the nonzero minors kept their
# distribution, PR would scale by $\sqrt{f_\text{random}/f_\text{trained}}$ ($f$ = share of nonzero
# minors). Below: the share of active units, the raw PR ratio, the ratio this sparsity change alone
# predicts, and the ratios with minor rows drawn only from each input's active units (ReLU, $k = 2$).

# %%
for width in WIDTHS:
    for training in ("standard", "augmented"):
        for layer in (1, 2):
            raw = kag.select(ratios, activation="relu", width=width, training=training, layer=layer, k=2, radius=28, reading="centre")
            act = kag.select(ratios, activation="relu", width=width, training=training, layer=layer, k=2, radius=28, reading="active rows")
            f = lambda rs, key: f"{np.mean([r[key] for r in rs]):.3f}"
            print(f"h={width:4d} {training:9s} layer {layer}: active units random {f(raw, 'active_random')} -> trained {f(raw, 'active_trained')}; "
                  f"PR raw {f(raw, 'pr')}, sparsity-only {f(raw, 'pr_sparsity')}, active rows {f(act, 'pr')}; "
                  f"KL raw {f(raw, 'kl')}, active rows {f(act, 'kl')}; RR raw {f(raw, 'rr')}, active rows {f(act, 'rr')}")

# %%
conf = {}
for reading in ("centre", "active rows"):
    c = kag.metric_cells(ratios, by=("width", "training", "layer"), reading=reading, activation="relu", k=2, radius=28)
    conf[reading] = {f"{m}_median": float(np.median([v["mean"] for k, v in c.items() if k[-1] == m])) for m in kag.METRICS}
pr_sparsity = float(np.median([r["pr_sparsity"] for r in kag.select(ratios, activation="relu", k=2, radius=28, reading="centre")]))
rec.metric("relu_confound", {"raw": conf["centre"], "active_rows": conf["active rows"], "pr_sparsity_only_median": pr_sparsity})
print(conf, "PR ratio from sparsity alone (median):", round(pr_sparsity, 3))

fig, ax = plt.subplots(figsize=(6.4, 3.2))
labels, positions = [], np.arange(3)
bars = {"raw (all rows)": "centre", "active rows only": "active rows"}
for i, (label, reading) in enumerate(bars.items()):
    values = [conf[reading][f"{m}_median"] for m in kag.METRICS]
    ax.bar(positions + (i - 0.5) * 0.35, values, width=0.35, color=plotting.color(i), label=label)
ax.plot([-0.35, 0.35], [pr_sparsity, pr_sparsity], color="black", lw=2, label="PR from sparsity change alone")
ax.axhline(1, color="black", ls=":", lw=0.8)
ax.set_xticks(positions, [m.upper() for m in kag.METRICS])
ax.set_ylabel("trained / random (median over cells)")
ax.set_title("ReLU, k = 2, all pixels: raw vs active-rows ratios")
ax.legend(fontsize=7)
plt.show()

# %% [markdown]
# ## 7. Zero rows and dead units
#
# Zero rows: rows whose norm is at most the 1st percentile of the initial network's row norms (per input,
# and per unit with the norm averaged over inputs). Dead units: exactly-zero rows at every probe digit.
# For ReLU the per-input threshold is 0 (over 1% of initial rows are exactly zero), so per-input zero rows
# are the inactive units.

# %%
zr = [z for run in runs for z in run["zero_rows"]]
keys = ("zero_rows_input", "zero_rows_input_init", "zero_rows_unit", "dead_units", "dead_units_init")
for activation in ACTIVATIONS:
    for width in WIDTHS:
        for training in ("standard", "augmented"):
            for layer in (1, 2):
                rows = kag.select(zr, activation=activation, width=width, training=training, layer=layer)
                print(f"{activation:5s} h={width:4d} {training:9s} layer {layer}: " +
                      ", ".join(f"{k} {np.mean([r[k] for r in rows]):.3f}" for k in keys))
unit_share = {a: report.summarize([z["zero_rows_unit"] for z in kag.select(zr, activation=a)]) for a in ACTIVATIONS}
input_share = {a: report.summarize([z["zero_rows_input"] for z in kag.select(zr, activation=a)]) for a in ACTIVATIONS}
overall = float(np.mean([z["zero_rows_unit"] for z in zr]))
verdict = ("reproduced" if 0.06 <= overall <= 0.16 else "partly reproduced" if 0.02 <= overall <= 0.30 else "not reproduced")
rec.claim("zero-rows",
          "About 9-13% of Jacobian rows are zero rows after training (predecessor paper / talk; per-unit reading, threshold = "
          "1st percentile of the initial row norms; criterion: mean in [0.06, 0.16] reproduced, [0.02, 0.30] partly)",
          "9-13%", {"zero_rows_unit_mean": overall, **{f"zero_rows_unit_{a}": s for a, s in unit_share.items()},
                    **{f"zero_rows_per_input_{a}": s for a, s in input_share.items()}},
          verdict, "7. Zero rows and dead units")
print(verdict, round(overall, 3))

# %% [markdown]
# ## 8. Training length
#
# Ratios of the standard network (wider width, all pixels, $k = 2$) after 0 to the last epoch.

# %%
ep = [e for run in runs for e in run["epochs"]]
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
for ax, metric in zip(axes, kag.METRICS):
    for i, activation in enumerate(ACTIVATIONS):
        for layer, style in ((1, "-"), (2, "--")):
            stats = kag.group_stats(kag.select(ep, activation=activation, layer=layer), ("epoch",), metric)
            xs = sorted(stats)
            ax.errorbar([x[0] for x in xs], [stats[x]["mean"] for x in xs], yerr=[stats[x]["std"] for x in xs],
                        color=plotting.color(i), ls=style, marker="o", ms=3, capsize=2, label=f"{activation} layer {layer}")
    ax.axhline(1, color="black", lw=0.8, ls=":")
    ax.set_xlabel("epoch"); ax.set_ylabel(f"{metric.upper()} trained / random"); ax.set_title(metric.upper())
axes[0].legend(fontsize=7)
fig.suptitle(f"standard training, h = {max(WIDTHS)}, all pixels, k = 2, mean ± std over {len(SEEDS)} seeds")
plt.show()
rec.metric("epoch_sweep", {f"{e['activation']}_l{e['layer']}_e{e['epoch']}_s{e['seed']}": {m: e[m] for m in kag.METRICS} for e in ep})

# %% [markdown]
# ## 9. Width
#
# Each cell compared between the narrowest and the widest network (centred balls, radii 7, 14, 28, both
# layers, $k$ = 1 and 2, both trainings).

# %%
wide, narrow = max(WIDTHS), min(WIDTHS)
comparisons = []
for training in ("standard", "augmented"):
    c = cells[training]
    for key, cell in c.items():
        activation, width, layer, k, radius, metric = key
        if width != wide or radius == 21:
            continue
        comparisons.append(cell["mean"] / c[(activation, narrow, layer, k, radius, metric)]["mean"])
comparisons = np.array(comparisons)
share_stronger = float(np.mean(comparisons > 1))
median_gain = float(np.median(comparisons))
fig, ax = plt.subplots(figsize=(4.6, 3.2))
ax.hist(comparisons, bins=20, color=plotting.color(0))
ax.axvline(1, color="black", ls=":")
ax.set_xlabel(f"ratio at h = {wide} / ratio at h = {narrow}"); ax.set_ylabel("cells")
ax.set_title("does width strengthen the signature?")
plt.show()
verdict = ("reproduced" if share_stronger >= 0.8 and median_gain > 1.05 else
           "partly reproduced" if share_stronger >= 0.5 else "not reproduced")
rec.claim("larger-stronger",
          f"Larger networks show stronger KAG signatures (criterion: share of cells where h={wide} beats h={narrow} >= 0.8 "
          "with median gain > 5% reproduced; >= 0.5 partly)",
          "larger networks stronger", {"share_cells_wider_stronger": share_stronger, "median_wide_over_narrow": median_gain,
                                       "n_cells": int(comparisons.size)},
          verdict, "9. Width")
print(verdict, round(share_stronger, 3), round(median_gain, 3))

# %% [markdown]
# ## Verdicts
#
# Criteria are stated in each claim; every number is a mean over seeds of a trained / random ratio on the
# same 24 (`ci`) test digits and the same sampled minor positions.

# %%
rec.table()

# %%
rec.metric("settings", {"widths": WIDTHS, "epochs": EPOCHS, "probe_digits": N_PROBE, "n_minors": 500, "n_rotations": 5,
                        "augmentation": "rotation U(-10,10) deg, shift U(-2,2) px per axis, bilinear, per batch"})
print(rec.save())
