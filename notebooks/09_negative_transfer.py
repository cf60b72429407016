# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # When does transfer hurt? VGG-16 features for handwritten digits
#
# **Description:** re-run a published example of negative transfer (handwritten 8s and 6s,
# logistic regression on raw pixels vs on VGG-16 ImageNet features, 10-fold cross-validation)
# and measure which of its explanations hold.
#
# ## Introduction
#
# **Negative transfer** means that knowledge brought from a source task makes the target task
# *worse* than learning it without that knowledge: the main risk of transfer learning
# (notebook 00). Photos of objects (ImageNet) and grey strokes on black (MNIST digits) are far
# apart, so digits are a natural place to look for it.
#
# The experiment comes from an article, not from the book: Mohammad Masum, *"A Demonstration
# of Transfer Learning of VGG Convolutional Neural Network Pre-trained Model with Keras"*
# (Towards Data Science,
# <https://towardsdatascience.com/a-demonstration-of-transfer-learning-of-vgg-convolutional-neural-network-pre-trained-model-with-c9f5b8b1ab0a>).
# It takes about 8,200 MNIST digits 8 and 6, trains a logistic
# regression on the 784 raw pixels and on the 25,088 flattened VGG-16 features of each digit,
# and reports, over 10 folds, about 98 % accuracy on the pixels against about 50 % on the VGG-16
# features: a coin toss. It offers three possible reasons: VGG-16 was trained on 3-channel
# colour photos and the digits are grey; VGG-16's deep features encode ImageNet's background
# "noise"; VGG-16 was trained for 1,000 classes and the task has two.
#
# You will learn to:
#
# - extract features with `keras.applications.VGG16(include_top=False)`, computed once with
#   `cache.predict` (`predict`, then `np.save`; `np.load` on every later run);
# - compare feature sets with scikit-learn: one `StratifiedKFold` shared by every
#   `cross_validate`, so that the folds are the same and the differences **paired**;
#   `make_pipeline(StandardScaler(), LogisticRegression())`;
# - tell a real result from chance with `permutation_test_score` (labels shuffled on purpose);
# - test an explanation by changing one thing at a time: the layer, the preprocessing, the
#   weights.

# %% [markdown]
# ## Setup
#
# `MNIST_PATH=None` downloads MNIST with `keras.datasets.mnist`; a path reads a local `.npz`
# of the same layout (`x_train`, `y_train`, `x_test`, `y_test`). `WEIGHTS`: `"imagenet"`, the
# path of `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`, or `None` (random weights:
# nothing is transferred; tests only).
#
# VGG-16 is the expensive part: on a 2-core CPU it handles a few images per second at
# 224 × 224 and tens at 64 × 64. So the defaults take a seeded stratified sample of
# `N_SAMPLES=3000` of the 13,701 eights and sixes at `IMAGE_SIZE=64`, where the last block
# gives 2 × 2 × 512 = 2,048 features (the article's 224 gives 7 × 7 × 512 = 25,088). VGG-16
# needs at least 32 × 32. `RUN_VARIANTS=False` keeps only the article's comparison and the
# permutation test; `N_PERMUTATIONS` is the number of label shuffles of that test.

# %% tags=["parameters"]
MNIST_PATH = None
DIGITS = (8, 6)
N_SAMPLES = 3000  # None: all 13,701 eights and sixes
IMAGE_SIZE = 64
WEIGHTS = "imagenet"
FOLDS = 10
SEED = 42
BATCH_SIZE = 64
CACHE_DIR = "../cache"
RESULTS_DIR = "../results"
RUN_VARIANTS = True
N_PERMUTATIONS = 3  # label shuffles of the permutation test (19 or more for p <= 0.05)

# %%
import utils  # noqa: F401 (first, before Keras: TensorFlow loads without its start-up messages)

# isort: split
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    StratifiedKFold,
    cross_validate,
    permutation_test_score,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from utils import cache, plots, pretrained

