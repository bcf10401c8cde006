"""
A functional "fork-join" model: one input forked into two paths, then joined
============================================================================

The R package's README example 2 in Python. The graph is written as blocks
whose argument names are the blocks they read from (:func:`kerasnip.inp_spec`
renames arguments to wire a block to its upstream block), and the widths of
both paths are tuned by cross-validation like any other hyperparameter.

Data: scikit-learn's diabetes data (shipped, no download), target
standardised. Run: ``python examples/functional_forkjoin.py`` (``--epochs``
trades accuracy for time). ``python -m kerasnip demo --functional`` runs the
same model with commentary.
"""

import argparse
import inspect

import kerasnip  # before keras: picks JAX when Keras's configured backend is not installed

# isort: split
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

from kerasnip.demo.functional import (
    concat_block,
    input_block,
    layer_blocks,
    output_block,
    path_block,
)

parser = argparse.ArgumentParser(description="The fork-join functional model.")
parser.add_argument("--epochs", type=int, default=50)
parser.add_argument("--folds", type=int, default=3)
args = parser.parse_args()

# %%
# Blocks are graph nodes
# ----------------------
# An argument named after a block is an edge. The demo's ``layer_blocks()`` forks
# ``main_input`` into ``path_a`` and ``path_b`` (``path_block``: Dense with ReLU, wired
# to its upstream block by ``inp_spec``), joins them in ``concatenated`` and ends in
# the block named ``output`` (one linear unit):

for block in (input_block, path_block, concat_block, output_block, layer_blocks):
    print(inspect.getsource(block))

# %%
# The spec
# --------
# A scikit-learn regressor class with one parameter per setting; ``num_path_a``
# chains ``path_a`` that many times.

forked_mlp = kerasnip.create_keras_functional_spec("forked_mlp", layer_blocks(), "regression")
print("Architecture parameters:",
      [p.name for p in forked_mlp.kerasnip_spec.parameters if p.role in ("num", "block")])

X, y = load_diabetes(return_X_y=True)
y = (y - y.mean()) / y.std()
x_train, x_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

# %%
# Fit with fixed widths and predict
# ---------------------------------
# ``path_a`` 16 units, ``path_b`` 8.

est = forked_mlp(path_a_units=16, path_b_units=8, learn_rate=0.01, fit_epochs=args.epochs,
                 random_state=123).fit(x_train, y_train)
est.model_.summary()
print(kerasnip.predict_table(est, x_test[:5]).assign(truth=y_test[:5]))
print(f"test R^2 with widths 16/8: {est.score(x_test, y_test):.3f}")

# %%
# Tune both widths and the depth of ``path_a``
# --------------------------------------------
# 1 or 2 chained layers on ``path_a``: 2 x 2 x 2 configurations, each fitted on every
# fold.

spec = forked_mlp(path_a_units=kerasnip.tune(), path_b_units=kerasnip.tune(),
                  num_path_a=kerasnip.tune(), learn_rate=0.01, fit_epochs=args.epochs,
                  random_state=123)
params = kerasnip.extract_parameter_set(spec).update(
    path_a_units=kerasnip.hidden_units((4, 32)),
    path_b_units=kerasnip.hidden_units((4, 32)),
    num_path_a=kerasnip.num_terms((1, 2)),
)
grid = kerasnip.grid_regular(params, levels=2)
res = kerasnip.tune_grid(spec, x_train, y_train, resamples=args.folds, grid=grid)
print(res.show_best("r2", n=3).to_string())
final = kerasnip.finalize(spec, res.select_best("r2")).fit(x_train, y_train)
print(f"test R^2 of the tuned model: {final.score(x_test, y_test):.3f}")
