"""Coherence before typing, the size-only baseline, deciding dimensions and declared criteria,
on small matrices worked out by hand and on synthetic data with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from typology.core.catalog import Indicator
from typology.errors import TypologyError
from typology.render.validity_notes import type_notes
from typology.scoring.audit import cronbach_alpha
from typology.validity.baseline import baseline_rows, class_share_rows, decides_rows, weight_warnings
from typology.validity.coherence import coherence, item_rest, mcdonald_omega, one_factor_loadings
from typology.validity.criteria import criteria_specs, criterion_rows, partial_spearman, spearman

from .conftest import run_cli

ITEMS = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0, 2, 4, 4, 6], "c": [1.0, 3, 2, 5, 4]})


def test_alpha_by_hand():
    # Variances (n − 1): a 2.5, b 2.8, c 2.5; the sums 4, 7, 9, 13, 15 have variance 79.2 / 4 = 19.8.
    # α = 3/2 · (1 − 7.8/19.8) = 10/11
    alpha = cronbach_alpha(ITEMS, min_rows=3)
    assert alpha == pytest.approx(1.5 * (1 - 7.8 / 19.8))
    assert alpha == pytest.approx(10 / 11)


def test_alpha_is_listwise():
    with_gap = pd.concat([ITEMS, pd.DataFrame({"a": [np.nan], "b": [9.0], "c": [0.0]})], ignore_index=True)
    assert cronbach_alpha(with_gap) == cronbach_alpha(ITEMS)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 40), st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_alpha_is_pingouins_to_the_bit(n, k, seed):
    # alpha is computed in place (importing pingouin cost a quarter of a run): it must stay pingouin's.
    import pingouin

    items = pd.DataFrame(np.random.default_rng(seed).normal(size=(n, k)) @ np.triu(np.ones((k, k))),
                         columns=[f"x{i}" for i in range(k)])
    ours = cronbach_alpha(items, min_rows=3)
    theirs, _ = pingouin.cronbach_alpha(data=items, nan_policy="listwise")
    assert ours == float(theirs)


def test_item_rest_by_hand():
    rest = item_rest(ITEMS)
    # c = 1, 3, 2, 5, 4 against a + b = 3, 4, 7, 8, 11: covariance 3.5, variances 2.5 and 10.3.
    expected = np.corrcoef(ITEMS["c"], ITEMS["a"] + ITEMS["b"])[0, 1]
    assert rest["c"][0] == pytest.approx(expected) and rest["c"][1] == 5
    assert rest["c"][0] == pytest.approx(3.5 / np.sqrt(2.5 * 10.3))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=4, max_size=30), st.integers(3, 6))
def test_alpha_of_identical_items_is_one_and_reversal_lowers_it(values, k):
    x = pd.Series(values)
    if x.std() < 1e-6:
        return
    same = pd.DataFrame({f"i{j}": x for j in range(k)})
    assert cronbach_alpha(same) == pytest.approx(1.0)
    flipped = same.assign(i0=-x)
    assert cronbach_alpha(flipped) < 1.0 - 1e-9


def test_omega_recovers_a_one_factor_model():
    rng = np.random.default_rng(0)
    loadings = np.array([0.8, 0.7, 0.6, 0.5])
    f = rng.normal(size=3000)
    items = pd.DataFrame({f"x{i}": f * lam + rng.normal(size=3000) * np.sqrt(1 - lam ** 2)
                          for i, lam in enumerate(loadings)})
    true = loadings.sum() ** 2 / (loadings.sum() ** 2 + (1 - loadings ** 2).sum())
    omega, n = mcdonald_omega(items)
    assert omega == pytest.approx(true, abs=0.02) and n == 3000
    assert np.isnan(mcdonald_omega(items[["x0", "x1"]])[0])  # two items: not identified


def _semopy_loadings(z: np.ndarray) -> np.ndarray:
    """The oracle: semopy's standardised loadings of ``F =~ x0 + …`` (its default fit), on one BLAS thread as ours."""
    import warnings

    import semopy
    from threadpoolctl import threadpool_limits

    frame = pd.DataFrame(z, columns=[f"x{i}" for i in range(z.shape[1])])
    model = semopy.Model("F =~ " + " + ".join(frame.columns))
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")
        model.fit(frame)
    est = model.inspect(std_est=True)
    return est[(est["op"] == "~") & (est["rval"] == "F")].set_index("lval")["Est. Std"].astype(float) \
        .reindex(frame.columns).to_numpy()


