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
# # Cats vs dogs: VGG-16 as a frozen feature extractor
#
# **Description:** reuse the convolutional base of VGG-16, trained on ImageNet, to turn each
# photo into "bottleneck features", and train small classifiers on them.
#
# ## Introduction
#
# The networks of notebooks 02 and 03 learned every filter from 3,000 photos. VGG-16 learned
# its 13 convolution layers from 1.2 million ImageNet photos, many of them cats and dogs. Here
# we keep those layers **frozen** and use their output, a 4 x 4 x 512 block of features per
# 150 x 150 photo, as the input of a new classifier. This is the book's first pretrained model
# (chapter 5, "pre-trained CNN model as a feature extractor"), plus three things the book
# does not do:
#
# 1. the features of every split are computed **once** and cached on disk (`CACHE_DIR`), keyed
#    by the weights, input size, preprocessing and the exact file list: notebooks 05 and 06
#    and any re-run reuse them, and a changed split never reuses stale features;
# 2. a **logistic regression** on the pooled features (512 numbers per photo), a light linear
#    model that often matches the dense head;
# 3. the book scales pixels by 1/255, but VGG-16 was trained on its own preprocessing (BGR,
#    ImageNet means subtracted): we measure both on the same photos.
#
# The saved model takes raw photos, like all the course's models: base plus head in one file.

# %% [markdown]
# ## Setup
#
# `WEIGHTS="imagenet"` downloads the ImageNet weights once (Keras caches them). Offline, pass
# the path of the file `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`, or put it in a
# folder named by the environment variable `TL_WEIGHTS_DIR` (see `utils/pretrained.py`).
# `MIXED_PRECISION=True` extracts features in bfloat16 (faster on recent CPUs, see the end).
# `COMPARE_PER_CLASS` / `COMPARE_TEST_PER_CLASS` size the preprocessing comparison
# (`None`: whole splits), `BENCHMARK_IMAGES` the throughput benchmark (`0`: skip).

# %% tags=["parameters"]
DATA_DIR = "../data/cats-vs-dogs"
MODELS_DIR = "../models"
RESULTS_DIR = "../results"
CACHE_DIR = "../cache"
IMAGE_SIZE = 150
BATCH_SIZE = 30
EPOCHS = 30
SEED = 42
WEIGHTS = "imagenet"
LEARNING_RATE = 1e-4
MIXED_PRECISION = False
COMPARE_PER_CLASS = 300
COMPARE_TEST_PER_CLASS = 100
BENCHMARK_IMAGES = 300

# %%
import json
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from IPython.display import display

from utils import features, heads, plots, pretrained, saving, training

training.setup(SEED, MODELS_DIR, RESULTS_DIR, CACHE_DIR)
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
notebook_start = time.perf_counter()

# %% [markdown]
# ## The convolutional base
#
# `include_top=False` drops VGG-16's ImageNet classifier (the dense layers); what remains maps a
# photo to feature maps. Freezing it (`trainable=False`) keeps its ImageNet weights as they
# are: the table shows every layer frozen, as in the book.

# %%
base = pretrained.load_backbone("vgg16", weights=WEIGHTS, input_shape=SHAPE, trainable=False)
print("output:", base.output_shape, pretrained.trainable_summary(base))
pretrained.layer_table(base)

# %% [markdown]
# The features are computed by `extractor`: the same base, or with `MIXED_PRECISION` the same
# weights computing in bfloat16. The saved model always uses the float32 `base`.

# %%
extractor = pretrained.feature_extractor(base, WEIGHTS, MIXED_PRECISION)
print("extractor dtype policy:", extractor.dtype_policy.name)

# %% [markdown]
# ## Bottleneck features, computed once
#
# Each photo goes through the base once, streamed from disk with `tf.data` and VGG-16's own
# `preprocess_input`; the result is saved as `.npy` in `CACHE_DIR`. On a re-run, `cache_hit`
# is `True` and loading takes a fraction of a second.

# %%
split = features.split_features(
    extractor, DATA_DIR, IMAGE_SIZE, "vgg16", BATCH_SIZE, CACHE_DIR, name="vgg16"
)
class_names = split.class_names
y = split.labels
print("classes:", class_names, "| features:", {k: v.shape for k, v in split.features.items()})
display(split.stats)

# %% [markdown]
# Asking again for the same features only reads the cache:

# %%
again: dict = {}
features.extract_features(
    extractor, split.paths["train"], IMAGE_SIZE, "vgg16", BATCH_SIZE, CACHE_DIR,
    name="vgg16_train", progress=False, stats=again,
)  # fmt: skip
first = split.stats.loc["train", "seconds"]
print(f"train features: {first:.2f} s, then {again['seconds']:.2f} s (cache hit: "
      f"{again['cache_hit']}, {again['seconds'] / first:.1%} of the first call)")  # fmt: skip

