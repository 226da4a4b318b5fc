from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from typology.core.catalog import load_catalog
from typology.data.transform import compute_indicators
from typology.errors import TypologyError


def rows(*items):
    return pd.DataFrame(items, columns=["code", "year", "variable", "value"])


def test_ratio_sums_numerator_parts_then_divides():
    catalog = load_catalog()
    ind = catalog.indicators["workplace_income_tax_per_capita"]
    data = rows(("A", 2020, "income_general", 10.0), ("A", 2020, "income_labor", 30.0),
                ("A", 2020, "population", 8.0))
    out, _ = compute_indicators(data, [ind], pd.Index(["A"]))
    assert out.at["A", "workplace_income_tax_per_capita"] == pytest.approx(5.0)


def test_rates_come_from_summed_counts_not_averaged_rates():
    # Two 일반구 with turnouts 90% (of 10) and 10% (of 1,000): the city's is 10.79%, not 50%.
    catalog = load_catalog()
    ind = catalog.indicators["local_election_turnout"]
    data = rows(("C", 2022, "votes_local", 9.0 + 100.0), ("C", 2022, "electorate_local", 1010.0))
    out, _ = compute_indicators(data, [ind], pd.Index(["C"]))
    assert out.at["C", "local_election_turnout"] == pytest.approx(100 * 109 / 1010)


def test_growth_and_missing_parts():
    catalog = load_catalog()
    grow = catalog.indicators["population_growth"]
    income = catalog.indicators["workplace_income_tax_per_capita"]
    data = rows(("A", 2015, "population", 100.0), ("A", 2020, "population", 110.0),
                ("B", 2020, "population", 50.0), ("B", 2020, "income_general", 5.0),
                ("A", 2020, "income_general", 1.0), ("A", 2020, "income_labor", 1.0))
    out, _ = compute_indicators(data, [grow, income], pd.Index(["A", "B"]))
    assert out.at["A", "population_growth"] == pytest.approx(10.0)
    assert np.isnan(out.at["B", "population_growth"])  # no 2015 population: missing, not 0
    assert np.isnan(out.at["B", "workplace_income_tax_per_capita"])  # a missing part is not a partial sum


def test_unbundled_indicator_without_user_data_is_a_clear_error():
    catalog = load_catalog()
    with pytest.raises(TypologyError, match="'env_ngos_per_100k' needs env_ngos 2020: it has no bundled data"):
        compute_indicators(rows(("A", 2020, "population", 1.0)), [catalog.indicators["env_ngos_per_100k"]],
                           pd.Index(["A"]))


def test_years_resolve_to_the_nearest_with_ties_to_the_later():
    from typology.data.transform import YearPolicy

    catalog = load_catalog()
    turnout = catalog.indicators["local_election_turnout"]
    growth = catalog.indicators["population_growth"]
    data = rows(*[("A", y, v, 50.0 if v == "votes_local" else 100.0)
                  for y in (2014, 2018, 2022) for v in ("votes_local", "electorate_local")],
                ("A", 2010, "population", 80.0), ("A", 2015, "population", 100.0), ("A", 2020, "population", 90.0))
    _, years = compute_indicators(data, [turnout, growth], pd.Index(["A"]), YearPolicy(2020))
    assert years.set_index("indicator").at["local_election_turnout", "years"] == "2022"  # 2018/2022 tie → later
    values, years = compute_indicators(data, [turnout, growth], pd.Index(["A"]), YearPolicy(2015))
    by = years.set_index("indicator")
    assert by.at["local_election_turnout", "years"] == "2014"
    assert by.at["population_growth", "variables"] == "population@2015;population@2010"
    assert values.at["A", "population_growth"] == pytest.approx(25.0)


def test_parts_of_a_formula_read_one_year_where_they_can():
    from typology.data.transform import YearPolicy

    catalog = load_catalog()
    early = catalog.indicators["early_voting_rate"]
    data = rows(("A", 2014, "electorate_local", 100.0), ("A", 2018, "electorate_local", 200.0),
                ("A", 2018, "early_votes_local", 50.0))
    values, years = compute_indicators(data, [early], pd.Index(["A"]), YearPolicy(2015))
    # No 2014 early votes: the 2018 count is divided by the 2018 electorate, not 2014's.
    assert years.at[0, "variables"] == "early_votes_local@2018;electorate_local@2018"
    assert values.at["A", "early_voting_rate"] == pytest.approx(25.0)


def test_stale_years_are_flagged_or_excluded():
    from typology.data.transform import YearPolicy

    catalog = load_catalog()
    staff = catalog.indicators["staff_per_1000"]
    data = rows(("A", 2026, "staff_quota", 10.0), ("A", 2020, "population", 1000.0))
    values, years = compute_indicators(data, [staff], pd.Index(["A"]), YearPolicy(2020, max_gap=3, on_gap="carry"))
    assert values.at["A", "staff_per_1000"] == pytest.approx(10.0)
    assert years.at[0, "year_status"] == "carried: 6 years from 2020"
    values, years = compute_indicators(data, [staff], pd.Index(["A"]), YearPolicy(2020, max_gap=3, on_gap="exclude"))
    assert np.isnan(values.at["A", "staff_per_1000"])
    assert years.at[0, "year_status"].startswith("excluded")
    values, years = compute_indicators(data, [staff], pd.Index(["A"]), YearPolicy(2020, max_gap=6))
    assert years.at[0, "year_status"] == "within range"