keras.utils.set_random_seed(SEED)
RESULTS = Path(RESULTS_DIR)
RESULTS.mkdir(parents=True, exist_ok=True)
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
print("ImageNet weights" if WEIGHTS else "WEIGHTS=None: random VGG-16 weights, nothing transferred")

# %% [markdown]
# ## The digits
#
# MNIST's training and test images are pooled (cross-validation needs no held-out split) and
# the 8s and 6s kept. As in the article, 8 becomes class 1 and 6 class 0. A stratified sample
# keeps the two classes in their natural, nearly even, proportions.

# %%
if MNIST_PATH is None:
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
else:
    with np.load(MNIST_PATH) as mnist:
        x_train, y_train, x_test, y_test = (
            mnist[k] for k in ("x_train", "y_train", "x_test", "y_test")
        )
x, y = np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
keep = np.isin(y, DIGITS)
images, labels = x[keep], (y[keep] == DIGITS[0]).astype(int)
print(f"{len(images)} images of the digits {DIGITS} in MNIST")
if N_SAMPLES and N_SAMPLES < len(images):
    images, _, labels, _ = train_test_split(
        images, labels, train_size=N_SAMPLES, stratify=labels, random_state=SEED
    )
class_names = [str(DIGITS[1]), str(DIGITS[0])]  # class 0, class 1
counts = {name: int(np.sum(labels == i)) for i, name in enumerate(class_names)}
print(f"{len(images)} images of {images.shape[1]}x{images.shape[2]} pixels: {counts}")

# %% [markdown]
# VGG-16 expects colour photos. Each grey digit's value is copied into the three channels here,
# at 28 × 28; a `keras.layers.Resizing` layer, the first layer of every feature extractor below,
# brings it to `IMAGE_SIZE` one batch at a time (13,701 digits at 224 × 224 × 3 in float32 would
# take 8 GB at once). The pixels stay in [0, 255]; each feature extractor scales them its own
# way.

# %%
digits = np.repeat(images[..., np.newaxis], 3, axis=-1).astype("float32")  # R = G = B = grey
resize = keras.layers.Resizing(IMAGE_SIZE, IMAGE_SIZE)
print(f"digits: {digits.shape}, resized to {SHAPE} on the way into VGG-16")

first = np.concatenate([np.flatnonzero(labels == c)[:5] for c in (1, 0)])
shown = list(images[first]) + list(np.asarray(resize(digits[first])))
titles = [f"{class_names[labels[i]]}: 28x28 grey" for i in first]
titles += [f"{class_names[labels[i]]}: {IMAGE_SIZE}x{IMAGE_SIZE} RGB" for i in first]
fig = plots.image_grid(shown, titles, ncols=len(first), suptitle="Digits and network input")
print("saved", plots.save_figure(fig, RESULTS / "09_digits.png"))

# %% [markdown]
# ## One set of folds for every feature set
#
# `StratifiedKFold` (shuffled, seeded) cuts the sample into `FOLDS` parts that each keep the
# share of 8s and 6s; each part is the test set once while the model trains on the rest. The
# **same** `cv` object goes to every `cross_validate` below, so every feature set is scored on
# the same folds: on each fold we can subtract one score from another (a *paired*
# difference), which is far less noisy than comparing two means.

# %%
cv = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
for fold, (train, test) in enumerate(cv.split(images, labels), start=1):
    share = labels[test].mean()
    print(f"fold {fold}: train {len(train)}, test {len(test)}, share of {DIGITS[0]}s {share:.3f}")

# %% [markdown]
# Every score is kept in `scores` (per fold) and `facts` (what the features are); `evaluate`
# is the one call that fills them.

# %%
scoring = {"accuracy": "accuracy", "f1": "f1_macro"}
scores, facts = {}, {}