# %% [markdown]
# What the classifier sees: one photo and the bottleneck channels that respond most to it.
# Each is a coarse map (4 x 4 at 150 x 150) where bright cells mark where a learned pattern
# was found.

# %%
one = features.load_images(split.paths["train"][:1], IMAGE_SIZE)[0]
fig = features.feature_map_figure(one, split.features["train"][0], n_channels=7)

# %% [markdown]
# ## The book's dense head on the cached features
#
# Flatten the 4 x 4 x 512 block to 8,192 numbers, then Dense 512, Dropout 0.3, Dense 512,
# Dropout 0.3 and one sigmoid unit; RMSprop with learning rate 1e-4, 30 epochs. Since the
# base is frozen, training on cached features is exactly training base plus head, only much
# faster: an epoch takes seconds instead of minutes.

# %%
head = heads.book_head(split.features["train"].shape[1:], n_classes=len(class_names))
training.compile_for(head, len(class_names), keras.optimizers.RMSprop(LEARNING_RATE))
train_ds = heads.array_dataset(split.features["train"], y["train"], BATCH_SIZE, True, SEED)
val_ds = heads.array_dataset(split.features["validation"], y["validation"], BATCH_SIZE)
history = training.fit_and_save(
    head, train_ds, val_ds, epochs=EPOCHS, name="cats_dogs_tlearn_basic_cnn_head",
    class_names=class_names, models_dir=MODELS_DIR, results_dir=RESULTS_DIR,
    input="vgg16 bottleneck features", image_size_of_photos=IMAGE_SIZE, notebook="04",
    learning_rate=LEARNING_RATE,
)  # fmt: skip
fig = plots.plot_history(history, "VGG-16 features + dense head")
plots.save_figure(fig, Path(RESULTS_DIR) / "cats_dogs_tlearn_basic_cnn_history.png")

# %% [markdown]
# ## One model that takes photos
#
# Head and base go together into one model (raw photo, VGG-16 preprocessing layer, frozen base,
# head), saved as `cats_dogs_tlearn_basic_cnn.h5` with the head's training facts. We check that
# the saved model, reloaded, gives the same predictions on photos as the head on the cached
# features.

# %%
model = heads.transfer_model(base, head, "vgg16", name="vgg16_feature_extractor")
head_info = saving.load_info(Path(MODELS_DIR) / "cats_dogs_tlearn_basic_cnn_head.h5")
model_path = saving.save_model(
    model, Path(MODELS_DIR) / "cats_dogs_tlearn_basic_cnn.h5", class_names,
    **heads.training_facts(head_info), features="cached, float32 base",
)  # fmt: skip
reloaded, _ = saving.load_model(model_path)
n_check = min(30, len(split.paths["test"]))
photos = features.load_images(split.paths["test"][:n_check], IMAGE_SIZE)
from_photos = reloaded.predict(photos, verbose=0)
from_features = head.predict(split.features["test"][:n_check], verbose=0)
print(f"saved model on {n_check} test photos vs head on their cached features: "
      f"max difference {np.abs(from_photos - from_features).max():.2e}")  # fmt: skip

# %% [markdown]
# ## A linear model on pooled features
#
# Averaging each of the 512 feature maps over its 4 x 4 cells gives 512 numbers per photo. A
# standardised logistic regression on them (its `C` picked on the validation split) is the
# "light model on bottleneck features" strategy: no epochs, trained in a second.

# %%
pooled = {k: features.pool_features(v) for k, v in split.features.items()}
probe, c_scores = heads.linear_probe(
    pooled["train"], y["train"], pooled["validation"], y["validation"], seed=SEED
)
print("validation accuracy by C:", c_scores)

# %%
results = pd.DataFrame(
    [
        {
            "model": "VGG-16 features + dense head (book)",
            "validation_accuracy": heads.accuracy(
                head, split.features["validation"], y["validation"]
            ),
            "test_accuracy": heads.accuracy(head, split.features["test"], y["test"]),
            "train_seconds": head_info["train_seconds"],
        },
        {
            "model": "VGG-16 pooled features + logistic regression",
            "validation_accuracy": probe.score(pooled["validation"], y["validation"]),
            "test_accuracy": probe.score(pooled["test"], y["test"]),
            "train_seconds": None,
        },
    ]
).set_index("model")
results.round(4)

