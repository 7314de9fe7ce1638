"""Evaluation metrics: accuracy, CoNLL chunk precision/recall/F1, perplexity."""
from fastgrad.metrics.classification import accuracy
from fastgrad.metrics.language_model import perplexity
from fastgrad.metrics.ner import ChunkScore, ConllEvaluation, conll_evaluate

__all__ = ["accuracy", "perplexity", "ChunkScore", "ConllEvaluation", "conll_evaluate"]
