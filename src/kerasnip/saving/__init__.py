"""The file formats: Keras bytes, the JSON codec, the spec as data and the ``.kerasnip`` zip.

These sit below the estimators, which use them to save and pickle themselves;
:func:`kerasnip.load` (:mod:`kerasnip.loading`), which needs the factory to
rebuild a class, sits above.
"""
