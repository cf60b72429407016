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
# # Transfer learning: the concepts
#
# **Description:** the ideas behind the course in one place: what transfer learning is, its
# settings, approaches and deep-learning strategies, well-known pretrained models, where it
# is used, and its limits; the code cells draw the idea and look inside VGG-16, the network
# of notebooks 04 to 06.
#
# ## Introduction
#
# A model trained from scratch learns everything from its own training set. When that set is small,
# the model either stays too simple or memorises it (notebook 02 measures how much its CNNs
# memorise). People rarely start from nothing: having learned to ride a bicycle, we learn to ride a
# motorbike faster; having learned to recognise objects, we learn a new kind of object from a
# handful of examples. **Transfer learning** gives a model the same head start: knowledge gained on
# a *source* problem with plenty of data is reused for a *target* problem with less. In this course
# the source is ImageNet (about 1.3 million photos in 1,000 classes) and the targets are cats versus
# dogs (3,000 training photos), dog breeds, and handwritten digits.
#
# You will learn:
#
# - how transfer learning differs from learning each task in isolation (a picture), which
#   assumptions of traditional learning it relaxes, where the idea comes from, and the
#   vocabulary of domains, tasks, inductive bias and inductive transfer;
# - the three *settings* (which data carry labels) and the four *approaches* (what is
#   transferred), with typical methods of each;
# - the hierarchy of features inside a deep network (a picture), the deep-learning
#   strategies the next notebooks implement (pretrained model as is, frozen feature
#   extractor, fine-tuning), and what each one trains, counted on VGG-16;
# - well-known pretrained models for images and text and what they were trained on;
# - where transfer learning is used, what it buys, the three ways it can help, when it
#   hurts and how research tries to avoid that, and the research directions of the field.
#
# The concepts follow the transfer-learning chapters of *Hands-On Transfer Learning with
# Python* (D. Sarkar, R. Bali, T. Ghosh, Packt, 2018) and its companion article
# "A Comprehensive Hands-on Guide to Transfer Learning with Real-World Applications in Deep
# Learning" (D. Sarkar, Towards Data Science, 2018), and go back to the papers they cite;
# everything is listed under *Further reading* at the end.

# %% [markdown]
# ## Setup
#
# With `WEIGHTS=None` (the default here) VGG-16's weights are random: no download, and
# parameter counts do not depend on the weights' values. `WEIGHTS="imagenet"` or a path to
# the weights file gives the same counts. `IMAGE_SIZE` is the input size of the VGG-16 base
# (the book's 150 pixels).

# %% tags=["parameters"]
IMAGE_SIZE = 150
WEIGHTS = None
SEED = 42

# %%
import utils  # noqa: F401 (first, before Keras: TensorFlow loads without start-up messages)

# isort: split
import keras
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from matplotlib.patches import FancyBboxPatch

from utils import pretrained

keras.utils.set_random_seed(SEED)
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
pd.set_option("display.max_colwidth", None)  # the tables below hold sentences

# %% [markdown]
# ## Traditional learning vs transfer learning
#
# In the traditional setting every task is learned in isolation: each has its own dataset and
# its own model, and nothing one model learned is available to the next. When a task has
# too little data, its model has nothing else to lean on. In transfer learning, a model
# trained on a source task is a starting point: what it learned (features, weights) flows
# into the learning of the target task, next to the target's own, smaller dataset.
#
# Why the interest: in his NIPS 2016 tutorial "Nuts and Bolts of Building AI Applications
# using Deep Learning", Andrew Ng named transfer learning the next driver of machine learning's
# commercial success, after supervised learning (the article quotes his slide).


# %%
def box(ax, x, y, text, color, width=2.6, height=0.9):
    """A rounded box centred on (x, y) with a label."""
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.08",
            facecolor=color,
            edgecolor="0.3",
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def arrow(ax, start, end, text="", color="0.3"):
    ax.annotate(
        "", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.5}
    )
    if text:
        middle = ((start[0] + end[0]) / 2 + 0.1, (start[1] + end[1]) / 2)
        ax.text(*middle, text, fontsize=8, color=color, va="center")


DATA, MODEL, KNOWLEDGE = "#dbe9f6", "#fde5c8", "#d5efd5"
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6))
for ax, title in ((left, "Traditional machine learning"), (right, "Transfer learning")):
    ax.set_xlim(0, 8)
    ax.set_ylim(0, 6)
    ax.axis("off")
    ax.set_title(title, fontsize=11)

# each task learns from scratch, alone
for x, task in ((2, "task 1"), (6, "task 2")):
    box(left, x, 5, f"dataset of {task}", DATA)
    box(left, x, 2.6, f"learning system\nfor {task}", MODEL)
    arrow(left, (x, 4.45), (x, 3.15), "learn from\nscratch")
    box(left, x, 0.7, f"model for {task}", MODEL, height=0.7)
    arrow(left, (x, 2.05), (x, 1.1))
left.text(4, 2.6, "no link", ha="center", fontsize=8, color="0.5")

# knowledge flows from the source task to the target task
box(right, 2, 5, "source dataset\n(large, e.g. ImageNet)", DATA)
box(right, 2, 2.6, "learning system\nfor the source task", MODEL)
arrow(right, (2, 4.45), (2, 3.15))
box(right, 6, 5, "target dataset\n(small, e.g. cats vs dogs)", DATA)
box(right, 6, 2.6, "learning system\nfor the target task", MODEL)
arrow(right, (6, 4.45), (6, 3.15))
box(right, 3.5, 1.0, "knowledge:\nfeatures, weights", KNOWLEDGE, width=2.2, height=0.9)
arrow(right, (2, 2.05), (2.8, 1.5), color="green")
arrow(right, (4.2, 1.5), (5.2, 2.05), color="green")
box(right, 6.3, 0.7, "target model", MODEL, width=1.6, height=0.7)
arrow(right, (6.3, 2.05), (6.3, 1.1))
fig.tight_layout()
plt.show()