def evaluate(name, X, estimator, **about):
    """Cross-validate ``estimator`` on the features ``X`` with the shared ``cv``."""
    result = cross_validate(estimator, X, labels, cv=cv, scoring=scoring)
    scores[name] = pd.DataFrame({"accuracy": result["test_accuracy"], "f1": result["test_f1"]})
    facts[name] = {**about, "dim": X.shape[1]}
    acc = result["test_accuracy"]
    print(f"{name}: accuracy {acc.mean():.2%} ± {acc.std(ddof=1):.2%} over {FOLDS} folds")


# %% [markdown]
# ## The article's pipeline
#
# What the article states and what we had to assume:
#
# | | the article | here |
# |---|---|---|
# | digits | 8 and 6, about 8,200 | 8 and 6 of all of MNIST, a sample of `N_SAMPLES` |
# | labels | 8 → 1, 6 → 0 | the same |
# | VGG-16 input | 224 × 224 (25,088 features after `flatten`) | `IMAGE_SIZE` × `IMAGE_SIZE` |
# | pixel scaling | not given | divided by 255, pixels and network input (**our assumption**) |
# | classifier | logistic regression | `LogisticRegression()`, `C=1` (**our assumption**) |
# | evaluation | 10-fold cross-validation | `FOLDS` stratified, shuffled folds |
#
# `C=1` is scikit-learn's default; we only raise `max_iter` so that the fit converges.
#
# **Raw pixels**: each digit is its 784 pixel values divided by 255.

# %%
article_lr = LogisticRegression(max_iter=2000)
X_pixels = images.reshape(len(images), -1) / 255.0
evaluate("raw pixels", X_pixels, article_lr, input="x/255", layer="-", classifier="LR")

# %% [markdown]
# **VGG-16 features**: the convolutional base without its classifier, with the ImageNet
# weights, the digits divided by 255 on the way in, the output of the last block
# (`block5_pool`) flattened. `cache.predict` (`utils/cache.py`) is `model.predict` over the
# digits followed by `np.save` under a readable name in `CACHE_DIR`, the first time; a re-run
# with the same model, weights and digits loads the file with `np.load` instead (change any of
# them and it computes anew).

# %%
base = keras.applications.VGG16(
    include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
)


def vgg16_features(name, *layers):
    """The digits through ``resize`` and ``layers``: ``predict`` the first time, ``np.load``
    after."""
    model = keras.Sequential([keras.Input(digits.shape[1:]), resize, *layers])
    name = f"mnist_{DIGITS[0]}_vs_{DIGITS[1]}_{name}"
    return cache.predict(model, digits, name, CACHE_DIR, batch_size=BATCH_SIZE)


X_article = vgg16_features(
    "vgg16_x255_block5_pool", keras.layers.Rescaling(1 / 255), base, keras.layers.Flatten()
)
ARTICLE = "VGG-16, the article's pipeline"
evaluate(ARTICLE, X_article, article_lr, input="x/255", layer="block5_pool", classifier="LR")

# %% [markdown]
# ### Paired, fold by fold
#
# Accuracy and F1 (the mean of the two classes' F1, so neither digit is favoured) on each fold,
# and the difference VGG-16 minus pixels on the same fold. The rule for the verdict: a mean
# difference no larger than its spread across folds (their standard deviation) is noise;
# transfer is negative only when VGG-16 is worse by more than that spread.

# %%
table = pd.concat(scores, axis=1)
table.index = pd.RangeIndex(1, FOLDS + 1, name="fold")
table[("VGG-16 minus pixels", "accuracy")] = (
    scores[ARTICLE]["accuracy"] - scores["raw pixels"]["accuracy"]
).to_numpy()
table = pd.concat([table, table.agg(["mean", "std"])])
table.to_csv(RESULTS / "09_negative_transfer_folds.csv")
table.round(4)

# %%
diff = scores[ARTICLE]["accuracy"] - scores["raw pixels"]["accuracy"]
better, worse = int((diff > 0).sum()), int((diff < 0).sum())
print(f"VGG-16 minus pixels: {diff.mean():+.2%} ± {diff.std():.2%} over the folds")
print(f"VGG-16 better on {better} folds, worse on {worse}, equal on {FOLDS - better - worse}")
if abs(diff.mean()) <= diff.std():
    verdict = "no clear difference: the mean is within the fold-to-fold spread"