def _factor_items(k: int, n: int, seed: int) -> pd.DataFrame:
    """k items of one factor with loadings of either sign and any strength, some near zero."""
    rng = np.random.default_rng(seed)
    loadings = rng.uniform(-0.95, 0.95, k)
    f = rng.normal(size=n)
    return pd.DataFrame(f[:, None] * loadings + rng.normal(size=(n, k)) * np.sqrt(1 - loadings ** 2),
                        columns=[f"i{j}" for j in range(k)])


# The fit takes semopy's steps (objective, gradient, start, SLSQP options), so it gives the same bits;
# the tolerance leaves room for a LAPACK that rounds otherwise. SLSQP stops short of the exact
# optimum (ω differs from it in the fifth decimal): a fit that were only "also maximum likelihood"
# would fail here, and would change validity.csv.
SAME_PATH = 1e-9


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 6), st.integers(8, 150), st.integers(0, 2**32 - 1))
def test_one_factor_loadings_are_semopys(k, n, seed):
    items = _factor_items(k, n, seed)
    z = ((items - items.mean()) / items.std()).to_numpy()
    assume(np.linalg.eigvalsh(np.corrcoef(z.T)).min() > 1e-6)  # semopy would swap a singular covariance
    assert np.abs(one_factor_loadings(z) - _semopy_loadings(z)).max() <= SAME_PATH


@settings(max_examples=20, deadline=None)
@given(st.integers(3, 6), st.integers(8, 150), st.integers(0, 2**32 - 1))
def test_omega_is_the_semopy_models(k, n, seed):
    items = _factor_items(k, n, seed)
    items.iloc[0, 0] = np.nan  # listwise
    complete = items.dropna()
    z = ((complete - complete.mean()) / complete.std()).to_numpy()
    assume(np.linalg.eigvalsh(np.corrcoef(z.T)).min() > 1e-6)
    loadings = np.clip(_semopy_loadings(z), -1, 1)
    loadings = -loadings if loadings.sum() < 0 else loadings
    expected = loadings.sum() ** 2 / (loadings.sum() ** 2 + (1 - loadings ** 2).sum())
    omega, used = mcdonald_omega(items)
    assert used == n - 1 and omega == pytest.approx(expected, abs=SAME_PATH)


def test_omega_edges():
    items = _factor_items(3, 40, 7)
    assert np.isnan(mcdonald_omega(items.iloc[:3])[0])  # no more rows than items
    assert np.isnan(mcdonald_omega(items.assign(i0=1.0))[0])  # an item without variance
    # A covariance that LAPACK's Cholesky rejects: no fit (semopy would swap in a nearby one).
    z = ((items - items.mean()) / items.std()).to_numpy(copy=True)
    z[:, 2] = 0.0
    assert one_factor_loadings(z) is None


def test_default_runs_omegas_are_the_published_ones(default_run):
    # The values validity.csv had when semopy fitted them (configs/default.yaml, bundled data).
    t = default_run.tables["validity"]
    omega = t[t["statistic"] == "mcdonald_omega"].set_index("target")["value"]
    assert omega["economy"] == 0.619307 and omega["axis:society"] == 0.363235