# %% [markdown]
# ## The book's x/255 against VGG-16's own preprocessing
#
# VGG-16 was trained on BGR images with the ImageNet mean pixel subtracted
# (`keras.applications.vgg16.preprocess_input`). The book feeds it RGB values divided by 255
# instead, far from anything it saw in training. Same photos, same classifier (logistic
# regression on pooled features, `C = 0.1`), only the preprocessing differs:

# %%
train_idx = features.per_class_indices(y["train"], COMPARE_PER_CLASS)
test_idx = features.per_class_indices(y["test"], COMPARE_TEST_PER_CLASS)
sub_paths = {
    "train": [split.paths["train"][i] for i in train_idx],
    "test": [split.paths["test"][i] for i in test_idx],
}
rescaled = {
    k: features.extract_features(
        base, p, IMAGE_SIZE, "rescale", BATCH_SIZE, CACHE_DIR, name=f"vgg16_rescale_{k}"
    )
    for k, p in sub_paths.items()
}
proper = {"train": split.features["train"][train_idx], "test": split.features["test"][test_idx]}
preprocessing = pd.DataFrame(
    {
        "train_images": len(train_idx),
        "test_images": len(test_idx),
        "test_accuracy": [
            heads.probe_accuracy(
                features.pool_features(f["train"]),
                y["train"][train_idx],
                features.pool_features(f["test"]),
                y["test"][test_idx],
                seed=SEED,
            )  # fmt: skip
            for f in (proper, rescaled)
        ],
    },
    index=["vgg16.preprocess_input", "x / 255 (book)"],
)
display(preprocessing)

# %% [markdown]
# ## How fast is extraction?
#
# The streamed extraction (read, decode, resize, preprocess, predict) against plain
# `model.predict` on the same photos already decoded in memory: a ratio near 1 means the
# pipeline keeps the model busy. Then the same for `mixed_bfloat16`, which computes in
# bfloat16 with float32 weights: we compare speed and the logistic regression's accuracy on the
# comparison photos.

# %%
benchmark = pd.DataFrame()
if BENCHMARK_IMAGES:
    bench_paths = split.paths["train"][:BENCHMARK_IMAGES]
    arrays = features.load_images(bench_paths, IMAGE_SIZE, "vgg16", BATCH_SIZE)
    bf16 = (
        extractor
        if MIXED_PRECISION
        else pretrained.load_backbone("vgg16", WEIGHTS, SHAPE, mixed_precision=True)
    )
    rows = {}
    for label, net in (("float32", base), ("mixed_bfloat16", bf16)):
        raw = features.predict_throughput(net, arrays, BATCH_SIZE)
        stats: dict = {}
        features.extract_features(
            net, bench_paths, IMAGE_SIZE, "vgg16", BATCH_SIZE, None, progress=False, stats=stats
        )
        sub = proper if net is extractor else {
            k: features.extract_features(
                net, p, IMAGE_SIZE, "vgg16", BATCH_SIZE, CACHE_DIR, name=f"vgg16_sub_{k}",
                progress=False,
            )
            for k, p in sub_paths.items()
        }  # fmt: skip
        rows[label] = {
            "predict_on_arrays_img_s": raw,
            "streamed_extraction_img_s": stats["images_per_second"],
            "ratio": stats["images_per_second"] / raw,
            "subset_test_accuracy": heads.probe_accuracy(
                features.pool_features(sub["train"]),
                y["train"][train_idx],
                features.pool_features(sub["test"]),
                y["test"][test_idx],
                seed=SEED,
            ),  # fmt: skip
        }
    benchmark = pd.DataFrame(rows).T
    benchmark["speedup"] = (
        benchmark["streamed_extraction_img_s"] / rows["float32"]["streamed_extraction_img_s"]
    )
benchmark.round(3)

# %% [markdown]
# ## Results
#
# Saved to `RESULTS_DIR` for notebook 07's comparison of all models.

# %%
summary = {
    "image_size": IMAGE_SIZE,
    "weights": str(WEIGHTS),
    "extraction_seconds": split.stats["seconds"].to_dict(),
    "cache_hit_seconds": again["seconds"],
    "notebook_seconds": round(time.perf_counter() - notebook_start, 1),
}
results.to_csv(Path(RESULTS_DIR) / "04_vgg16_feature_extractor.csv")
preprocessing.to_csv(Path(RESULTS_DIR) / "04_preprocessing_comparison.csv")
benchmark.to_csv(Path(RESULTS_DIR) / "04_extraction_benchmark.csv")
(Path(RESULTS_DIR) / "04_summary.json").write_text(json.dumps(summary, indent=2, default=str))
print(summary)
results.round(4)
