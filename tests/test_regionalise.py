"""Contiguity, island handling and spatially constrained regionalisation (SKATER, Ward-spatial)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from typology.data.geometry import load_unit_geometry
from typology.errors import TypologyError
from typology.render.type_sections import warnings_section
from typology.typologies.classify import classify
from typology.typologies.contiguity import ContiguityGraph, IslandWarning, _components, describe

from .typology_synth import CATALOG, DIMS, grid, typology

ISLAND = "10024"  # the detached square of grid(6, 4)


def block_scores(geo) -> tuple[pd.DataFrame, np.ndarray]:
    """Synthetic: the grid's left half society-strong, right half resource-strong; the island like the right."""
    codes = geo["code"].tolist()
    left = np.array([int(c) - 10000 < 24 and (int(c) - 10000) % 6 < 3 for c in codes])
    rng = np.random.default_rng(1)
    values = np.where(left[:, None], [-1.0, 2.0, 2.0, -1.0], [2.0, -1.0, -1.0, 2.0])
    values = values + rng.normal(0, 0.1, (len(codes), 4))
    return pd.DataFrame(values, columns=DIMS, index=pd.Index(codes, name="code")), left.astype(int)


def test_nearest_links_the_island_to_the_closest_unit():
    graph = ContiguityGraph(grid())
    cont = graph.restrict(graph.codes, "nearest")
    assert cont.detached == [[ISLAND]]
    assert cont.own == []
    # the island lies 20 km east of the top-right square 10023
    (a, b, km), = cont.links
    assert (a, b) == (ISLAND, "10023")
    assert km == pytest.approx(20.0, abs=0.1)
    assert len(_components(cont.main, cont.neighbours)) == 1
    assert cont.weights().n_components == 1


def test_own_keeps_the_island_as_its_own_region():
    graph = ContiguityGraph(grid())
    cont = graph.restrict(graph.codes, "own")
    assert cont.own == [[ISLAND]]
    assert ISLAND not in cont.main and len(cont.main) == 24
    assert cont.links == []


def test_queen_and_rook_differ_on_corners():
    queen = ContiguityGraph(grid(island=False), "queen").neighbours["10000"]
    rook = ContiguityGraph(grid(island=False), "rook").neighbours["10000"]
    assert queen == ["10001", "10006", "10007"]
    assert rook == ["10001", "10006"]


@pytest.mark.parametrize("islands", ["nearest", "own"])
@pytest.mark.parametrize("method", ["skater", "ward_spatial"])
def test_island_handling_warns_and_regions_are_contiguous(method, islands):
    geo = grid()
    scores, truth = block_scores(geo)
    spec = typology(method, k=2, k_range=[2, 3], contiguity={"rule": "rook", "islands": islands},
                    bootstrap={"n": 5, "unstable_below": 0.7})
    with pytest.warns(IslandWarning, match=rf"1 units have no land neighbour.*{ISLAND}.*islands: {islands}"):
        out = classify(scores, spec, CATALOG, geometry=lambda: geo)
    clusters = out.typed["cluster"].astype(int)
    # every region is connected on the graph the method was given (the island's link included)
    linked = ContiguityGraph(geo, "rook").restrict(clusters.index.tolist(), islands)
    for label in clusters.unique():
        members = clusters.index[clusters == label].tolist()
        assert len(_components(members, linked.neighbours)) == 1, (label, members)
    main = clusters.drop(ISLAND)
    assert adjusted_rand_score(truth[:-1], main) >= 0.9
    if islands == "own":
        assert clusters.nunique() == 3 and (clusters == clusters[ISLAND]).sum() == 1
    else:
        assert clusters.nunique() == 2
    assert out.warnings and ISLAND in out.warnings[0]
    assert out.steps[0]["warnings"] == out.warnings
    assert warnings_section(out.warnings).key == "typology_warnings"  # the report section is drawn in render
    assert out.steps[0]["contiguity"]["islands"] == islands


def test_spatial_method_without_geometry_is_a_clear_error():
    scores, _ = block_scores(grid())
    with pytest.raises(TypologyError, match="skater: needs the unit geometry"):
        classify(scores, typology("skater", k=2, k_range=[2, 3]), CATALOG)


def test_no_warning_without_islands():
    geo = grid(island=False)
    scores, _ = block_scores(geo)
    with warnings.catch_warnings():
        warnings.simplefilter("error", IslandWarning)
        out = classify(scores, typology("skater", k=2, k_range=[2, 3], bootstrap={"n": 3}), CATALOG,
                       geometry=lambda: geo)
    assert out.warnings == []


def test_real_geometry_units_without_land_neighbours():
    """Bundled geometry: which units touch no other (verified, not assumed)."""
    graph = ContiguityGraph(load_unit_geometry())
    cont = graph.restrict(graph.codes, "nearest")
    detached = sorted(c for comp in cont.detached for c in comp)
    # 울릉군, 옹진군, 제주 and six bridged islands the simplified polygons show detached
    assert detached == ["21040", "23310", "23320", "36460", "36470", "37430", "38090", "38350", "39000"]
    links = {a: (b, km) for a, b, km in cont.links}
    assert links["37430"][0] == "37420"  # 울릉군 → 울진군
    assert 100 < links["37430"][1] < 160
    assert links["39000"][0] == "36460"  # 제주 → 완도군
    text = describe(cont, "nearest", {"37430": "울릉군"})
    assert "울릉군(37430) → 37420(37420)" in text