elif diff.mean() < 0:
    verdict = "yes: VGG-16 is worse by more than the fold-to-fold spread"
else:
    verdict = "no: VGG-16 is better by more than the fold-to-fold spread"
print("negative transfer in this run:", verdict)

# %% [markdown]
# ## What chance looks like: labels shuffled
#
# The article's 50 % is what a classifier scores when features and labels have nothing to do
# with each other. `permutation_test_score` measures that directly: it shuffles the labels
# `N_PERMUTATIONS` times, cross-validates on the same folds each time, and gives the p-value
# of the real score: the share of shuffles (counting the real labels as one) that scored at
# least as well, so never below 1 / (`N_PERMUTATIONS` + 1). Each shuffle costs a whole
# cross-validation, and a logistic regression fitting labels that mean nothing is slow to
# converge: the default of 3 shows what chance scores; 19 or more can give a p-value of 0.05
# or less (with 19, exactly 0.05 at best: exercise 4).

# %%
start = time.perf_counter()
real, shuffled, pvalue = permutation_test_score(
    article_lr, X_article, labels, cv=cv, n_permutations=N_PERMUTATIONS, random_state=SEED
)
print(f"{N_PERMUTATIONS} shuffles in {time.perf_counter() - start:.0f} s")
print(f"real labels: {real:.2%}; shuffled: {shuffled.mean():.2%} on average,", end=" ")
print(f"{shuffled.max():.2%} at best; p-value {pvalue:.3f}")
fig, ax = plt.subplots(figsize=(7, 3))
ax.hist(shuffled, bins=10, label="labels shuffled")
ax.axvline(real, color="black", linestyle="--", label="real labels")
ax.set_xlabel("accuracy (mean over the folds)")
ax.set_title("VGG-16 features, the article's pipeline")
ax.legend()
print("saved", plots.save_figure(fig, RESULTS / "09_permutation_test.png"))

# %% [markdown]
# ## The article's three explanations, one at a time
#
# Each variant changes one thing and is scored on the same folds. From here on the classifier
# is `make_pipeline(StandardScaler(), LogisticRegression())`: network activations differ in
# scale by orders of magnitude between channels, and the L2 penalty of the logistic regression
# treats them alike only once each is standardised (the first row below tells what the scaler
# alone changes).
#
# - **Grey digits in a colour network.** Every VGG-16 row gets grey digits copied into three
#   channels, so the article's pipeline above already measures it; here we also feed them the
#   way VGG-16 was trained: `keras.applications.vgg16.preprocess_input` (channels in BGR order,
#   the ImageNet mean of each subtracted, values in [0, 255]). Divided by 255, a digit reaches
#   the first layer about 255 times weaker than anything the network saw in training.
# - **ImageNet's "background noise" in the deep features.** The deepest block is the most
#   specific to ImageNet; earlier blocks hold more generic features (edges, strokes,
#   textures). We take `block3_pool` and `block4_pool` beside `block5_pool`, and global
#   average pooling (512 numbers: whether a feature fired, not where). Blocks 1 to 4 run once
#   for all three of the last rows: `cache.predict` keeps `block4_pool`'s output (rounded to
#   float16, a relative 0.05 % at most) and computes block 5 from it.
# - **1,000 classes versus two.** `include_top=False` (like the article's cut at `flatten`)
#   drops the 1,000-class classifier, and a new two-class logistic regression is trained on
#   the features: the number of ImageNet classes can only matter through what the features
#   learned. VGG-16 with **random** weights (same architecture, nothing learned from ImageNet)
#   tells how much ImageNet training adds at all.