# %% [markdown]
# **An example.** Sarkar's article makes the picture concrete with two object-detection
# tasks. Task $T_1$: find the objects in photos taken inside restaurants. Given enough
# labelled restaurant photos, a model trained and tuned for $T_1$ does well on restaurant
# photos it has not seen, because they come from the same domain. Task $T_2$: find the
# objects in photos of parks or cafés. Run $T_1$'s model on those and it does noticeably
# worse: it has adapted to the scenes and kind of photos it was trained on (a bias towards
# its training data and domain). Training a separate model for $T_2$ hits the other wall:
# too few labelled park photos. Transfer takes the third way: what $T_1$'s model learned
# that holds in both settings (in vision, low-level features such as edges, shapes, corners
# and intensity patterns) becomes an extra input to learning $T_2$, which then needs far
# fewer labels of its own.
#
# **What transfer relaxes.** The course slides (Wang, *Introduction to Artificial
# Intelligence*, chapter "Transfer learning") name two assumptions that traditional machine
# learning makes and real problems often break:
#
# 1. *The training and the test data come from the same feature space and the same
#    distribution.* Distributions drift, for instance over the time between collecting the
#    training data and using the model.
# 2. *There are enough good labelled training examples.* Collecting and labelling them costs
#    time and work, and rights (intellectual property) can keep existing data out of reach.
#
# Transfer learning lets the source and the target differ (the formal frame below makes
# "differ" precise) and lets the target have few labels.
#
# **An old idea.** Transfer learning predates deep learning. A NIPS 1995 workshop,
# *Learning to Learn: Knowledge Consolidation and Transfer in Inductive Systems*, is usually
# named as the start of research on it, and *learning to learn*, *knowledge consolidation*
# and *inductive transfer* have been used as names for the same idea ever since (Sarkar's
# article traces this history). Goodfellow, Bengio and Courville define it through
# generalisation (*Deep Learning*, MIT Press, 2016, section 15.2): something learned in one
# setting, that is under one data distribution, is put to use to generalise better in
# another setting, under another distribution.

# %% [markdown]
# ## The formal frame
#
# We follow the notation of Pan and Yang's survey (*A survey on transfer learning*, IEEE
# TKDE, 2010).
#
# - A **domain** $\mathcal{D} = \{\mathcal{X}, P(X)\}$ is a feature space $\mathcal{X}$ and a
#   marginal probability distribution $P(X)$ over it, where $X = \{x_1, \dots, x_n\} \subset
#   \mathcal{X}$. For images: $\mathcal{X}$ is the set of 150 x 150 RGB arrays, and $P(X)$
#   says which arrays actually occur (pet photos, not noise).
# - A **task** $\mathcal{T} = \{\mathcal{Y}, f(\cdot)\}$ is a label space $\mathcal{Y}$ and a
#   predictive function $f: \mathcal{X} \to \mathcal{Y}$, learned from pairs $(x_i, y_i)$; in
#   probabilistic terms $f(x)$ is $P(y \mid x)$.
#
# Given a source domain and task $(\mathcal{D}_S, \mathcal{T}_S)$ and a target domain and task
# $(\mathcal{D}_T, \mathcal{T}_T)$, transfer learning aims to learn a better target function
# $f_T$ by using knowledge from $\mathcal{D}_S$ and $\mathcal{T}_S$, where
# $\mathcal{D}_S \neq \mathcal{D}_T$ or $\mathcal{T}_S \neq \mathcal{T}_T$. Each inequality can
# hold in one of two ways:
#
# | What differs | Example |
# |---|---|
# | feature spaces: $\mathcal{X}_S \neq \mathcal{X}_T$ | English vs German documents |
# | marginals: $P_S(X) \neq P_T(X)$ (*domain shift*) | studio vs phone photos; photos vs digits |
# | label spaces: $\mathcal{Y}_S \neq \mathcal{Y}_T$ | 1,000 ImageNet classes vs {cat, dog} |
# | conditionals: $P_S(Y \mid X) \neq P_T(Y \mid X)$ | one review, two labelling standards |
#
# With ImageNet as source and cats vs dogs as target, both differ a little: the photos come
# from different collections and the label spaces are different (although ImageNet holds many
# breeds of both).
#
# Every transfer method answers three questions:
#
# - **What to transfer?** Which part of the source knowledge is common to both problems and
#   which part is specific to the source: chosen examples, a representation, model weights,
#   relations between entities.
# - **When to transfer?** In which situations transfer helps and in which it hurts; forcing
#   unrelated knowledge onto the target can make it worse than learning alone (*negative
#   transfer*, notebook 09).
# - **How to transfer?** The algorithm that carries the knowledge over: re-weighting source
#   examples, learning a shared feature space, freezing or fine-tuning pretrained layers.

# %% [markdown]
# ## Inductive bias and inductive transfer
#
# A supervised learner is *inductive*: from a finite set of training pairs it infers a
# mapping that should hold for inputs it has never seen. That leap is only possible because
# the learner assumes something about the mapping before it sees any data: which functions
# it can represent (its hypothesis space) and which of them its search prefers (for example
# the simplest one that fits, or the one gradient descent reaches first from its
# initialisation). These assumptions are its **inductive bias** (T. M. Mitchell, *The need
# for biases in learning generalizations*, 1980). A convolutional network, for instance,
# assumes that the same local pattern means the same thing anywhere in the image.
#
# **Inductive transfer** uses a source task to set the target learner's inductive bias
# (L. Torrey and J. Shavlik, *Transfer learning*, Handbook of Research on Machine Learning
# Applications, 2009). The source knowledge can:
#
# - *restrict the hypothesis space*: only hypotheses compatible with what the source taught
#   are allowed (a frozen pretrained base fixes every layer but the head);
# - *change the search*: the search starts from, or is pulled towards, the source solution
#   (fine-tuning starts gradient descent from pretrained weights).
#
# Two relatives of the same idea: **Bayesian transfer**, where the source model becomes the
# prior distribution of the target model's parameters, and **hierarchical transfer**, where
# solutions of simpler source tasks become the building blocks of a harder target task.

# %% [markdown]
# ## Settings: which data carry labels
#
# Pan and Yang sort transfer problems by whether the tasks and domains match and, above all,
# by where labelled data exist. Traditional machine learning, for comparison, has the same
# domain and task for training and use, with labels for both.

# %%
settings = pd.DataFrame(
    [
        ("traditional ML", "same", "same", "yes", "yes", "classification, regression"),
        (
            "inductive",
            "same or related",
            "different, related",
            "yes: multi-task learning",
            "yes",
            "classification, regression",
        ),
        (
            "inductive",
            "same or related",
            "different, related",
            "no: self-taught learning",
            "yes",
            "classification, regression",
        ),
        (
            "transductive",
            "different, related",
            "same",
            "yes",
            "no (unlabelled only)",
            "classification, regression",
        ),
        (
            "unsupervised",
            "different, related",
            "different, related",
            "no",
            "no",
            "clustering, dimensionality reduction",
        ),
    ],
    columns=["setting", "domains", "tasks", "source labels", "target labels", "target tasks"],
).set_index("setting")
display(settings)

