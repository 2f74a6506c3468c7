"""The maximum-likelihood search of both CLV models (BG/NBD, Gamma-Gamma).

``minimise(objective, start)``: Nelder–Mead from ``start`` until it is near the optimum
(parameter steps under 1e-4, at most 3,000 evaluations), then BFGS to polish it (gradient
under 1e-10). The objective is the mean negative log-likelihood over the log-parameters,
so every parameter stays positive. Nelder–Mead alone to 1e-10 took up to 40,000
evaluations where the likelihood is flat (a spend model whose q and γ grow together), for
the same optimum.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def minimise(objective: Callable[[np.ndarray], float], start: np.ndarray) -> tuple[np.ndarray, float]:
    """The log-parameters minimising ``objective`` from ``start``, and its value there."""
    from scipy.optimize import minimize  # about half a second to import: only when a model is fitted

    near = minimize(objective, start, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-9, "maxfev": 3000})
    best = minimize(objective, near.x, method="BFGS", options={"gtol": 1e-10})
    return best.x, float(best.fun)


__all__ = ["minimise"]
