"""kerasnip's benchmark suite: ``python -m bench [names...] [--quick]`` (or ``make bench``).

Benchmarks (issue 6), each writing its section of ``BENCHMARKS.md``:

- ``overhead``: the getting-started MLP on MNIST, raw Keras vs kerasnip;
- ``speed``: one small fit before and after compiled-model reuse;
- ``tuning``: the getting-started grid by ``tune_grid``, ``GridSearchCV`` over
  the spec, SciKeras and ``keras.wrappers.SKLearnClassifier``, per backend;
- ``scaling``: tuning time against grid size and rows, fit time against rows;
- ``memory``: resident memory over 300 consecutive fits;
- ``accuracy``: cross-validated and test accuracy of the tuned model.

Every measurement runs in a fresh worker process (:mod:`bench.worker`).
"""