# %% [markdown]
#
# - **Inductive**: the target task differs from the source task, and some labelled target
#   data exist to induce $f_T$. With labelled source data it resembles *multi-task learning*
#   (which, unlike transfer, learns all tasks at once and cares about each of them equally);
#   with unlabelled source data it is *self-taught learning* (Raina et al., 2007: features
#   learned from unlabelled images help a labelled target task). Everything from notebook 04
#   on is inductive: the labelled cats and dogs train a new classifier on ImageNet features.
# - **Transductive**: the tasks are the same but the domains differ, and labels exist only in
#   the source; the target domain is seen through unlabelled examples. Domain adaptation
#   (below), sample-selection bias and covariate shift belong here.
# - **Unsupervised**: no labels anywhere; the target task is itself unsupervised
#   (clustering, dimensionality reduction, density estimation).

# %% [markdown]
# ## Approaches: what is transferred
#
# The approaches differ in *what* they carry over. The table gives typical methods of each
# (as the survey and the course slides list them), with their usual strengths and weaknesses.

# %%
approaches = pd.DataFrame(
    [
        (
            "instance transfer",
            "source examples, re-weighted so that those resembling the target count more",
            "TrAdaBoost (Dai et al., 2007); importance weighting, density-ratio estimation, "
            "kernel mean matching",
            "simple when the domains overlap",
            "needs source examples close to the target",
        ),
        (
            "feature-representation transfer",
            "a representation in which the domains look alike and the target task is easy",
            "self-taught learning (Raina et al., 2007); multi-task structure learning (Ando and "
            "Zhang, 2005; Argyriou et al., 2007); structural correspondence learning; transfer "
            "component analysis; a pretrained network's activations",
            "works with most learners, usually works well",
            "the representation is hard to learn and can overfit",
        ),
        (
            "parameter transfer",
            "parameters, or priors over them, shared by the source and target models",
            "learning to learn; regularised multi-task learning (Evgeniou and Pontil, 2004); "
            "shared Gaussian-process priors; pretrained weights, frozen or fine-tuned",
            "direct; exploits how similar the two models are",
            "the shared parameters can be hard to train to convergence",
        ),
        (
            "relational-knowledge transfer",
            "relations between data points (social or citation networks), assumed alike",
            "mapping methods, e.g. mapping Markov logic networks between domains "
            "(Mihalkova et al., 2007)",
            "the approach for data that are not i.i.d.",
            "little studied; needs related relational structure",
        ),
    ],
    columns=["approach", "what is transferred", "typical methods", "strength", "weakness"],
).set_index("approach")
display(approaches)

# %% [markdown]
# Which approach has been used in which setting (after Pan and Yang's survey):
#
# | Approach | Inductive | Transductive | Unsupervised |
# |---|:---:|:---:|:---:|
# | Instance transfer | ✓ | ✓ | |
# | Feature-representation transfer | ✓ | ✓ | ✓ |
# | Parameter transfer | ✓ | | |
# | Relational-knowledge transfer | ✓ | | |
#
# Deep transfer learning, the rest of this course, is mostly *parameter* transfer (reusing
# and fine-tuning pretrained weights) and *feature-representation* transfer (a frozen
# network's activations as the input of a new model), in the inductive setting.
#
# Parameter transfer resembles multi-task learning, which also shares parameters between
# tasks, but the two weigh the tasks differently (as Sarkar's article points out).
# Multi-task learning learns the tasks together and wants each of them done well; transfer
# cares only about the target, so when source and target are trained together the target's
# loss can be given extra weight, for instance
# $\mathcal{L} = \mathcal{L}_S + w \, \mathcal{L}_T$ with $w > 1$, to improve the result
# that matters.

# %% [markdown]
# ## Deep transfer learning
#
# A deep network trained on a large source builds a hierarchy of features. Looking at what
# makes the units of an ImageNet network respond, Zeiler and Fergus (*Visualizing and
# Understanding Convolutional Networks*, ECCV 2014) found edges and colour blobs in the first
# layer, corners, textures and simple patterns in the next ones, and class-specific parts
# and whole objects (a dog's face, a bird's legs) in the last convolutional layers. Yosinski
# et al. (*How transferable are features in deep neural networks?*, NIPS 2014) measured
# what that means for transfer: the first layers' features are general, nearly every image
# problem needs them, and the higher a layer, the more its features are tied to the source
# classes and the less well they transfer. The schematic below shows this hierarchy and
# what the strategies of this section do with each level (in VGG-16 terms, roughly: blocks
# 1-2 low, block 5 high).

# %%
fig, ax = plt.subplots(figsize=(10, 5))
ax.set_xlim(0, 10)
ax.set_ylim(0, 6.6)
ax.axis("off")
ax.set_title("The layers of an image network, from input to output (schematic)", fontsize=11)
levels = [
    ("input photo", DATA, ""),
    ("first layers\nedges, colour blobs", KNOWLEDGE, "most generic:\nreused as they are"),
    (
        "middle layers\ncorners, textures, simple patterns",
        KNOWLEDGE,
        "generic: frozen in a\nfeature extractor (notebook 04)",
    ),
    (
        "last layers\nobject parts and shapes of the source classes",
        MODEL,
        "specific: fine-tuned when the\ntarget needs it (notebook 06)",
    ),
    (
        "source classifier\nthe 1,000 ImageNet classes",
        MODEL,
        "replaced by a new head\nfor the target classes",
    ),
]
for i, (text, color, note) in enumerate(levels):
    y = 0.6 + 1.3 * i
    box(ax, 3.6, y, text, color, width=5.0, height=0.8)
    ax.text(6.5, y, note, va="center", fontsize=9)
    if i:
        arrow(ax, (3.6, y - 0.8), (3.6, y - 0.5))
