"""Results.plot colours each type as map.html does: by the type's key, from the config."""

from __future__ import annotations

import copy
import dataclasses

from matplotlib.colors import to_rgba

from typology.api.loaders import from_run
from typology.render.layers import type_colours


def test_plot_takes_each_type_colour_from_the_config(default_run):
    res = from_run(default_run)
    config = copy.deepcopy(res.config)
    types = config["typology"]["types"]
    types[1]["colour"] = "#123456"
    first = types[0]["key"]
    # Without the first type's units, colours given by position would shift onto the next type.
    frame = res.frame[res.frame["type"] != first]
    shown = dataclasses.replace(res, frame=frame, config=config)  # a fresh cache (_cache is init=False)
    fig = shown.plot(lang="en")
    legend = fig.axes[0].get_legend()
    expected = type_colours(types, config["typology"]["unclassified"]["key"])
    keys = [k for k in shown.types.index if k in set(frame["type"])]
    assert len(legend.get_patches()) == len(keys) and first not in keys
    for key, patch in zip(keys, legend.get_patches()):
        assert patch.get_label().startswith(shown.type_name(key, "en"))
        assert patch.get_facecolor() == to_rgba(expected[key])
    assert to_rgba("#123456") in [p.get_facecolor() for p in legend.get_patches()]
    fills = {tuple(c.get_facecolor()[0]) for c in fig.axes[0].collections}
    assert fills == {to_rgba(expected[k]) for k in keys}
