"""Overlapping label pairs in rank_intervals.png, with and without ``spread_labels`` (default config, n = 60).

    python benchmarks/rank_interval_labels.py
"""

import copy
import dataclasses
import itertools

from typology import load_config, paths, run
from typology.render import uncertainty_report as ur
from typology.render.charts import hangul_context
from typology.uncertainty.analysis import analyse


def overlapping_pairs(result, unc) -> int:
    with hangul_context():
        fig = ur.rank_interval_figure(result, unc)
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        boxes = [ur.text_box(t, renderer) for t in ax.texts] + [ax.get_legend().get_window_extent(renderer)]
        return sum(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


def main() -> None:
    base = run(load_config(paths.DEFAULT_CONFIG))
    config = copy.deepcopy(base.config)
    config["uncertainty"].update({"n": 60, "backend": "sequential"})
    result = dataclasses.replace(base, config=config)
    unc = analyse(result)
    after = overlapping_pairs(result, unc)
    ur.spread_labels = lambda *args, **kwargs: None  # the labels where they were drawn before
    print(f"overlapping label pairs: without spreading {overlapping_pairs(result, unc)}, with spreading {after}")


if __name__ == "__main__":
    main()
