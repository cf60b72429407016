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
# **Description:** the ideas behind the course, in one place: what transfer learning is,
# its settings and approaches, the deep-learning strategies the next notebooks implement,
# its relatives, and its limits. The few code cells look inside VGG-16, the network of
# notebooks 04 to 06, to count what each strategy trains.
#
# ## Why transfer at all?
#
# A model trained from scratch learns everything from its own training set. When that set is
# small, the model either stays too simple or memorises it (notebook 02 shows the second). People
# rarely start from nothing: having learned to recognise objects, we learn a new kind of
# object from a handful of examples. **Transfer learning** gives a model the same head start:
# knowledge gained on a *source* problem with plenty of data is reused for a *target* problem
# with less. In this course the source is ImageNet (1.2 million photos, 1,000 classes) and the
# targets are cats versus dogs (3,000 photos), dog breeds, and handwritten digits.

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
# ## Settings and approaches
#
# The **settings** depend on where labels are available and whether the tasks match:
#
# - **Inductive** transfer: the target task differs from the source task, and some labelled
#   target data exist to induce $f_T$. Everything from notebook 04 on is inductive: the
#   labelled cats and dogs train a new classifier on ImageNet features.
# - **Transductive** transfer: the tasks are the same but the domains differ, and labels exist
#   only in the source; the target domain is seen through unlabelled examples. Domain
#   adaptation (below) is the main case.
# - **Unsupervised** transfer: no labels anywhere; the target task is itself unsupervised
#   (clustering, dimensionality reduction, density estimation).
#
# The **approaches** differ in *what* they carry over:
#
# - **Instance transfer**: reuse source examples directly, typically re-weighted so that
#   those resembling the target count more (importance weighting, boosting variants such as
#   TrAdaBoost).
# - **Feature-representation transfer**: learn a representation in which the domains look
#   alike and the target task is easy; a pretrained network's activations are one.
# - **Parameter transfer**: source and target models share parameters or priors over them;
#   starting from pretrained weights and fine-tuning them belongs here.
# - **Relational-knowledge transfer**: carry over relations between data points (for
#   instance in social or citation networks), assuming the relations, not the points, are
#   alike.
#
# Which approach has been used in which setting (after Pan and Yang's survey):
#
# | Approach | Inductive | Transductive | Unsupervised |
# |---|:---:|:---:|:---:|
# | Instance transfer | ✓ | ✓ | |
# | Feature-representation transfer | ✓ | ✓ | ✓ |
# | Parameter transfer | ✓ | | |
# | Relational-knowledge transfer | ✓ | | |

# %% [markdown]
# ## Deep transfer learning
#
# A deep network trained on a large source builds a hierarchy: its first layers respond to
# edges, colours and textures, which nearly every image problem needs; its last layers
# respond to combinations specific to the source classes (Yosinski et al., *How transferable
# are features in deep neural networks?*, NIPS 2014). Three ways to reuse it, from the
# least to the most training:
#
# 1. **As is**: the pretrained model, classifier included, predicts its own source classes;
#    useful when the target classes are among them (an ImageNet model already tells several
#    dog breeds apart). Nothing is trained.
# 2. **Frozen feature extractor**: drop the source classifier, keep the convolutional base
#    frozen, and train only a new head on its output, the *bottleneck features*. The head can
#    be a small dense network (the book's) or a light linear model such as a logistic
#    regression. The features can be computed once and cached, so training is fast.
# 3. **Fine-tuning**: also unfreeze the last blocks of the base and train them, with a small
#    learning rate, together with the head, so the most source-specific layers adapt to the
#    target. The earlier blocks stay frozen, because they are generic and because training
#    them on little data overfits.
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
# These are rules of thumb, not laws: notebooks 04 to 06 measure them on cats vs dogs, and
# notebook 09 on digits, which are far from ImageNet photos.

# %% [markdown]
# ### Inside VGG-16
#
# The cells below build VGG-16's convolutional base (`include_top=False`) and count what each
# strategy trains. With `WEIGHTS=None` (the default here) the weights are random: no download,
# and parameter counts do not depend on the weights' values. `WEIGHTS="imagenet"` or a path to
# the weights file gives the same counts.

# %% tags=["parameters"]
IMAGE_SIZE = 150
WEIGHTS = None
SEED = 42

# %%
import keras
import pandas as pd
from IPython.display import display

from utils import pretrained

keras.utils.set_random_seed(SEED)
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)

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
    rows.append({"strategy": strategy, **pretrained.count_params(model)})
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
# From none to over 19 million trained parameters on the same 3,000 photos: the more a
# strategy trains, the more target data it needs and the smaller its learning rate should be.
# The complete VGG-16 also shows where the weight of the original model was: its three dense
# layers hold most of its parameters, and we drop them all (`include_top=False`).

# %%
dense = sum(layer.count_params() for layer in full.layers if isinstance(layer, keras.layers.Dense))
share = dense / full.count_params()
print(f"complete VGG-16: {full.count_params():,} parameters, {dense:,} ({share:.0%}) of them")
print("in the three dense layers of its ImageNet classifier")
del full

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
#   gradient-reversal layer, as in Ganin and Lempitsky, 2015). Features that carry no domain
#   information transfer better.
# - **Multi-task learning**: several related tasks are learned *at the same time* with a shared
#   representation, each task acting as a regulariser for the others; there is no source and
#   target, every task is both.
# - **One-shot (few-shot) learning**: learning a class from one or a few examples, usually by
#   reusing a representation learned on other classes and comparing new examples to the few
#   known ones (siamese or prototypical networks).
# - **Zero-shot learning**: recognising classes with *no* training example at all, through side
#   information shared by seen and unseen classes (attributes, text descriptions, word
#   embeddings): a "zebra" can be recognised as a striped, horse-like animal.

# %% [markdown]
# ## Challenges
#
# **Negative transfer.** Transfer can make the target worse than learning it alone, when the
# source knowledge does not fit the target: distant domains, mismatched preprocessing, or a
# representation so specialised that the target's distinctions are lost (Rosenstein et al.,
# *To transfer or not to transfer*, 2005). Detecting it always takes a comparison with a
# baseline that does not transfer, on the same evaluation; notebook 09 runs one on digits.
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
# | 05 features + augmentation | frozen base in the model, augmented photos | frozen, augmented |
# | 06 VGG-16 fine-tuning | blocks 4 and 5 trained at a small learning rate | fine-tuning |
# | 07 evaluation | every model on the test split | does transfer pay off? |
# | 08 dog breeds | frozen InceptionV3 and a head for 120 breeds | fine-grained, many classes |
# | 09 negative transfer | MNIST 8 vs 6: pixels vs VGG-16 features | when transfer hurts |
