"""The chart of a sensitivity analysis: Sobol indices of every parameter on every answer, as a heatmap."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.outcomes import registry
from sim.reports.charts import plt


def indices_heatmap(sobol: pd.DataFrame, uninformed: set[str], reference: str, threshold_note: str = ""):
    """Total indices (colour) with the first-order index below each; one column per answer.

    Answers at ``reference`` are levels, the others per cent changes against it.  Parameters that
    no target informs are marked with an asterisk; an answer without indices is grey.
    """
    answers = list(dict.fromkeys(zip(sobol["scenario"], sobol["metric"])))
    params = list(dict.fromkeys(sobol["parameter"]))
    cells = sobol.set_index(["scenario", "metric", "parameter"])
    total = np.array([[cells.loc[(s, m, p), "total"] for s, m in answers] for p in params], dtype=float)
    first = np.array([[cells.loc[(s, m, p), "first_order"] for s, m in answers] for p in params], dtype=float)
    fig, ax = plt.subplots(figsize=(1.25 * len(answers) + 3.6, 0.5 * len(params) + 2.4))
    cmap = plt.get_cmap("Blues").with_extremes(bad="0.85")
    image = ax.imshow(np.ma.masked_invalid(np.clip(total, 0, 1)), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i in range(len(params)):
        for j in range(len(answers)):
            t, f = total[i, j], first[i, j]
            text = "n/a" if not math.isfinite(t) else f"{t:.2f}\n({f:.2f})"
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if t > 0.6 else "0.1")
    ax.set_xticks(range(len(answers)))
    ax.set_xticklabels(
        [f"{s}\n{registry.label(m)}" + (" (level)" if s == reference else " (% change)") for s, m in answers],
        rotation=60,
        ha="right",
        fontsize=7,
    )
    ax.set_yticks(range(len(params)))
    ax.set_yticklabels([p + (" *" if p in uninformed else "") for p in params], fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="total Sobol index")
    ax.set_title(
        "Sobol indices: total (first order in brackets)\n* no target informs it, held at its prior"
        + (f"; {threshold_note}" if threshold_note else ""),
        fontsize=9,
    )
    fig.tight_layout()
    return fig
