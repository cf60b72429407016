"""Helpers for the transfer-learning course notebooks: data, models, training, evaluation."""

SEED = 42
