"""A bridge to Optuna: a parameter set as Optuna's search space, and pruning by epoch.

:meth:`kerasnip.ParameterSet.to_optuna` draws a configuration in a trial;
:class:`OptunaPruning` reports a per-epoch score to the trial and stops the fit
when Optuna's pruner finds the trial unpromising. Optuna is an optional
dependency (``pip install kerasnip[optuna]``); this module imports Keras, so
``import kerasnip`` does not import it.
"""

from __future__ import annotations

import math
from typing import Any

import keras


class OptunaPruning(keras.callbacks.Callback):
    """Report ``monitor`` to an Optuna trial after every epoch; stop a pruned trial.

    Give it to a spec's ``fit_callbacks``. kerasnip copies callbacks for
    every fit; this one shares its trial between the copies (the trial is the
    link to the study, not per-fit state).

    Parameters
    ----------
    trial : optuna.trial.Trial
        The trial being evaluated.
    monitor : str, default="val_accuracy"
        A key of the epoch's logs (``val_*`` needs ``fit_validation_split``
        or ``fit_validation_data``); greater or smaller is better as the
        study's ``direction`` says.

    Raises
    ------
    optuna.TrialPruned
        From ``fit``, when the pruner stops the trial.

    Examples
    --------
    >>> def objective(trial):                                             # doctest: +SKIP
    ...     model = kerasnip.finalize(spec, params.to_optuna(trial)).set_params(
    ...         fit_validation_split=0.2, fit_callbacks=[OptunaPruning(trial)])
    ...     return model.fit(X, y).history_["val_accuracy"].iloc[-1]
    """

    def __init__(self, trial: Any, monitor: str = "val_accuracy"):
        super().__init__()
        self.trial = trial
        self.monitor = monitor

    def __deepcopy__(self, memo: dict) -> OptunaPruning:
        return type(self)(self.trial, self.monitor)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            raise KeyError(
                f"OptunaPruning monitors {self.monitor!r}, which this fit does not log; it logs "
                f"{sorted(logs)}. Validation scores need fit_validation_split or "
                "fit_validation_data.")
        value = float(logs[self.monitor])
        if not math.isfinite(value):
            return
        self.trial.report(value, step=epoch)
        if self.trial.should_prune():
            import optuna

            raise optuna.TrialPruned(f"pruned after epoch {epoch + 1}: "
                                     f"{self.monitor}={value:.4g}")