def _axis_case(seed: int = 1, n: int = 150):
    """Civic items agree; institution items run against them: the society axis is incoherent."""
    rng = np.random.default_rng(seed)
    c = rng.normal(size=n)
    norm = pd.DataFrame({"t": c + rng.normal(size=n) * 0.3, "m": c + rng.normal(size=n) * 0.3,
                         "j": -c + rng.normal(size=n) * 0.3, "p": -c + rng.normal(size=n) * 0.3,
                         "g": rng.normal(size=n), "s": rng.normal(size=n)})
    dims = {"t": "civic", "m": "civic", "j": "institution", "p": "institution", "g": "economy", "s": "capacity"}
    chosen = [Indicator(k, {"dimension": d, "direction": 1, "kind": "value", "variable": {"variable": k}})
              for k, d in dims.items()]
    scores = pd.DataFrame({d: norm[[k for k, v in dims.items() if v == d]].mean(axis=1) for d in set(dims.values())})
    config = {"typology": {"axes": {"society": {"name_ko": "사회 축", "dimensions": ["civic", "institution"]},
                                    "resource": {"name_ko": "자원 축", "dimensions": ["economy", "capacity"]}},
                           "types": [{"key": "society_led", "name_ko": "사회주도형", "when": {"society": ">= mean"}},
                                     {"key": "resource_combining", "name_ko": "자원결합형", "when": {}}],
                           "method": "rules"},
              "validation": {"coherence": {"on_fail": "warn", "alpha": 0.6}},
              "scoring": {"weights": {"dimensions": {}, "indicators": {}}}}
    return norm, scores, chosen, config


def test_incoherent_axis_is_flagged_and_only_deciding_axes_are_checked():
    norm, scores, chosen, config = _axis_case()
    result = coherence(norm, scores, chosen, config)
    t = result.table
    assert result.failing == ["society"] and result.alphas["society"] < 0.6
    assert set(t["target"]) == {"civic", "institution", "economy", "capacity", "axis:society"}
    single = t[t["target"].isin(["economy", "capacity"])]  # one indicator: one row each, no value
    assert len(single) == 2 and single["value"].isna().all() and single["detail"].str.contains("one indicator").all()
    assert "axis:resource" not in set(t["target"])  # no type's rule names it
    r = t[(t["target"] == "axis:society") & (t["statistic"] == "pearson_r")]["value"].iloc[0]
    assert r < -0.9
    civic = t[(t["target"] == "civic") & (t["statistic"] == "cronbach_alpha")]["value"].iloc[0]
    assert civic > 0.9
    assert "society α" in result.line() and "below 0.6" in result.line()


def test_on_fail_error_raises_one_line_naming_the_axis():
    norm, scores, chosen, config = _axis_case()
    config["validation"]["coherence"]["on_fail"] = "error"
    with pytest.raises(TypologyError) as err:
        coherence(norm, scores, chosen, config)
    message = str(err.value)
    assert "\n" not in message and "validation.coherence.on_fail" in message and "axis society" in message


def test_type_notes_follow_rule_order():
    norm, scores, chosen, config = _axis_case()
    table = coherence(norm, scores, chosen, config).table
    notes = type_notes(table, config["typology"])
    # The catch-all type is what is left when the society condition fails: it rests on that axis too.
    assert set(notes) == {"society_led", "resource_combining"} and "사회 축" in notes["society_led"]
    config["validation"]["coherence"]["alpha"] = 0.01
    norm2 = norm.assign(j=norm["t"], p=norm["m"])  # now every society item agrees
    ok = coherence(norm2, scores.assign(institution=norm2[["j", "p"]].mean(axis=1)), chosen, config)
    assert ok.failing == [] and type_notes(ok.table, config["typology"]) == {}