# %%
scaled_lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
if RUN_VARIANTS:
    about = {"layer": "block5_pool", "classifier": "scaler + LR"}
    evaluate(f"{ARTICLE}, scaled", X_article, scaled_lr, input="x/255", **about)

    preprocess = pretrained.preprocessing_layer("vgg16")  # vgg16.preprocess_input as a layer
    block3, block4 = (
        keras.Model(base.input, base.get_layer(name).output)
        for name in ("block3_pool", "block4_pool")
    )
    extractors = {  # VGG-16 up to a block, then its maps flattened or averaged
        "block3_pool": [block3, keras.layers.Flatten()],
        "block4_pool": [block4, keras.layers.Flatten()],
        "block5_pool": [base, keras.layers.Flatten()],
        "block5_average": [base, keras.layers.GlobalAveragePooling2D()],
    }
    for name, layers in extractors.items():
        X = vgg16_features(f"vgg16_preprocess_{name}", preprocess, *layers)
        about = {"input": "preprocess_input", "layer": name, "classifier": "scaler + LR"}
        evaluate(f"VGG-16 preprocessing, {name}", X, scaled_lr, **about)

# %% [markdown]
# The same network with random weights:

# %%
if RUN_VARIANTS:
    random_base = keras.applications.VGG16(include_top=False, weights=None, input_shape=SHAPE)
    X_random = vgg16_features(
        "vgg16_random_block5_pool", preprocess, random_base, keras.layers.Flatten()
    )
    about = {"input": "preprocess_input", "layer": "block5_pool", "classifier": "scaler + LR"}
    evaluate("VGG-16 random weights, block5_pool", X_random, scaled_lr, **about)

# %% [markdown]
# ## All feature sets
#
# Mean accuracy and its standard deviation over the folds, mean F1, the mean paired difference
# with the raw pixels and on how many folds each feature set beats or trails them.

# %%
rows = []
for name, folds in scores.items():
    d = folds["accuracy"] - scores["raw pixels"]["accuracy"]
    rows.append(
        {
            "features": name,
            **facts[name],
            "accuracy": folds["accuracy"].mean(),
            "std": folds["accuracy"].std(),
            "f1": folds["f1"].mean(),
            "minus pixels": d.mean(),
            "better/worse": f"{(d > 0).sum()}/{(d < 0).sum()}",
        }
    )
variants = pd.DataFrame(rows)
variants.to_csv(RESULTS / "09_negative_transfer_variants.csv", index=False)
variants.round(4)

# %%
fig, ax = plt.subplots(figsize=(9, 0.45 * len(variants) + 1.4))
ax.barh(variants["features"], variants["accuracy"], xerr=variants["std"], capsize=3)
ax.invert_yaxis()
ax.axvline(0.5, color="grey", linestyle="--", label="chance")
ax.axvline(variants["accuracy"].iloc[0], color="black", linestyle=":", label="raw pixels")
ax.set_xlim(min(0.45, variants["accuracy"].min() - 0.05), 1.0)
ax.set_xlabel(f"accuracy, mean over {FOLDS} folds (whiskers: std)")
ax.set_title(f"Digits {DIGITS[0]} vs {DIGITS[1]}")
ax.legend(loc="lower left")
print("saved", plots.save_figure(fig, RESULTS / "09_negative_transfer_variants.png"))

# %% [markdown]
# ## What this run says about the explanations
#
# Computed from the table above, for this run's parameters.

