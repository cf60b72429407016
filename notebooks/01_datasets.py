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
# # Cats vs dogs: building the datasets
#
# **Description:** pick the book's 1,500 / 500 / 500 photos per class out of Kaggle's 25,000
# and write them as reproducible `train / validation / test` folders.
#
# ## Introduction
#
# Chapter 5 of *Hands-On Transfer Learning with Python* (D. Sarkar, R. Bali, T. Ghosh, Packt,
# 2018) starts its cats-vs-dogs case study with a constraint: few photos per class. Out of the
# 12,500 cats and 12,500 dogs of Kaggle's *Dogs vs. Cats* `train.zip`, it keeps 1,500 of each
# for training, 500 of each for validation and 500 of each for testing (its notebook
# `Datasets Builder.ipynb`, in the `Ch05` folder of
# <https://github.com/dipanjanS/hands-on-transfer-learning-with-python>). You will learn:
#
# 1. **why so few photos, and why three splits**: the "little data" premise of the case
#    study, and what the validation and the held-out test split are each for;
# 2. **the book's recipe**: list each class's files, draw a seeded random sample without
#    replacement, and cut it into the three splits;
# 3. **what a split needs on top of it** to be reproducible and safe, and how
#    `build_dataset.py` (here one call, `builder.build_cats_vs_dogs`) provides it;
# 4. **how to check a split**: no photo in two splits, the counts per class, the files left out;
# 5. the same builder for the dog-breed photos of notebook 08 (and for your own folders:
#    `python build_dataset.py folders`).

# %% [markdown]
# ## Setup
#
# `SOURCE_DIR` is Kaggle's unzipped `train/` folder (`cat.0.jpg`, `dog.0.jpg`, ...) or a
# `PetImages/` folder with `Cat/` and `Dog/` inside; `None` downloads Microsoft's public
# PetImages archive (needs internet). `TRAIN`, `VALIDATION` and `TEST` are counts per class;
# `FORCE = True` rebuilds a split that already exists.

# %% tags=["parameters"]
SOURCE_DIR = "../data/dogs-vs-cats/train"
DATA_DIR = "../data/cats-vs-dogs"
TRAIN = 1500
VALIDATION = 500
TEST = 500
SEED = 42
FORCE = False
BREEDS_SOURCE_DIR = "../data/dog-breed-identification"
BREEDS_DATA_DIR = "../data/dog-breeds"
IMAGE_SIZE = 150
SAMPLES_PER_CLASS = 5

# %%
import utils  # noqa: F401 (first, before Keras: TensorFlow loads without start-up messages)

# isort: split
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import display

from utils import dataset_builder as builder
from utils import split_folder
from utils.data import read_images, sample_paths
from utils.plots import image_grid

# %% [markdown]
# ## Why so few photos, and why three splits
#
# **Little data on purpose.** Kaggle's folder holds 25,000 labelled photos, enough to train
# a good classifier without any transfer. The book sets most of them aside on purpose: its
# question is what to do when labelled examples are scarce, the usual situation in practice
# (a new product, medical images, one company's own data) and the one transfer learning is
# for (notebook 00). So each class gets 1,500 photos for training, 3,000 in all, about an
# eighth of what Kaggle offers. On so few photos a CNN trained from scratch memorises its
# training set (notebook 02 measures how much), which leaves room for pretrained features to
# show what they add (notebooks 04 to 06); notebook 10 then varies the number of training
# photos to see how the gap between the two changes.
#
# **Three splits, one job each.**
#
# - The *training* split fits the weights.
# - The *validation* split is where every choice is made: which epoch to keep, the learning
#   rate, the head, the regularisation, the `C` of notebook 04's logistic regression. A
#   choice picked for its validation score fits the validation split a little as well, so
#   the validation accuracy of the chosen model is optimistic, the more so the more choices
#   were tried.
# - The *test* split is held out from all of that and scored once per model, in notebook
#   07: the only estimate of how a chosen model does on photos that had no part in choosing
#   it. That is what the book reports as its final comparison.
#
# The book puts 500 photos of each class in both held-out splits. On 1,000 photos one photo
# is 0.1 points of accuracy, and an accuracy near 90 % is known to within about ±2 points
# (a 95 % binomial interval): two models a point apart on it are not reliably different.

