"""The bundled corpus, installed as package data so careerbot finds it after any install.

Only data lives here (documents, synonyms.txt, README.md); retrieval.corpus locates it
with importlib.resources.
"""