# %%
acc = variants.set_index("features")["accuracy"]
mean_diff = variants.set_index("features")["minus pixels"]
print(f"Chance: 50%; shuffled labels: {shuffled.mean():.1%}.")
print(f"The article's pipeline: {acc[ARTICLE]:.1%} against {acc['raw pixels']:.1%} for pixels.")
if RUN_VARIANTS:
    print("1. Grey digits in a colour network: grey copied to RGB,")
    print(f"   divided by 255: {acc[ARTICLE + ', scaled']:.1%} (scaled);")
    print(f"   VGG-16's own preprocessing: {acc['VGG-16 preprocessing, block5_pool']:.1%}.")
    print("2. Background noise in the deep features, by block (VGG-16 preprocessing):")
    for layer in ("block3_pool", "block4_pool", "block5_pool", "block5_average"):
        name = f"VGG-16 preprocessing, {layer}"
        print(f"   {layer:<15} {acc[name]:.1%} ({mean_diff[name]:+.2%} vs pixels)")
    added = scores["VGG-16 preprocessing, block5_pool"]["accuracy"]  # fold by fold: paired
    added = added - scores["VGG-16 random weights, block5_pool"]["accuracy"]
    print("3. What ImageNet adds at block 5 (mean ± spread of the paired differences):")
    print(f"   ImageNet weights minus random weights: {added.mean():+.2%} ± {added.std():.2%}")

# %% [markdown]
# How to read it: a feature set near 50 % with shuffled labels near 50 % too would confirm the
# article; a feature set well above 50 % means the features carry the digit, whatever their
# origin. Transfer hurts, by the rule of the paired table, where a transferred feature set
# trails its baseline without transfer by more than the fold-to-fold spread: the raw pixels
# (the `minus pixels` and `better/worse` columns), or, for ImageNet's weights, the same
# network with random weights (line 3 above, with its spread). A deeper block scoring below
# an earlier one is not negative transfer by itself (both are transferred), but says which of
# ImageNet's features suit digits least. Read the lines printed above with these rules; the
# `cpu`-profile run in `BENCHMARKS.md` (3,000 real digits at 64 × 64, real ImageNet weights)
# gives a table to compare yours with.
#
# **How could a pipeline reach 50 %?** The article does not show enough to tell. The usual
# ways to reach chance on two balanced classes:
#
# - *features and labels out of order*, for instance features predicted from a **shuffled**
#   image generator while the labels are read in file order: that is exactly the shuffled
#   labels above;
# - *degenerate inputs*: a resize that returns blank images, or pixels scaled to [0, 1] and
#   then cast to integers (almost all zeros), so that every digit gives nearly the same
#   features;
# - *an evaluation artefact*: a classifier that did not converge, or folds whose classes differ
#   from training (stratified folds rule this out here).
#
# A score at exactly chance on a balanced problem is a reason to check the pipeline before
# concluding anything about transfer. The article also suggests other layers or fine-tuning;
# the layers are measured above, and notebook 06 shows how to fine-tune a block.