# %% [markdown]
# ## The book's recipe: a seeded draw per class
#
# The book lists the folder with `glob`, keeps the names that contain `cat` (or `dog`), draws
# 1,500 of each class with `np.random.choice(..., replace=False)` after `np.random.seed(42)`,
# removes them from the list, draws the 500 validation photos from what is left, then the
# 500 test photos, and copies each split with `shutil.copy` into a flat folder
# (`training_data/`, `validation_data/`, `test_data/`), the class staying in the file name.
#
# The cell below is the same selection, written so that it gives the same files on every
# machine: the names are **sorted** before the draw (a folder listing has no fixed order, and
# the book's `list(set(...))` between its draws follows Python's string hashing, which
# changes with every process), a class is told by the start of the *file name* (`'cat' in
# path` would also match every dog under a folder called `dogs-vs-cats/`), and one draw of
# `TRAIN + VALIDATION + TEST` names per class is cut into three slices, so no name can land
# in two splits. It only prints the counts and copies nothing; a `PetImages` folder, your own
# folders or `SOURCE_DIR = None` are left to the builder below (the cell then prints why it
# draws nothing). The first number it prints per class is the size of the source: on
# Kaggle's `train/` folder, the 12,500 cats and 12,500 dogs the book counts first (a sample
# of that folder prints its own, smaller count).

# %%
need = TRAIN + VALIDATION + TEST
names = {"cat": [], "dog": []}
if SOURCE_DIR:  # Kaggle's flat folder: cat.0.jpg, cat.1.jpg, ..., dog.0.jpg, ...
    names = {c: sorted(p.name for p in Path(SOURCE_DIR).glob(f"{c}.*.jpg")) for c in names}
if min(len(n) for n in names.values()) < need:
    print(f"No draw here: {SOURCE_DIR} is not a Kaggle train/ folder with {need} photos per class")
else:
    rng = np.random.default_rng(SEED)
    for cls, files in names.items():
        picked = rng.choice(files, size=need, replace=False)
        train = picked[:TRAIN]
        validation = picked[TRAIN : TRAIN + VALIDATION]
        test = picked[TRAIN + VALIDATION :]
        print(f"{cls}: {len(files):,} files, train {len(train)} (first: {train[0]}), ", end="")
        print(f"validation {len(validation)}, test {len(test)}")

# %% [markdown]
# ## What the builder adds
#
# `builder.build_cats_vs_dogs` (the `cats-vs-dogs` command of `build_dataset.py`) makes the
# same kind of selection, with these differences:
#
# - **Sources**: Kaggle's flat folder (the class is the name before the first dot, in any
#   case) or `PetImages/` with `Cat/` and `Dog/`; with `SOURCE_DIR = None` it downloads
#   PetImages first. Hidden files are ignored; other files are listed as skipped.
# - **Order**: each class's files are sorted by name, then shuffled by a generator seeded
#   with `SEED` and the class name, so a class's order depends neither on the listing order
#   nor on the other class. Its files are therefore not the ones printed above; the counts
#   are.
# - **Decoded before counted**: it walks that order, fully decodes each file (formats
#   TensorFlow reads: JPEG, PNG, BMP, GIF) and takes the first `TRAIN + VALIDATION + TEST`
#   that decode, the first `TRAIN` for training, the next for validation, the rest for test.
#   A file that fails (empty, truncated or corrupt, not an image, another format, over 50
#   megapixels) goes to `skipped.csv` with the reason.
#   It decodes only as many files as it needs, so `skipped.csv` lists the bad files it met on
#   the way, not every bad file of the source.
# - **Layout**: one subfolder per class in each split (`train/cat/cat.123.jpg`), which
#   `keras.utils.image_dataset_from_directory` reads, plus `manifest.csv` (`split, class,
#   file`), `skipped.csv` (`file, reason`) and `split.json` (the source, counts and seed,
#   and each class's source files by name, size and modification time).
# - **Copies**: most files are copied as they are; a photo whose EXIF orientation says it is
#   stored on its side is rewritten upright, and a palette BMP (whose colours TensorFlow's
#   decoder would read as grey) as a 24-bit RGB BMP, under the same name. The source is never
#   modified.
# - **Built aside, moved into place**: the split is written in a hidden folder next to
#   `DATA_DIR` and renamed at the end; on an error or an interrupt that folder is removed, so
#   there is never a half-built split.
# - **Never overwritten**: an existing `DATA_DIR` is an error unless `force=True`, which
#   replaces only a split the builder wrote (or an empty folder), once the new one is complete.
#   Given a `SOURCE_DIR`, this notebook reuses an existing split while its `split.json`
#   records that source, the counts and seed asked for, and the source's files have not
#   changed (a photo added, removed, moved or edited), so "Restart & Run All" is cheap the
#   second time; otherwise it rebuilds it,
#   saying why (`FORCE = True` rebuilds it anyway). `run_all.py` makes the same check and
#   stops unless given `--force`. The dog-breed split below is reused as it is: rebuild it
#   with `FORCE = True` after changing its source.

