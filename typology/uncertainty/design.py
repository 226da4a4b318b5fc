"""The Monte Carlo design: which alternative of every factor each replicate takes, drawn up front.

Every replicate is a pure function of its row; the rows come from ``uncertainty.seed``, so the
results do not depend on how the rows are split among workers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .alternatives import DATA_FACTORS, FACTORS, STEPS, Plan

DISCRETE = (*STEPS, "typology", "k", *DATA_FACTORS)  # the columns of Design.choice


@dataclass(frozen=True)
class Design:
    """Rows of factor values: an index into each factor's alternatives, and the weight-noise uniforms.

    ``u_ind`` / ``u_dim`` are None when that weight level has no noise; their uniforms become
    Dirichlet weights around whatever the nominal weights of the replicate's scoring are.
    """

    choice: np.ndarray  # rows × len(DISCRETE), int
    u_ind: np.ndarray | None = None  # rows × indicators
    u_dim: np.ndarray | None = None  # rows × dimensions

    def __len__(self) -> int:
        return len(self.choice)

    def take(self, rows: slice | np.ndarray) -> Design:
        return Design(self.choice[rows], None if self.u_ind is None else self.u_ind[rows],
                      None if self.u_dim is None else self.u_dim[rows])

    def mix(self, other: Design, factor: str) -> Design:
        """These rows with ``factor`` taken from ``other`` (Saltelli's A_B^i)."""
        if factor == "weights_indicators":
            return replace(self, u_ind=other.u_ind.copy())
        if factor == "weights_dimensions":
            return replace(self, u_dim=other.u_dim.copy())
        choice = self.choice.copy()
        col = DISCRETE.index(factor)
        choice[:, col] = other.choice[:, col]
        return replace(self, choice=choice)

    @staticmethod
    def concat(parts: list[Design]) -> Design:
        def stack(arrays: list[np.ndarray | None]) -> np.ndarray | None:
            return None if arrays[0] is None else np.concatenate(arrays)

        return Design(np.concatenate([p.choice for p in parts]), stack([p.u_ind for p in parts]),
                      stack([p.u_dim for p in parts]))

    def columns(self, plan: Plan) -> dict[str, np.ndarray]:
        """The discrete choices by name, for the replicate table."""
        names = {**{s: [c.label for c in plan.steps[s]] for s in STEPS}, "typology": plan.typology,
                 "k": [str(k) for k in plan.k] or [""], "vintage": plan.vintage, "exclude": plan.exclude_labels()}
        # The data columns only when data choices vary: without them the table is as before they existed.
        return {f: np.asarray(names[f], dtype=object)[self.choice[:, i]] for i, f in enumerate(DISCRETE)
                if f not in DATA_FACTORS or f in plan.data_active()}


def draw(plan: Plan, rows: int, n_indicators: int, n_dimensions: int, rng: np.random.Generator) -> Design:
    """``rows`` independent draws of every varying factor (uniform over the alternatives)."""
    active = set(plan.active())
    choice = np.zeros((rows, len(DISCRETE)), dtype=np.int64)
    u_ind = u_dim = None
    tiny = np.finfo(float).tiny  # the uniforms must be > 0 for the inverse gamma below
    for factor in FACTORS:
        if factor not in active:
            continue
        if factor == "weights_indicators":
            u_ind = np.maximum(rng.random((rows, n_indicators)), tiny)
        elif factor == "weights_dimensions":
            u_dim = np.maximum(rng.random((rows, n_dimensions)), tiny)
        else:
            choice[:, DISCRETE.index(factor)] = rng.integers(0, plan.levels(factor), rows)
    return Design(choice, u_ind, u_dim)
