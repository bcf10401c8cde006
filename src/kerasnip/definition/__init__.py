"""Definitions: what a spec is, read from its blocks, before any data or Keras model.

Nothing here imports Keras: a spec can be created, checked and laid out into
parameters without choosing a backend.
"""