# %%
exists = split_folder.split_exists(DATA_DIR)
stale = None  # with a source to compare: another recipe, or the source's files changed since
if exists and SOURCE_DIR:  # (split.json records them by name, size and modification time)
    sizes = {"train": TRAIN, "validation": VALIDATION, "test": TEST, "seed": SEED}
    recipe = {"source": str(Path(SOURCE_DIR).resolve()), **sizes}
    stale = split_folder.stale(DATA_DIR, recipe, builder.scan_cats_vs_dogs)
if exists and not (FORCE or stale):
    print(f"Reusing the split in {Path(DATA_DIR).resolve()}")
else:
    if stale:
        print(f"Rebuilding: {stale}")
    summary = builder.build_cats_vs_dogs(
        DATA_DIR, SOURCE_DIR, TRAIN, VALIDATION, TEST, seed=SEED, force=FORCE or bool(stale)
    )
    print(summary.report())

# %% [markdown]
# ## Checking the split
#
# `manifest.csv` should list exactly the files in the split's folders, no photo (a class and
# a file name) should appear in two splits, and each class should have `TRAIN`, `VALIDATION`
# and `TEST` photos: the book's 1,500 / 500 / 500.

# %%
manifest = pd.read_csv(Path(DATA_DIR) / "manifest.csv")
on_disk = {p.relative_to(DATA_DIR).as_posix() for p in Path(DATA_DIR).glob("*/*/[!.]*")}
photo = manifest["class"] + "/" + manifest["file"].str.rsplit("/", n=1).str[-1]
print(f"manifest.csv lists exactly the files in the folders: {on_disk == set(manifest['file'])}")
print(f"photos in two splits: {photo.duplicated().sum()}")
split_folder.split_counts(DATA_DIR)

# %% [markdown]
# Files the builder refused, and why (empty when the source is clean).

# %%
pd.read_csv(Path(DATA_DIR) / "skipped.csv")

# %% [markdown]
# A few training photos of each class. They come in every size and framing, which is what makes
# this task harder than it looks for a network trained from scratch on 3,000 images.

# %%
paths, titles = sample_paths(Path(DATA_DIR) / "train", SAMPLES_PER_CLASS, seed=SEED)
fig = image_grid(read_images(paths, (IMAGE_SIZE, IMAGE_SIZE)), titles, ncols=SAMPLES_PER_CLASS)

# %% [markdown]
# ## Dog breeds (for notebook 08)
# Kaggle's *Dog Breed Identification* `train/` folder and `labels.csv`, split like the book:
# 30 % test, then 15 % of the rest for validation, stratified per breed (a breed with very few
# photos always keeps one for training). Each breed's counts are rounded, and a breed of three
# photos or more keeps at least one for validation and one for test, so on a small source
# (a few photos per breed) the overall shares can differ from 30 % and 15 % by a few points.
# Skipped, with a note, when the data is not there.

# %%
breeds_ready = bool(BREEDS_DATA_DIR) and split_folder.split_exists(BREEDS_DATA_DIR) and not FORCE
if not BREEDS_DATA_DIR:
    print("No multi-class split of the book asked for (BREEDS_DATA_DIR = None).")
elif breeds_ready:
    print(f"Reusing the split in {Path(BREEDS_DATA_DIR).resolve()}")
elif BREEDS_SOURCE_DIR and Path(BREEDS_SOURCE_DIR).is_dir():
    print(builder.build_dog_breeds(BREEDS_DATA_DIR, BREEDS_SOURCE_DIR, force=FORCE).report())
    breeds_ready = True
else:
    print(f"No dog-breed data at {BREEDS_SOURCE_DIR}: see the README to download it.")

# %% [markdown]
# Photos per breed, the best-represented first.

# %%
if breeds_ready:
    breed_counts = split_folder.split_counts(BREEDS_DATA_DIR).drop(index="total")
    print(f"{len(breed_counts)} breeds, {breed_counts['total'].sum()} photos")
    display(breed_counts.nlargest(10, "total"))

