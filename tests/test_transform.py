from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from typology.catalog import load_catalog
from typology.errors import TypologyError
from typology.transform import compute_indicators


def rows(*items):
    return pd.DataFrame(items, columns=["code", "year", "variable", "value"])


def test_ratio_sums_numerator_parts_then_divides():
    catalog = load_catalog()
    ind = catalog.indicators["income_base_per_capita"]
    data = rows(("A", 2020, "income_general", 10.0), ("A", 2020, "income_labor", 30.0),
                ("A", 2020, "population", 8.0))
    out = compute_indicators(data, [ind], pd.Index(["A"]))
    assert out.at["A", "income_base_per_capita"] == pytest.approx(5.0)


def test_rates_come_from_summed_counts_not_averaged_rates():
    # Two 일반구 with turnouts 90% (of 10) and 10% (of 1,000): the city's is 10.79%, not 50%.
    catalog = load_catalog()
    ind = catalog.indicators["local_election_turnout"]
    data = rows(("C", 2022, "votes_local2022", 9.0 + 100.0), ("C", 2022, "electorate_local2022", 1010.0))
    out = compute_indicators(data, [ind], pd.Index(["C"]))
    assert out.at["C", "local_election_turnout"] == pytest.approx(100 * 109 / 1010)


def test_growth_and_missing_parts():
    catalog = load_catalog()
    grow = catalog.indicators["population_growth"]
    income = catalog.indicators["income_base_per_capita"]
    data = rows(("A", 2015, "population", 100.0), ("A", 2020, "population", 110.0),
                ("B", 2020, "population", 50.0), ("B", 2020, "income_general", 5.0),
                ("A", 2020, "income_general", 1.0), ("A", 2020, "income_labor", 1.0))
    out = compute_indicators(data, [grow, income], pd.Index(["A", "B"]))
    assert out.at["A", "population_growth"] == pytest.approx(10.0)
    assert np.isnan(out.at["B", "population_growth"])  # no 2015 population: missing, not 0
    assert np.isnan(out.at["B", "income_base_per_capita"])  # a missing part is not a partial sum


def test_unbundled_indicator_without_user_data_is_a_clear_error():
    catalog = load_catalog()
    with pytest.raises(TypologyError, match="'env_ngos_per_100k' needs env_ngos 2020: it has no bundled data"):
        compute_indicators(rows(("A", 2020, "population", 1.0)), [catalog.indicators["env_ngos_per_100k"]],
                           pd.Index(["A"]))
