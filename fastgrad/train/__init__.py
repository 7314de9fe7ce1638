"""Training the lecture's models from Python; `fastgrad train MODEL ...` only parses arguments and calls these.

    import fastgrad.train

    result = fastgrad.train.rnnlm(train="train.txt", valid="valid.txt", test="test.txt", epochs=3, out="runs/rnn")
    result.test["ppl"], result.best_epoch, result.model

Each function takes a typed config (`RNNLMConfig(...)`, checked when it is built) or the same settings as
keywords; settings are named as the command's options (`--max-minutes` is `max_minutes`). They print what the
command prints and return a `TrainingResult`.
"""
from fastgrad.train.classifiers import NBOWConfig, NERConfig, nbow, ner
from fastgrad.train.errors import ConfigError, ModelDirectoryError, TrainingDiverged, TrainingInterrupted
from fastgrad.train.language_models import FFLMConfig, NgramConfig, RNNLMConfig, fflm, ngram, rnnlm
from fastgrad.train.loop import TrainingResult
from fastgrad.train.word2vec import Word2VecConfig, word2vec

__all__ = ["nbow", "ner", "ngram", "fflm", "rnnlm", "word2vec", "NBOWConfig", "NERConfig", "NgramConfig",
           "FFLMConfig", "RNNLMConfig", "Word2VecConfig", "TrainingResult", "ConfigError", "ModelDirectoryError",
           "TrainingDiverged", "TrainingInterrupted"]