# %% [markdown]
# ## Takeaways
#
# - The book's split is a seeded draw without replacement per class, cut into 1,500 / 500 /
#   500. Sort the names before drawing and make one draw per class that you slice: the same
#   seed then gives the same files on any machine, and no photo can be in two splits.
# - A usable split also needs every photo decoded before it is counted, one folder per class
#   in each split, and a build that is either complete or absent: `build_dataset.py` does
#   that, writes `manifest.csv` and `skipped.csv`, and reuses a split that already exists.
# - Check a split before training on it: the manifest against the folders, no photo in two
#   splits, the counts per class, and what was skipped.
# - Few training photos is the premise of the case study, not a shortcut; choices are made
#   on the validation split, and the test split is held out for one final score (notebook 07).
#
# ## Try it
#
# Each exercise changes the parameters cell. Give every new split its own `DATA_DIR`, so the
# book's split in `../data/cats-vs-dogs`, which the other notebooks read, stays as it is.
#
# **1. The Keras blog's split.** The 2016 Keras blog post (the course slides' recipe,
# notebook 11) trained on 1,000 photos of each class, validated on 400 of each, and kept no
# test split. Set `DATA_DIR = "../data/cats-vs-dogs-blog"`, `TRAIN = 1000`,
# `VALIDATION = 400` and `TEST = 0`. What does the counts table show, and what could you not
# do with this split later?
#
# <details><summary>Answer</summary>
#
# 1,000 / 400 / 0 photos per class, 2,800 in all, and still no photo in two splits. The
# folders `test/cat` and `test/dog` exist but are empty (the builder gives every class a
# folder in every split). Without a test split the only accuracy left to report is the
# validation accuracy that the choices were made on, which is optimistic; notebook 07 would
# have nothing to score.
#
# </details>
#
# **2. Another seed.** Set `SEED = 7` and `DATA_DIR = "../data/cats-vs-dogs-seed7"`. Compare
# the draw cell's `first:` names, the counts table and the two checks with the default run.
#
# <details><summary>Answer</summary>
#
# The counts and the checks are the same (1,500 / 500 / 500 per class, no photo in two
# splits): the seed decides *which* photos, not how many. The photos themselves are a
# different draw. A model trained and validated on this split can score differently from
# one on the book's split: keep that spread in mind before reading much into a difference
# of a point between two runs.
#
# </details>
#
# **3. Ask for more than there is.** Set `TRAIN = 12000` (with the 500 + 500 held out, that
# is 13,000 photos per class) and `DATA_DIR = "../data/cats-vs-dogs-big"`. What do the draw
# cell and the builder say?
#
# <details><summary>Answer</summary>
#
# The draw cell prints `No draw here: ... with 13000 photos per class`, and the builder
# stops the notebook with `DatasetError: not enough image files: need 13000 per class, found
# cat 12500, dog 12500` (on Kaggle's folder) before it writes anything: no half-built
# folder is left behind.
#
# </details>
#
# **4. Even less data.** Set `TRAIN = 100` and `DATA_DIR = "../data/cats-vs-dogs-100"`, then
# run notebook 02 with its `DATA_DIR` set to that folder. Compare its training and
# validation accuracy, and the gap between them, with notebook 02's run on the book's split.
#
# <details><summary>Answer</summary>
#
# The validation split has as many photos as before (500 per class, though not the same
# ones: the slices of the draw moved), so the two runs are scored on the same scale. With
# 100 photos per class a CNN from scratch has far less to learn from and far less to
# memorise, so expect its accuracies and its gap to move; how far, and in which direction
# for the gap, is what the run tells you. Notebook 10 does this comparison systematically,
# with pretrained features beside the CNN.
#
# </details>
#
# ## What a full run costs
#
# On the real Kaggle photos (1,500 / 500 / 500 per class), `run_all.py` builds the split
# before this notebook runs, so the notebook reuses it. In the run of 2026-12-03 in
# `BENCHMARKS.md` (`cpu` profile, 2-core AMD EPYC, nothing else running; a version of this
# notebook without the draw and the check above) the notebook took 0.25 minutes, the split
# already built by the runner (the build was not timed), on a day the machine ran VGG-16
# about three times slower than on 2026-11-24 (5.6 photos per second at 180 px in float32,
# against 16 in bfloat16); the run of 2026-11-24 there, of the previous version, took 0.10
# minutes.