# %% [markdown]
# ## Takeaways
#
# - **Negative transfer is a comparison, not a score.** It needs baselines without transfer
#   (raw pixels, the same network with random weights) scored on the same folds, and a gap
#   larger than the fold-to-fold spread.
# - **Share one `cv` object** between every `cross_validate` call: the folds are then paired,
#   and a fold-by-fold difference says more than two means.
# - **Know what chance looks like.** `permutation_test_score` shows the score of features that
#   have nothing to do with the labels; a result that matches it is a bug until proven
#   otherwise.
# - **Distant domains do not make pretrained features useless by default.** Early and middle
#   blocks detect edges, strokes and curves, which digits are made of; the deepest block is
#   the one to doubt. Trying earlier blocks, pooling and the backbone's own preprocessing is
#   cheap once features are cached.
# - **A near-perfect baseline leaves little room.** When raw pixels already score close to
#   100 %, transfer can add little; it pays off when target data are scarce and the baseline
#   is weak, as with the cat and dog photos of notebooks 02 to 07.
#
# ## Try it
#
# Each exercise changes the parameters cell. Point `RESULTS_DIR` at another folder first
# (`"../results-try"`) to keep the tables of the default run; keep `CACHE_DIR`, so that the
# feature sets already computed load.
#
# 1. **The article's input size.** Set `IMAGE_SIZE = 224`, and on a CPU `N_SAMPLES = 1000`
#    with `FOLDS = 5`: each digit then costs VGG-16 about (224 / 64)² ≈ 12 times the work it
#    costs at 64 × 64. Read the `dim` column of the table of all feature sets.
#    <details><summary>Answer</summary>
#    VGG-16's five poolings halve 224 five times: `block5_pool` is 7 x 7 x 512 = 25,088
#    numbers, the article's count; `block4_pool` 14 x 14 x 512 = 100,352; `block3_pool`
#    28 x 28 x 256 = 200,704 (0.8 GB in float32 for 1,000 digits); the average over
#    `block5_pool`'s 49 cells stays 512, and the raw pixels 784. Compare the accuracies with
#    the run at 64 × 64: the same digit now reaches the deep blocks at a finer scale, and a
#    logistic regression fits many more features with fewer digits.
#    </details>
# 2. **VGG-16's smallest input.** Set `IMAGE_SIZE = 32` (the smoke test's size), then 31.
#    <details><summary>Answer</summary>
#    At 32 `block5_pool` is 1 x 1 x 512: flattening it and averaging its one cell give the
#    same 512 numbers, so the rows `block5_pool` and `block5_average` hold the same
#    features, the same `dim` (512) and the same scores; `block4_pool` is 2 x 2 x 512 =
#    2,048. At 31 the cell that builds VGG-16 stops with `ValueError: Input size must be at
#    least 32x32`: five 2 x 2 poolings need 32 pixels to leave one cell.
#    </details>
# 3. **Another pair of digits.** Set `DIGITS = (4, 9)`. Read the first printed line, then
#    compare the verdict and the table with the run on 8 and 6.
#    <details><summary>Answer</summary>
#    `13782 images of the digits (4, 9) in MNIST` (6,824 fours and 6,958 nines among
#    MNIST's 70,000); the 4s are class 1 now, and every feature set is computed under new
#    names (`mnist_4_vs_9_...`). A 4 and a 9 differ by a closed or an open top on the same
#    stroke, so the pixels may leave more room below 100 % than for 8 and 6: compare the
#    difference VGG-16 minus pixels and its spread across the folds with the default run,
#    with the takeaway on near-perfect baselines in mind.
#    </details>
# 4. **A p-value that can mean something.** Set `N_PERMUTATIONS = 19` (`RUN_VARIANTS =
#    False` saves time) and read the line the permutation test prints.
#    <details><summary>Answer</summary>
#    The p-value is the share of the 20 label sets (19 shuffles and the real labels) that
#    score at least as well as the real labels, so it is a multiple of 1/20 and never below
#    0.05; when no shuffle comes near the real labels it is exactly 0.050, the smallest value
#    this test can give. The printed time grows with the shuffles: each is a whole
#    cross-validation.
#    </details>
#
# ## What a full run costs
#
# - **The article's settings** (about 8,200 digits at 224 × 224) on a GPU: not measured here;
#   the VGG-16 pass dominates.
# - **The defaults** (3,000 digits at 64 × 64, 10 folds, 3 shuffles) on a 2-core CPU: 4.7
#   minutes for the previous version of this notebook in the run of 2026-11-24 of
#   `BENCHMARKS.md` (2-core AMD EPYC, nothing else running), VGG-16's pass included (the run
#   started with no cache). The features are cached, so a re-run skips VGG-16.
# - **The permutation test** is the part that grows with its parameter: each shuffle is one
#   more cross-validation, `FOLDS` logistic regressions on labels that mean nothing, which are
#   slow to converge. Its cell prints how long the shuffles took in your run; 19 shuffles
#   take about 19 / `N_PERMUTATIONS` times that.
# - **Since the run of 2026-11-24** each feature set is its own `cache.predict` call: on a
#   first run blocks 1 to 3 run once more for `block3_pool` and block 5 twice (`block5_pool`,
#   `block5_average`), about 0.7 of a VGG-16 pass more than that version's one pass for the
#   three blocks (blocks 1 to 3 hold 61 % of VGG-16's multiply-adds, block 5 9 %); not
#   measured here.
