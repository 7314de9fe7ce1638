"""Data: vocabularies, readers, corpora, pretrained vectors."""
