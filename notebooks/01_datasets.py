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
# # 01 — Building the datasets
#
# *From Kaggle's raw photos to reproducible `train / validation / test` folders.*
#
# Chapter 5 of the book starts the cats-vs-dogs case study by picking 1,500 cats and 1,500 dogs
# for training, 500 of each for validation and 500 of each for testing, out of Kaggle's 25,000
# *Dogs vs. Cats* photos. This notebook does the same with `build_dataset.py`, which goes a
# little further than the book's script:
#
# - every image is **decoded before it is counted**, so a corrupt or truncated file never ends
#   up in a split (it is listed in `skipped.csv` with the reason);
# - the split is **deterministic**: the same source and seed give the same files, whatever order
#   the file system lists them in;
# - the output is built aside and moved into place at the end, so an interrupted run leaves
#   no half-built split, and an existing split is reused rather than overwritten.
#
# The same builder splits the dog-breed photos of notebook 08 (stratified per breed) and your
# own image folders (`python build_dataset.py folders`).

# %% [markdown]
# ## Parameters
# `SOURCE_DIR` is Kaggle's unzipped `train/` folder (`cat.0.jpg`, `dog.0.jpg`, ...) or a
# `PetImages/` folder with `Cat/` and `Dog/` inside; `None` downloads Microsoft's public
# PetImages archive (needs internet). The counts are per class.

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

# %% [markdown]
# ## Setup

# %%
from pathlib import Path

import pandas as pd
from IPython.display import display

from utils import dataset_builder as builder
from utils import split_folder
from utils.data import read_images, sample_paths
from utils.plots import image_grid

# %% [markdown]
# ## Cats vs dogs
# An existing split is reused (set `FORCE = True` to rebuild it), so "Restart & Run All" is
# cheap the second time.

# %%
if split_folder.split_exists(DATA_DIR) and not FORCE:
    print(f"Reusing the split in {Path(DATA_DIR).resolve()}")
else:
    summary = builder.build_cats_vs_dogs(
        DATA_DIR, SOURCE_DIR, TRAIN, VALIDATION, TEST, seed=SEED, force=FORCE
    )
    print(summary.report())

# %% [markdown]
# Images per class and split: the book's 1,500 / 500 / 500 per class.

# %%
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
# photos always keeps one for training). Skipped, with a note, when the data is not there.

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