def _context(n: int = 240, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cls = np.array(["자치구", "시", "군"])[rng.integers(0, 3, n)]
    logpop = np.where(cls == "군", 10.5, 12.5) + rng.normal(size=n) * 0.8
    return pd.DataFrame({"class": cls, "log_population": logpop}, index=[f"u{i}" for i in range(n)])


def _stat(rows, against, statistic):
    return next(r["value"] for r in rows if r["against"] == against and r["statistic"] == statistic)


def test_baseline_on_types_that_are_class():
    ctx = _context()
    types = pd.Series(np.where(ctx["class"] == "군", "s", "r"), index=ctx.index)
    rows = baseline_rows(types, ctx)
    assert _stat(rows, "class_rule", "share_agree") == 1.0 and _stat(rows, "class_rule", "cohen_kappa") == 1.0
    assert _stat(rows, "class_rule", "ari") == pytest.approx(1.0)


def test_baseline_on_types_that_are_size_and_on_noise():
    ctx = _context()
    types = pd.Series(np.where(ctx["log_population"] < 11.5, "s", "r"), index=ctx.index)
    rows = baseline_rows(types, ctx)
    assert _stat(rows, "logistic_log_population", "auc") == pytest.approx(1.0)
    assert _stat(rows, "logistic_log_population", "share_agree") > 0.97
    noise = pd.Series(np.random.default_rng(9).choice(["s", "r"], len(ctx)), index=ctx.index)
    rows = baseline_rows(noise, ctx)
    assert abs(_stat(rows, "logistic_log_population", "auc") - 0.5) < 0.1
    assert abs(_stat(rows, "class_rule", "cohen_kappa")) < 0.15


def test_class_shares_count_the_units():
    ctx = _context()
    types = pd.Series(np.where(ctx["log_population"] < 11.5, "s", "r"), index=ctx.index)
    rows = class_share_rows(types, ctx)
    table = pd.crosstab(ctx["class"], types)
    for r in rows:
        assert r["value"] == pytest.approx(table.at[r["target"], r["against"]] / table.loc[r["target"]].sum(),
                                           abs=1e-6)


def test_decides_and_idle_weights():
    _, _, _, config = _axis_case()
    rows = {r["against"]: r["value"] for r in decides_rows(config, ["economy", "civic", "institution", "capacity"])}
    assert rows == {"economy": 0.0, "civic": 1.0, "institution": 1.0, "capacity": 0.0}
    dims = {"g": "economy", "t": "civic"}
    assert weight_warnings(config, dims, ["economy", "civic"]) == []
    config["scoring"]["weights"] = {"dimensions": {"economy": 2}, "indicators": {"g": 2, "t": 1}}
    warned = weight_warnings(config, dims, ["economy", "civic", "institution", "capacity"])
    assert len(warned) == 2 and "['g']" in warned[1]
    config["typology"]["method"] = "kmeans"
    assert weight_warnings(config, dims, ["economy", "civic"]) == []


def test_criteria_signs_convergent_and_discriminant():
    rng = np.random.default_rng(2)
    society = pd.Series(rng.normal(size=120))
    targets = pd.DataFrame({"axis:society": society, "axis:resource": pd.Series(rng.normal(size=120))})
    crit = pd.DataFrame({"down": -society + rng.normal(size=120) * 0.3, "up": society})
    config = {"typology": {"axes": {"society": {}, "resource": {}}},
              "validation": {"criteria": [{"variable": "down", "axis": "society", "expect": "negative", "source": "x"},
                                          {"variable": "up", "axis": "society", "expect": "negative"}]}}
    rows = criterion_rows(targets, crit, criteria_specs(config))
    conv = {r["against"]: r for r in rows if r["measure"] == "convergent"}
    assert conv["down"]["flag"] == "holds" and conv["down"]["value"] < 0
    assert conv["up"]["flag"] == "does not hold" and conv["up"]["value"] > 0  # wrong sign declared
    disc = [r for r in rows if r["measure"] == "discriminant"]
    assert all(r["flag"] == "holds" for r in disc)


@pytest.mark.parametrize("entry, where", [({"variable": "x", "expect": "up", "axis": "society"}, "expect"),
                                          ({"variable": "x", "expect": "positive"}, "axis"),
                                          ({"variable": "x", "sign": 1}, "unknown keys")])
def test_bad_criterion_entry_is_one_line(entry, where):
    config = {"typology": {"axes": {"society": {}}}, "validation": {"criteria": ["y", entry]}}
    with pytest.raises(TypologyError, match=rf"validation\.criteria\[1\].*{where}"):
        criteria_specs(config)


def test_default_run_has_the_checks(default_run):
    """Counts from the run's own tables, not copied figures."""
    t = default_run.tables["validity"]
    cfg = default_run.config
    multi = {i.dimension for i in default_run.indicators} - {
        d for d in {i.dimension for i in default_run.indicators}
        if sum(j.dimension == d for j in default_run.indicators) < 2}
    coh = t[(t["measure"] == "coherence") & (t["statistic"] == "cronbach_alpha")]
    deciding = {a for ty in cfg["typology"]["types"] for a in ty.get("when") or {}}
    assert set(coh["target"]) >= multi | {f"axis:{a}" for a in deciding}
    typed = default_run.typed["type"]
    ctx = default_run.tables["unit_attributes"].set_index("code")
    shares = t[t["measure"] == "type_by_class"]
    table = pd.crosstab(ctx["class"], typed.reindex(ctx.index))
    for r in shares.itertuples():
        assert r.n == table.loc[r.target].sum()
        assert r.value == pytest.approx(table.at[r.target, r.against] / r.n, abs=1e-6)
    base = t[(t["measure"] == "baseline") & (t["statistic"] == "share_agree")]
    assert set(base["against"]) == {"class_rule", "logistic_log_population"}
    assert ctx["density"].notna().all() and (ctx["density"] > 0).all()
    conv = t[(t["measure"] == "convergent") & (t["statistic"] == "spearman_rho")]
    declared = [c for c in cfg["validation"]["criteria"] if isinstance(c, dict) and c.get("expect")]
    assert len(conv) == len(declared) and set(conv["flag"]) <= {"holds", "does not hold"}


def test_partial_rho_takes_size_out():
    rng = np.random.default_rng(4)
    size = pd.Series(rng.normal(size=400))
    x, y = size + rng.normal(size=400) * 0.5, size + rng.normal(size=400) * 0.5
    assert spearman(x, y)[0] > 0.6
    assert abs(partial_spearman(x, y, size)[0]) < 0.12
    shared = pd.Series(rng.normal(size=400))
    assert partial_spearman(x + shared * 2, y + shared * 2, size)[0] > 0.6


def test_cli_on_fail_error_stops_with_one_line(tmp_path):
    out = tmp_path / "run"
    result = run_cli("run", "configs/default.yaml", "--out", str(out), "-q",
                     "--set", "validation.coherence.on_fail=error", "--set", "validation.leave_one_out=false")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "axis society" in lines[0] and "validation.coherence.on_fail" in lines[0]
    assert not (out / "scores.csv").exists()


def test_adjust_takes_log_density_out():
    from typology.scoring.adjust import COVARIATES, residualise

    assert "log_density" in COVARIATES
    rng = np.random.default_rng(8)
    ctx = pd.DataFrame({"log_density": rng.normal(5, 2, 100)}, index=[f"u{i}" for i in range(100)])
    treated = pd.DataFrame({"x": 3 * ctx["log_density"] + rng.normal(size=100) * 0.5})
    out, info = residualise(treated, ctx, {"covariates": ["log_density"], "indicators": ["x"]})
    assert info["indicators"]["x"]["r2"] > 0.95
    assert abs(np.corrcoef(out["x"], ctx["log_density"])[0, 1]) < 1e-8
    assert out["x"].mean() == pytest.approx(treated["x"].mean())


def test_bundled_criterion_and_area_recompute_official_totals():
    from typology import paths

    v = pd.read_csv(paths.VARIABLES, dtype={"code": str})
    votes = v[v["variable"] == "votes_president"]["value"].sum()
    electorate = v[v["variable"] == "electorate_president"]["value"].sum()
    assert round(100 * votes / electorate, 1) == 77.1  # NEC's national turnout, 2022-03-09
    area = v[v["variable"] == "area_km2"]
    assert len(area) == v["code"].nunique() and 100_000 < area["value"].sum() < 101_000  # Korea ≈ 100,4xx km²


def test_report_section_shows_the_checks_in_korean(default_run):
    section = next(s for s in default_run.sections if s.key == "validity").html
    for heading in ("축과 차원의 내적 일관성", "규모만으로 본 기준선", "자치구/시/군별 유형 비율",
                    "유형을 바꿀 수 있는 차원", "사전에 선언한 기준"):
        assert heading in section
    shares = default_run.tables["validity"].query("measure == 'type_by_class'")
    names = {t["key"]: t["name_ko"] for t in default_run.config["typology"]["types"]}
    for key in shares["against"].unique():
        assert names[key] in section
    assert "(p < 0.05)" not in section  # markup-safe: the comparison is escaped
