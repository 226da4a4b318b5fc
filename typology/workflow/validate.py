"""A resolved config, checked whole before any data are read.

``load_config`` checks every leaf's type and range against ``core.config.SCHEMA``; the names a
leaf may take (a step's methods, the Monte Carlo's backends, …) belong to the stages above core,
so they are collected here and the schema is checked again with them. Then the rules that span
keys or need the catalogue: indicators that exist in the right dimension, weights and goalposts
for indicators in use, type rules that parse, the uncertainty alternatives, the tables' entries
and the map's tile URL. Each is the owning stage's own check, called once, up front: a mistake
in ``output.*`` or in a GMM option is reported before the pipeline runs, not after it.

Once checked, the config becomes one ``RunSettings`` (``core.settings``): typed, frozen settings
per stage, which the stages take instead of the dict and do not check again.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ..core.catalog import DIMENSIONS, Catalog, Indicator, catalog_for
from ..core.config import SCHEMA, check, check_keys
from ..core.settings import RunSettings
from ..data import places, units
from ..data import scope as scopes
from ..data.specs import ON_UNMATCHED, VINTAGES, table_spec
from ..data.transform import GAP_POLICIES
from ..errors import TypologyError
from ..render.webmap import tile_layer
from ..scoring.adjust import COVARIATES
from ..scoring.aggregate import AGGREGATORS
from ..scoring.groupnorm import DISCRETE_TREATMENTS, GROUPINGS
from ..scoring.impute import IMPUTERS
from ..scoring.normalise import NORMALISERS
from ..scoring.treat import FALLBACKS, TREATMENTS
from ..scoring.weights import WEIGHTINGS
from ..typologies.choose_k import K_RULES
from ..typologies.classify import FEATURES, TYPOLOGIES
from ..typologies.cluster import COVARIANCE_TYPES
from ..typologies.contiguity import ISLAND_OPTIONS, RULES
from ..typologies.rules import rule_model
from ..uncertainty.alternatives import BACKENDS, plan, refuse_latent
from ..validity.coherence import ON_FAIL
from ..validity.criteria import criteria_names


def declared_names() -> dict[str, Collection[str]]:
    """Dotted config key → the names it may take, from the stage that owns them."""
    return {
        "validation.coherence.on_fail": ON_FAIL,
        "data.on_year_gap": GAP_POLICIES, "data.on_unmatched": ON_UNMATCHED, "data.vintage": VINTAGES,
        "scoring.impute.method": IMPUTERS.names(), "scoring.treat.method": TREATMENTS.names(),
        "scoring.treat.fallback": FALLBACKS, "scoring.normalise.method": NORMALISERS.names(),
        "scoring.weights.method": WEIGHTINGS.names(), "scoring.aggregate.method": AGGREGATORS.names(),
        "scoring.composite.method": AGGREGATORS.names(),
        "typology.method": TYPOLOGIES.names(), "typology.features": FEATURES, "typology.k_rule": K_RULES.names(),
        "typology.options.gmm.covariance_type": COVARIANCE_TYPES,
        "typology.contiguity.rule": RULES, "typology.contiguity.islands": ISLAND_OPTIONS,
        "uncertainty.backend": BACKENDS,
        "scoring.normalise.within": GROUPINGS, "scoring.normalise.discrete": DISCRETE_TREATMENTS,
    }


def validate(config: dict[str, Any], catalog: Catalog | None = None) -> RunSettings:
    """Raise the first ``TypologyError`` in ``config``; else its settings (``indicators``: those it selects)."""
    catalog = catalog or catalog_for(config)
    # A dict given to ``typology.run`` directly has not been through load_config's key check.
    check_keys({k: v for k, v in config.items() if k != "_path"}, SCHEMA, str(config.get("_path") or "config"))
    check(config, declared_names())
    chosen = selected_indicators(config, catalog)
    _check_scoring(config["scoring"], chosen)
    rule_model(config["typology"]).check(list(DIMENSIONS))
    settings = RunSettings.of(config, chosen)
    # k: auto is known only after the run; any k stands in for it here, as in the Monte Carlo's own check.
    plan(settings, nominal_k=2)
    scopes.select(places.load_units(), config["units"]["scope"], units.matcher())
    data = config["data"]
    if data["variables"]:
        table_spec(config, data["variables"], "data.variables", catalog)
    for i, entry in enumerate(data["tables"]):
        table_spec(config, entry, f"data.tables[{i}]", catalog)
    tile_layer(settings.output)
    if config["scoring"]["normalise"]["within"] == "peer_group" and not data["peer_groups"]:
        raise TypologyError("config key scoring.normalise.within: peer_group needs data.peer_groups, a CSV with "
                            "columns code, peer_group")
    # A config that extends the default and picks other indicators keeps the default's adjustment
    # list: entries not in use are skipped and listed in the run log (scoring/adjust.py).
    unknown = [k for k in config["scoring"]["adjust"]["indicators"] if k not in catalog.indicators]
    if unknown:
        raise TypologyError(f"config key scoring.adjust.indicators: {unknown} are not indicators in the catalogue")
    criteria = criteria_names(config)
    unknown = [v for v in criteria if v not in catalog.variables and v not in catalog.indicators]
    if unknown:
        raise TypologyError(f"config key validation.criteria: {unknown} are neither variables nor indicators in the "
                            f"catalogue (declare a user table's variables there)")
    return settings


def criteria_in_use(config: dict[str, Any], chosen: list[Indicator]) -> list[str]:
    """Criteria that this run scores with (e.g. after --set): the audit lists them as skipped."""
    used = ({r.variable for i in chosen for r in i.refs()} - {"population"}) | {i.key for i in chosen}
    return [v for v in criteria_names(config) if v in used]


def selected_indicators(config: dict[str, Any], catalog: Catalog) -> list[Indicator]:
    chosen: list[Indicator] = []
    for dim in DIMENSIONS:
        for key in config["indicators"].get(dim) or []:
            ind = catalog.indicator(key, f"config key indicators.{dim}")
            if ind.dimension != dim:
                raise TypologyError(
                    f"config key indicators.{dim}: {key!r} belongs to dimension {ind.dimension!r} in the catalogue"
                )
            if key in [c.key for c in chosen]:
                raise TypologyError(f"config key indicators.{dim}: {key!r} listed twice")
            chosen.append(ind)
    return chosen


def _check_scoring(scoring: dict[str, Any], chosen: list[Indicator]) -> None:
    """What the scoring steps check when fitted, as far as it needs no data."""
    in_use = [i.key for i in chosen]
    listed = ", ".join(in_use)
    skip = scoring["treat"]["skip"] or []
    if any(k not in in_use for k in skip):
        raise TypologyError(f"config key scoring.treat.skip: expected indicator keys in use ({listed}), got {skip!r}")
    weights = scoring["weights"]
    method = weights["method"]
    for name, allowed in (("indicators", in_use), ("dimensions", DIMENSIONS)):
        given = weights[name] or {}
        if given and name not in WEIGHTINGS.get(method, "scoring.weights.method").uses:
            users = [m for m in WEIGHTINGS.names() if name in WEIGHTINGS.get(m, "scoring.weights.method").uses]
            raise TypologyError(f"config key scoring.weights.{name}: expected {{}} with method {method!r}, which "
                                f"does not use it (methods that do: {', '.join(users)}), got {given!r}")
        if any(k not in allowed for k in given):
            raise TypologyError(f"config key scoring.weights.{name}: expected weights for {', '.join(allowed)}, "
                                f"got {given!r}")
    # Unnamed weights are 1, so only a group named in full can weigh nothing.
    groups = [[i.key for i in chosen if i.dimension == d] for d in DIMENSIONS]
    for name, keys in [*(("indicators", g) for g in groups), ("dimensions", list(DIMENSIONS))]:
        given = weights[name] or {}
        if keys and all(k in given for k in keys) and sum(given[k] for k in keys) <= 0:
            raise TypologyError(f"config key scoring.weights.{name}: expected weights not all zero for "
                                f"{', '.join(keys)}, got {given!r}")
    within = scoring["normalise"]["within"]
    if within and scoring["normalise"]["method"] == "goalposts":
        raise TypologyError("config key scoring.normalise.within: goalposts are fixed in raw units and do not "
                            "depend on the units compared; use null with method goalposts")
    adjust = scoring["adjust"]
    if bool(adjust["covariates"]) != bool(adjust["indicators"]):
        raise TypologyError(f"config key scoring.adjust: expected both covariates and indicators (or neither), "
                            f"got {adjust!r}")
    unknown = [c for c in adjust["covariates"] if c not in COVARIATES]
    if unknown:
        raise TypologyError(f"config key scoring.adjust.covariates: expected some of {', '.join(COVARIATES)}, "
                            f"got {adjust['covariates']!r}")

    if scoring["normalise"]["method"] == "goalposts":
        posts = scoring["normalise"]["goalposts"] or {}
        if sorted(posts) != sorted(in_use):
            raise TypologyError(f"config key scoring.normalise.goalposts: expected [low, high] for every indicator "
                                f"in use ({listed}) and no other, got {posts!r}")


def check_uncertainty(config: dict[str, Any]) -> dict[str, Any]:
    """``config``, checked as ``validate`` checks it and also for what ``typology uncertainty`` cannot vary
    (a latent class model): refused before the nominal run, not after it.

    Parameters
    ----------
    config : dict
        A loaded config (``load_config``).

    Returns
    -------
    dict
        The same ``config``.

    Raises
    ------
    TypologyError
        The first problem, in one line naming its config key.
    """
    refuse_latent(plan(validate(config), nominal_k=2))
    return config