arrow(ax, (0.6, 0.3), (0.6, 6.3))
ax.text(0.3, 3.2, "generic  →  specific", rotation=90, ha="center", va="center", fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# Three ways to reuse such a network, from the least to the most training (as the Towards
# Data Science article *What is Deep Transfer Learning and Why Is It Becoming So Popular?*
# lays them out, with when each fits):
#
# 1. **As is**: the pretrained model, classifier included, predicts its own source classes;
#    useful when the target classes are among them (an ImageNet model already tells several
#    dog breeds apart). Nothing is trained.
# 2. **Frozen feature extractor**: drop the source classifier, keep the convolutional base
#    frozen, and train only a new head on its output, the *bottleneck features*. The head can
#    be a small dense network (the book's) or a light linear model such as a logistic
#    regression. The features can be computed once and cached, so training is fast. How far
#    this goes surprised the field: A. S. Razavian et al. (*CNN Features off-the-shelf: an
#    Astounding Baseline for Recognition*, CVPR workshops 2014) took one ImageNet network,
#    OverFeat (trained for ILSVRC 2013), used the 4,096 activations of one of its layers as
#    the features (with simple augmentation such as jittering), and put a linear SVM on them
#    (a plain distance, for retrieval). Their tasks (object and scene classification,
#    fine-grained recognition, attribute detection, instance retrieval) were chosen to move
#    further and further from OverFeat's own task. Sarkar's article shows their comparison as a
#    bar chart: task by task, the best published method of the time, engineered for that
#    task, beside these generic features. The generic features come out better or on par in
#    every classification task, and in retrieval they beat the compact methods of the time
#    on all datasets but one (sculptures).
# 3. **Fine-tuning**: also unfreeze the last blocks of the base and train them, with a small
#    learning rate, together with the head, so the most source-specific layers adapt to the
#    target. The earlier blocks stay frozen, because they are generic and because training
#    them on little data overfits. The article on deep transfer gives an example: a network
#    that recognises Mercedes cars has early layers that capture wheels, body shapes and
#    curves, all still useful for recognising Ferraris; only the last layers, which hold what
#    is particular to a Mercedes, need retraining on Ferrari photos.
#
# When to freeze and when to fine-tune depends on how much target data there is and how close
# it is to the source:
#
# | | Target close to the source | Target far from the source |
# |---|---|---|
# | **Little target data** | freeze the base, light head | freeze; features of earlier blocks |
# | **Plenty of target data** | fine-tune the last blocks | fine-tune most or all of it |
#
# With little data, fine-tuning millions of weights overfits, so the base stays frozen; when the
# target is far from the source, the last blocks are the least useful, so the features come
# from earlier, more generic ones, and the benefit is smaller. With plenty of data, the
# pretrained weights become a starting point that training is allowed to move, the more so the
# further the target is from the source.
#
# These are rules of thumb, not laws: notebooks 04 to 06 try the strategies on cats vs dogs,
# and notebook 09 on digits, which are far from ImageNet photos.

# %% [markdown]
# ### Inside VGG-16
#
# The cells below build VGG-16's convolutional base (`include_top=False`, input
# `IMAGE_SIZE` pixels) and count what each strategy trains.

# %%
base = keras.applications.VGG16(
    include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
)
layers = pretrained.layer_table(base)
layers["Output Shape"] = [str(layer.output.shape[1:]) for layer in base.layers]
display(layers)

# %% [markdown]
# Thirteen 3 x 3 convolutions in five blocks, each block closed by a 2 x 2 max pooling that
# halves the image. Per block:

# %%
layers["Block"] = layers["Layer Name"].str.split("_").str[0]
blocks = layers.groupby("Block", sort=False).agg(
    layers=("Layer Name", "size"), params=("Params", "sum"), output=("Output Shape", "last")
)
display(blocks)
height, width, channels = base.output_shape[1:]
total = blocks["params"].sum()
share = blocks.loc["block5", "params"] / total
print(f"at {IMAGE_SIZE}x{IMAGE_SIZE}, block5_pool gives {height} x {width} x {channels}", end=" ")
print(f"= {height * width * channels:,} features per image")
print(f"block 5 holds {share:.0%} of the base's {total:,} parameters")

# %% [markdown]
# Nearly half of the parameters sit in block 5, the most source-specific block: unfreezing it
# alone already trains a large model. Now put the book's head (flatten, two dense layers of 512 with
# dropout, one sigmoid unit) on the base and count, for each strategy, the parameters that
# training changes. The linear model is a logistic regression on the 512 channels averaged
# over the map (notebook 04), and "as is" is the complete VGG-16 with its 1,000-class
# ImageNet classifier (built at its own 224 x 224 input).

# %%
head = keras.Sequential(
    [
        keras.Input(base.output_shape[1:]),
        keras.layers.Flatten(),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model = keras.Sequential([base, head])
strategies = {
    "frozen base + book head": (),
    "fine-tune block 5": ("block5",),
    "fine-tune blocks 4-5": ("block4", "block5"),
    "train everything": ("block",),
}
rows = []
for strategy, unfrozen in strategies.items():
    for layer in base.layers:
        layer.trainable = layer.name.startswith(unfrozen) if unfrozen else False
    rows.append({"strategy": strategy, **pretrained.param_counts(model)})
for layer in base.layers:
    layer.trainable = False  # frozen again

linear = channels + 1  # a weight per pooled channel and a bias
row = {"trainable_params": linear, "frozen_params": base.count_params()}
rows.insert(0, {"strategy": "frozen base + logistic regression", **row})
full = keras.applications.VGG16(weights=None, include_top=True)
row = {"trainable_params": 0, "frozen_params": full.count_params()}
rows.insert(0, {"strategy": "as is (ImageNet classifier)", **row})
table = pd.DataFrame(rows).set_index("strategy")
table["trained_share"] = table["trainable_params"] / table.sum(axis=1)
print(table.to_string(formatters={"trained_share": "{:.3%}".format}))

# %% [markdown]
# From none to every weight of the network, trained on the same 3,000 photos (the range is
# printed below, at this run's `IMAGE_SIZE`: the head's first dense layer grows with it): the
# more a strategy trains, the more target data it needs and the smaller its learning rate
# should be.
# The complete VGG-16 also shows where the weight of the original model was: its three dense
# layers hold most of its parameters, and we drop them all (`include_top=False`). The last
# line is what the complete network's parameters weigh as float32 numbers, as in its
# weights file.

# %%
trained = table["trainable_params"]
print(f"trained parameters: from {trained.min():,} to {trained.max():,} at {IMAGE_SIZE} px")
dense = sum(layer.count_params() for layer in full.layers if isinstance(layer, keras.layers.Dense))
share = dense / full.count_params()
print(f"complete VGG-16: {full.count_params():,} parameters, {dense:,} ({share:.0%}) of them")
print("in the three dense layers of its ImageNet classifier")
print(f"as float32 weights (4 bytes each): {full.count_params() * 4 / 2**20:.0f} MiB")
del full

# %% [markdown]
# ## Well-known pretrained models
#
# Transfer needs a model that does well on a large source task. Many research groups publish
# theirs, and `keras.applications` ships the best-known image models with their ImageNet
# weights. The table says what each was trained on; "ImageNet" means the ILSVRC-2012
# classification set, about 1.28 million training photos in 1,000 classes.

# %%
columns = ["model", "paper", "trained on", "known for"]
vision = pd.DataFrame(
    [
        (
            "AlexNet",
            "Krizhevsky, Sutskever and Hinton, 2012",
            "ImageNet",
            "won ILSVRC 2012; its 4,096 penultimate activations were early off-the-shelf features",
        ),
        (
            "VGG-16, VGG-19",
            "Simonyan and Zisserman, 2014",
            "ImageNet",
            "3 x 3 convolutions, 16 or 19 layers; ILSVRC 2014: 1st in localisation, "
            "2nd in classification; notebooks 04-06",
        ),
        (
            "Inception V3",
            "Szegedy et al., 2016",
            "ImageNet",
            "factorised Inception modules; notebook 08",
        ),
        (
            "ResNet-50",
            "He et al., 2016",
            "ImageNet",
            "residual (skip) connections; the ResNet family won ILSVRC 2015",
        ),
        (
            "Xception",
            "Chollet, 2017",
            "ImageNet (the Keras weights)",
            "depthwise-separable convolutions throughout",
        ),
        ("MobileNet", "Howard et al., 2017", "ImageNet", "small and fast, for phones"),
        (
            "EfficientNet B0-B7",
            "Tan and Le, 2019",
            "ImageNet",
            "depth, width and resolution scaled together",
        ),
    ],
    columns=columns,
).set_index("model")
text = pd.DataFrame(
    [
        (
            "word2vec",
            "Mikolov et al., 2013",
            "the published vectors: Google News, about 100 billion words",
            "a fixed vector per word: 300 values, 3 million words and phrases",
        ),
        (
            "GloVe",
            "Pennington, Socher and Manning, 2014",
            "Wikipedia + Gigaword (6 billion tokens); Common Crawl (42 and 840 billion); "
            "Twitter (27 billion)",
            "a fixed vector per word, from co-occurrence counts",
        ),
        (
            "fastText",
            "Bojanowski et al., 2017",
            "Wikipedia; later (Grave et al., 2018) Common Crawl + Wikipedia in 157 languages",
            "word vectors from character n-grams, so unseen words get one too",
        ),
        (
            "ELMo",
            "Peters et al., 2018",
            "the 1 Billion Word Benchmark",
            "context-dependent word vectors from a bidirectional LSTM language model",
        ),
        (
            "Universal Sentence Encoder",
            "Cer et al., 2018",
            "web text (Wikipedia, news, question-answer pages, forums) and the SNLI corpus",
            "a vector per sentence",
        ),
        (
            "GPT",
            "Radford et al., 2018",
            "BooksCorpus (about 7,000 unpublished books)",
            "a Transformer language model, fine-tuned per task",
        ),
        (
            "BERT",
            "Devlin et al., 2019",
            "BooksCorpus (800 million words) + English Wikipedia (2,500 million words)",
            "a bidirectional Transformer encoder, fine-tuned per task",
        ),
    ],
    columns=columns,
).set_index("model")
display(vision, text)

# %% [markdown]
# Text is harder to transfer than images because tasks vary so much; the word vectors
# (word2vec, GloVe, fastText) transfer a representation of words only; ELMo's pretrained
# network computes context-dependent features for a new model, the way notebook 04 uses
# VGG-16's; GPT and BERT transfer a whole network that is then fine-tuned, as notebook 06
# does with VGG-16.
#
# Two figures often quoted for VGG-16 come from different measurements. The 92.7 % top-5
# accuracy (quoted, for instance, in Masum's article behind notebook 09) is the VGG team's
# ILSVRC-2014 result on the challenge's test set, a 7.3 % top-5 error reached by an
# ensemble of seven networks (Simonyan and Zisserman). The table of `keras.applications` on
# keras.io measures the single VGG-16 of the Keras weights on ImageNet's validation set, one
# centre crop: 71.3 % top-1 and 90.1 % top-5 accuracy, and lists its weights file at
# 528 MB: the 528 MiB printed above for its 138 million float32 parameters (keras.io's
# megabytes are 2^20 bytes). Without the dense
# layers (`include_top=False`) the file is 58.9 MB (*What a full run costs*, at the end).

# %% [markdown]
# ## Related kinds of transfer
#
# - **Domain adaptation**: the transductive case where the task is the same and only the
#   marginal distribution shifts ($P_S(X) \neq P_T(X)$), for instance a classifier trained on
#   product photos applied to phone pictures of the same products. Methods align the two
#   distributions, by re-weighting source examples or by learning shared features.
# - **Domain confusion**: one way of learning such shared features. Besides the task loss, the
#   network is trained so that a *domain classifier* cannot tell from its features whether an
#   example is from the source or the target (a confusion loss, or adversarially through a
#   gradient-reversal layer: Tzeng et al., *Simultaneous deep transfer across domains and
#   tasks*, ICCV 2015; Ganin et al., *Domain-adversarial training of neural networks*, JMLR
#   2016). A simpler relative aligns the two domains' feature statistics directly (Sun, Feng
#   and Saenko, *Return of frustratingly easy domain adaptation*, AAAI 2016). Features that
#   carry no domain information transfer better.
# - **Multi-task learning**: several related tasks are learned *at the same time* with a shared
#   representation, each task acting as a regulariser for the others; there is no source and
#   target, every task is both.
# - **One-shot (few-shot) learning**: learning a class from one or a few examples, usually by
#   reusing a representation learned on other classes and comparing new examples to the few
#   known ones (siamese or prototypical networks). The term goes back to Fei-Fei, Fergus and
#   Perona, *One-shot learning of object categories*, IEEE TPAMI 2006.
# - **Zero-shot learning**: recognising classes with *no* training example at all, through side
#   information shared by seen and unseen classes (attributes, text descriptions, word
#   embeddings): a "zebra" can be recognised as a striped, horse-like animal. Goodfellow,
#   Bengio and Courville's *Deep Learning* (2016) frame it as learning $P(y \mid x, T)$,
#   with $T$ a description of the task.
# - **Multi-source transfer**: several source domains at once; the hard part is judging which
#   sources are related to the target and how much to trust each.

# %% [markdown]
# ## Research directions
#
# The course slides end the chapter with three active directions of research, each with
# representative papers:
#
# - **Domain adaptation**: labelled source, unlabelled target, the same features and classes
#   but different distributions; the work is to shrink the gap between the two
#   distributions. One paper per approach: *transfer component analysis* (Pan, Tsang, Kwok
#   and Yang, IEEE Transactions on Neural Networks, 2011) learns a shared feature space;
#   *density-ratio estimation* (Sugiyama, Suzuki and Kanamori, Cambridge University Press,
#   2012) re-weights each source example by the ratio of its density under the target
#   distribution to its density under the source, $P_T(x) / P_S(x)$; *adaptive SVMs* (Yang, Yan and
#   Hauptmann, ACM Multimedia 2007) adapt a classifier trained on the source to the target.
# - **Multi-source transfer**: choose and combine several source domains; how to measure
#   how related each one is to the target, and how to use them together, is still largely
#   open. Representative: TrAdaBoost (Dai, Yang, Xue and Yu, *Boosting for transfer
#   learning*, ICML 2007) and multi-view AdaBoost for several sources (Xu and Sun,
#   *Multi-source transfer learning with multi-view AdaBoost*, ICONIP 2012).
# - **Deep transfer learning**: deep networks represent a domain's knowledge in depth and
#   generalise well, which makes them good carriers of transfer. Representative: the
#   simultaneous transfer across domains and tasks of Tzeng et al. (above), multi-view
#   AdaBoost again, and Deep Adaptation Networks (DAN: Long, Cao, Wang and Jordan, *Learning
#   transferable features with deep adaptation networks*, ICML 2015), which fine-tune a
#   pretrained network while pulling the source and target distributions of its
#   task-specific layers together with a kernel two-sample distance (multi-kernel maximum
#   mean discrepancy).
#
# The slides also sort practical transfer algorithms into four families:
#
# 1. train on the source data mixed with a small amount of target data;
# 2. cut a trained model and keep its base as the foundation for the new domain (the recipe
#    of notebooks 04 to 06 and 11);
# 3. make target-like training images by simulation (the slides' example: OpenAI's Universe
#    platform, which trained agents in a car-racing game);
# 4. use generative adversarial networks (GANs) to carry knowledge from one domain to the
#    other.

# %% [markdown]
# ## Applications
#
# - **Computer vision**: classifiers for new classes on top of ImageNet networks (this
#   course), object detection and segmentation built on pretrained backbones, face
#   recognition, medical images (few labelled scans, pretrained on photos), neural style
#   transfer (which uses a pretrained VGG's features to measure content and style).
# - **Text**: pretrained word vectors or language models fine-tuned for sentiment analysis,
#   document classification, question answering, named-entity recognition, spam filters with
#   little labelled mail of one company.
# - **Speech and audio**: a speech-recognition model trained on a language with much data
#   (English) adapted to one with less (German, or a regional language such as Taiwanese),
#   and speaker recognition.
# - **Small-data and personalised problems**: recommending a new product with no sales
#   history from the purchase records of a related one; adapting a general model of how
#   people use their phones to one user's habits.
# - **Simulation to reality**: policies or detectors trained on simulated or game images
#   (cheap to label) transferred to real ones.
#
# ## Advantages
#
# - **Less labelled data**: a few thousand photos instead of millions, which matters when
#   labels are expensive (medical images) or do not exist yet (a new product, a new domain).
# - **Less time and computation**: training a head or a few blocks takes minutes or hours on
#   one machine instead of days on many; the pretrained model was trained once, for everyone.
#   That also saves the energy, and the emissions, of training large networks again. For a
#   sense of scale, the article on deep transfer quotes BERT: its authors pretrained the large
#   model on 16 Cloud TPUs (64 TPU chips) for four days, while each of the fine-tuning
#   experiments of their paper takes at most an hour on a single Cloud TPU (Devlin et al.).
# - **Better models**: on a small target set, a model that starts from good features usually
#   generalises better than one trained from scratch (notebooks 02-06 measure how much on
#   cats vs dogs; notebook 09 tests a source far from its target, where it may not).
# - **Reuse**: existing data and models keep their value, and a new domain can be served
#   quickly, before much data has been collected in it.
#
# ## Three ways transfer can help
#
# Plot the target task's performance against the amount of training (epochs, or training
# examples) for a learner with transfer and one without. Torrey and Shavlik (2009) name three
# ways the transfer curve can be better:
#
# 1. **Higher start**: before any training on the target, the transferred model already does
#    better than the untrained one (its initial performance is higher).
# 2. **Higher slope**: performance improves faster, so the learner reaches a given level with
#    fewer epochs or fewer examples.
# 3. **Higher asymptote**: the best performance reached at the end is higher than what
#    learning from scratch ever reaches.
#
# A method can give any of the three, all of them, or none (negative transfer, below). We do
# not draw these curves by hand: the data-size experiment of this course, notebook 10
# (**How much data does transfer save?**), measures validation accuracy against the number of
# training photos per class for the CNN from scratch and for frozen VGG-16 features, and
# plots the curves you can read the three effects from.

# %% [markdown]
# ## Challenges
#
# **Negative transfer.** Transfer can make the target worse than learning it alone, when the
# source knowledge does not fit the target: distant domains, mismatched preprocessing, or a
# representation so specialised that the target's distinctions are lost (Rosenstein et al.,
# *To transfer or not to transfer*, 2005). Detecting it always takes a comparison with a
# baseline that does not transfer, on the same evaluation; notebook 09 runs one on digits.
# Avoiding it is a research question of its own; Sarkar's article names two lines of work.
# Bakker and Heskes (*Task clustering and gating for Bayesian multitask learning*, JMLR
# 2003) take a Bayesian route: the tasks' parameters share a prior distribution that is
# itself learned from the data, and the tasks fall into clusters, so that a task is pulled
# only towards the tasks of its own cluster, not towards unrelated ones. More generally,
# clustering the tasks by how related they are and transferring only within a cluster
# (an early example: Thrun and O'Sullivan's *TC*, task clustering, algorithm, ICML 1996)
# turns "when to transfer?" into something estimated from data.
#
# **Transfer bounds.** How much can the source help? Theory gives partial answers. For binary
# classification, Ben-David et al. (*A theory of learning from different domains*, Machine
# Learning, 2010) bound the target error of any hypothesis $h$ from a class $\mathcal{H}$:
#
# $$\epsilon_T(h) \;\le\; \epsilon_S(h) \;+\; \tfrac{1}{2}\, d_{\mathcal{H}\Delta\mathcal{H}}
# (\mathcal{D}_S, \mathcal{D}_T) \;+\; \lambda,$$
#
# where $\epsilon_S$ and $\epsilon_T$ are the source and target errors, $d_{\mathcal{H}\Delta
# \mathcal{H}}$ measures how well classifiers from $\mathcal{H}$ can tell the two domains apart
# (it can be estimated from *unlabelled* samples of both), and $\lambda$ is the smallest
# combined error any single $h \in \mathcal{H}$ reaches on both domains. The bound reads: a
# model transfers well when it is good on the source, when the domains are hard to tell apart
# (the motivation for domain confusion), and when one model can be good on both. Two cautions:
# $\lambda$ involves target labels, so it cannot be checked in the unsupervised case, and the
# finite-sample versions of the bound add complexity terms that make it loose for deep
# networks. It explains *why* transfer works or fails rather than predicting accuracies.
# Other attempts to quantify transfer measure how related two tasks are, for instance with
# Kolmogorov complexity (Mahmud and Ray, 2007) or graph-based measures (Eaton et al., 2008).

# %% [markdown]
# ## Where each idea is in code
#
# | Notebook | What it does | Idea |
# |---|---|---|
# | 00 concepts | VGG-16's layers; what each strategy trains | the vocabulary |
# | 01 datasets | reproducible train / validation / test splits | the target domain and task |
# | 02 CNN from scratch | two CNNs trained on 3,000 photos | the baseline without transfer |
# | 03 CNN + augmentation | the CNN with image augmentation | more target data, no transfer |
# | 04 VGG-16 feature extractor | frozen base; dense head, logistic regression | frozen features |
# | 05 features + augmentation | base in the model, or cached augmented passes | frozen, augmented |
# | 06 VGG-16 fine-tuning | blocks 4-5, small learning rate; or block 5, cached | fine-tuning |
# | 07 evaluation | every model on the test split, scored once | does transfer pay off? |
# | 08 dog breeds | frozen InceptionV3 and a head for 120 breeds | fine-grained, many classes |
# | 09 negative transfer | MNIST 8 vs 6: pixels vs VGG-16 features | when transfer hurts |
# | 10 how much data | scratch CNN vs frozen features, 50-1,500 photos/class | what transfer saves |
# | 11 Keras blog 2016 | `.npy` features, top model, block 5 with SGD | the slides' recipe |

# %% [markdown]
# ## Further reading
#
# The course material:
#
# - D. Sarkar, R. Bali, T. Ghosh, *Hands-On Transfer Learning with Python*, Packt, 2018
#   (chapters 4-6; code: <https://github.com/dipanjanS/hands-on-transfer-learning-with-python>).
# - D. Sarkar, "A Comprehensive Hands-on Guide to Transfer Learning with Real-World
#   Applications in Deep Learning", Towards Data Science, 2018:
#   <https://towardsdatascience.com/a-comprehensive-hands-on-guide-to-transfer-learning-with-real-world-applications-in-deep-learning-212bf3b2f27a>
# - "What is Deep Transfer Learning and Why Is It Becoming So Popular?", Towards Data
#   Science (the three ways of using a pretrained model, and when each fits):
#   <https://towardsdatascience.com/what-is-deep-transfer-learning-and-why-is-it-becoming-so-popular-91acdcc2717a>
# - M. Masum, "A Demonstration of Transfer Learning of VGG Convolutional Neural Network
#   Pre-trained Model with Keras", Towards Data Science (notebook 09's experiment):
#   <https://towardsdatascience.com/a-demonstration-of-transfer-learning-of-vgg-convolutional-neural-network-pre-trained-model-with-c9f5b8b1ab0a>
# - Wang Wanliang, *Introduction to Artificial Intelligence* (人工智能导论, 4th ed.), chapter
#   "Transfer learning", course slides and MOOC: <https://www.icourse163.org/course/ZJUT-1002694018>
#   (their Keras recipe is the 2016 blog post below, notebook 11).
# - A. Ng, "Nuts and Bolts of Building AI Applications using Deep Learning", NIPS 2016
#   tutorial: <https://media.nips.cc/Conferences/2016/Slides/6203-Slides.pdf>
# - F. Chollet, "Building powerful image classification models using very little data", The
#   Keras Blog, 2016:
#   <https://blog.keras.io/building-powerful-image-classification-models-using-very-little-data.html>
# - The Keras guide "Transfer learning & fine-tuning" (F. Chollet):
#   <https://keras.io/guides/transfer_learning/>
#
# The papers:
#
# - S. J. Pan and Q. Yang, "A Survey on Transfer Learning", *IEEE Transactions on Knowledge
#   and Data Engineering* 22(10), 2010: <https://doi.org/10.1109/TKDE.2009.191>
# - J. Yosinski, J. Clune, Y. Bengio, H. Lipson, "How transferable are features in deep
#   neural networks?", NeurIPS (then NIPS) 2014: <https://arxiv.org/abs/1411.1792>
# - A. S. Razavian, H. Azizpour, J. Sullivan, S. Carlsson, "CNN Features off-the-shelf: an
#   Astounding Baseline for Recognition", CVPR workshops 2014: <https://arxiv.org/abs/1403.6382>
# - K. Simonyan and A. Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
#   Recognition", ICLR 2015 (arXiv 2014): <https://arxiv.org/abs/1409.1556>
# - C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna, "Rethinking the Inception
#   Architecture for Computer Vision", CVPR 2016: <https://arxiv.org/abs/1512.00567>
# - R. R. Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
#   Gradient-based Localization", ICCV 2017: <https://arxiv.org/abs/1610.02391>
# - S. Ben-David, J. Blitzer, K. Crammer, A. Kulesza, F. Pereira, J. W. Vaughan, "A theory of
#   learning from different domains", *Machine Learning* 79, 2010:
#   <https://doi.org/10.1007/s10994-009-5152-4>
# - L. Torrey and J. Shavlik, "Transfer Learning", in *Handbook of Research on Machine
#   Learning Applications and Trends*, IGI Global, 2009 (inductive transfer; higher start,
#   slope and asymptote).
# - M. T. Rosenstein, Z. Marx, L. P. Kaelbling, T. G. Dietterich, "To transfer or not to
#   transfer", NIPS 2005 workshop on inductive transfer (negative transfer).
# - I. Goodfellow, Y. Bengio, A. Courville, *Deep Learning*, MIT Press, 2016, section 15.2
#   "Transfer Learning and Domain Adaptation": <https://www.deeplearningbook.org/>
# - M. D. Zeiler and R. Fergus, "Visualizing and Understanding Convolutional Networks",
#   ECCV 2014: <https://arxiv.org/abs/1311.2901>
# - J. Devlin, M.-W. Chang, K. Lee, K. Toutanova, "BERT: Pre-training of Deep Bidirectional
#   Transformers for Language Understanding", NAACL 2019: <https://arxiv.org/abs/1810.04805>
# - B. Bakker and T. Heskes, "Task Clustering and Gating for Bayesian Multitask Learning",
#   *Journal of Machine Learning Research* 4, 2003 (avoiding negative transfer).
# - M. Long, Y. Cao, J. Wang, M. I. Jordan, "Learning Transferable Features with Deep
#   Adaptation Networks", ICML 2015: <https://arxiv.org/abs/1502.02791>
#
# ## Takeaways
#
# - Transfer learning reuses what a model learned on a source task with plenty of data for a
#   target task with less, instead of learning every task in isolation. It relaxes two
#   assumptions of traditional learning: training and test data from one distribution, and
#   plenty of labelled examples.
# - Pan and Yang's frame: domains and tasks; three settings by where the labels are
#   (inductive, transductive, unsupervised); four approaches by what is transferred
#   (instances, feature representations, parameters, relations).
# - Deep transfer learning uses a pretrained network as is, as a frozen feature extractor, or
#   as the starting point of fine-tuning; the more it trains (from a few hundred weights of a
#   linear model to every weight of VGG-16 and its head, counted above), the more target
#   data it needs. A network's first layers are generic and its last ones specific to the
#   source classes: that is why the base is frozen and the last blocks are the ones
#   fine-tuned.
# - Transfer can give a higher start, a higher slope and a higher asymptote, or hurt
#   (negative transfer): whether it helps is measured against a baseline without transfer,
#   which is what the rest of the course does.
#
# ## Try it
#
# Each exercise changes the parameters cell or one cell; run the notebook again from the top
# ("Restart & Run All") and read the printed tables.
#
# **1. Another input size.** Set `IMAGE_SIZE = 224` (VGG-16's own input size), then
# `IMAGE_SIZE = 32` (the smallest `keras.applications.VGG16` accepts without its top). Look at
# the size printed for `block5_pool`, at block 5's parameters in the per-block table, and at
# the trainable parameters of "frozen base + book head". Which of them change, and why?
#
# <details><summary>Answer</summary>
#
# At 224 px `block5_pool` is 7 x 7 x 512 = 25,088 features per image; at 32 px it is
# 1 x 1 x 512 = 512. Block 5 keeps its 7,079,424 parameters at every size: a convolution's
# weights depend on its kernel size and channels, not on the size of the image. The head
# grows with the map, because its first dense layer has one weight per input feature and
# unit: "frozen base + book head" trains 13,108,737 parameters at 224 px, 4,457,985 at 150
# and 525,825 at 32.
#
# </details>
#
# **2. Fine-tune one block more.** In the cell that builds `strategies`, add
# `"fine-tune blocks 3-5": ("block3", "block4", "block5"),` just before
# `"train everything"`. How many parameters does it train, and how many stay frozen?
#
# <details><summary>Answer</summary>
#
# At 150 px it trains 18,912,513 parameters: the head's 4,457,985 plus blocks 3, 4 and 5
# (1,475,328 + 5,899,776 + 7,079,424). Frozen stay 260,160, the 38,720 + 221,440 of blocks 1
# and 2: the most generic layers are also the smallest, under 2 % of the base.
#
# </details>
#
# **3. The Keras blog's head.** Notebook 11 follows the 2016 Keras blog post (the course
# slides' recipe), whose head is smaller. In the cell that builds `head`, replace the layers
# after `Flatten()` by `keras.layers.Dense(256, activation="relu")`,
# `keras.layers.Dropout(0.5)` and `keras.layers.Dense(1, activation="sigmoid")`. Compare the
# trainable parameters of "frozen base + book head" (the row keeps its name) with the book's.
#
# <details><summary>Answer</summary>
#
# 2,097,665 at 150 px instead of the book head's 4,457,985. Nearly all of it is the first
# dense layer, 8,192 inputs x 256 units + 256 biases = 2,097,408; the book's head has twice
# the units there and a second 512-unit layer (262,656 parameters). Dropout has no
# parameters: its rate changes nothing in the count.
#
# </details>
#
# **4. VGG-19.** In the cell that builds `base`, replace `keras.applications.VGG16` by
# `keras.applications.VGG19` and keep `WEIGHTS = None` (VGG-16's weights file does not fit
# VGG-19). Count the convolutions per block and read the share printed for block 5.
#
# <details><summary>Answer</summary>
#
# 16 convolutions instead of 13: blocks 3, 4 and 5 get a fourth one. The base holds
# 20,024,384 parameters, block 5 9,439,232 of them, and the cell prints "block 5 holds 47% of
# the base's 20,024,384 parameters" (48 % for VGG-16). The complete VGG-16 further down does
# not change: its cell builds VGG-16 itself.
#
# </details>
#
# ## What a full run costs
#
# Only model construction, no training: the VGG-16 base (with `WEIGHTS`) and the complete
# VGG-16 with random weights; with `WEIGHTS="imagenet"` the base's weights are downloaded
# once (58.9 MB) unless they are already on disk.
#
# - **Book settings on a GPU**: not measured here (nothing in it needs a GPU).
# - **`cpu` profile on a 2-core laptop**: 0.29 minutes in the run of 2026-12-03 in
#   `BENCHMARKS.md` (2-core AMD EPYC, nothing else running), on a day the machine ran VGG-16
#   about three times slower than on 2026-11-24 (5.6 photos per second at 180 px in float32,
#   against 16 in bfloat16); the run of 2026-11-24 there, of the previous version, took 0.13
#   minutes.
