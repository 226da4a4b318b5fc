"""What map.html says about itself: the types and their policy packages, the scale of the scores, what the
validity audit says about each axis, and which regions' types rest on one indicator.

All of it is plain text for the page's JSON block (the page sets it with ``textContent``).
"""

from __future__ import annotations

from typing import Any

from ..core.result import RunResult
from ..scoring.normalise import NORMALISERS
from ..typologies.rules import OPS, REFS
from .validity_words import Names, axis_findings


def _scoped(result: RunResult, text: str) -> str:
    if not result.scope.get("spec"):
        return text
    return (text.replace("전국 평균", "범위 평균").replace("전국", "범위")
            .replace("national mean", "mean over the scope"))


def scale_words(result: RunResult) -> dict[str, str]:
    """How to read a score: its scale's short name and one sentence (Korean, English). Dimension scores and the
    composite are weighted means of the normalised indicators, so they keep the scale's zero and direction."""
    method = str(result.settings.scoring.normalise.method)
    # Each normaliser carries how to read its values ("전국" becomes "범위" in a scoped run).
    normaliser = NORMALISERS.get(method, "scoring.normalise.method") if method in NORMALISERS else None
    short, ko, en = getattr(normaliser, "reading", None) or (method, f"정규화 방법 '{method}'의 단위",
                                                             f"units of '{method}'")
    return {"short": short, "legend": _scoped(result, f"{short} ({ko.split(',')[0]})"),
            "ko": _scoped(result, f"{short}: {ko}. 차원 점수와 종합점수는 이 값의 가중평균"),
            "en": _scoped(result, f"{en}; dimension and composite scores are weighted means of these")}


def condition_ko(text: str, where: str = "전국") -> str:
    """``>= mean`` → ``≥ 전국 평균`` (``where="범위"`` in a scoped run: ``≥ 범위 평균``)."""
    out = text.strip()
    for op, (_, shown, _) in sorted(OPS.items(), key=lambda kv: -len(kv[0])):
        if out.startswith(op):
            out = shown + " " + out[len(op):].strip()
            break
    for ref, ko in REFS.items():
        out = out.replace(ref, f"{where} {ko}")
    return out


def mean_where(result: RunResult) -> str:
    """Whose mean a threshold or z-score is relative to: the nation's, or the scope's in a scoped run."""
    return "범위" if result.scope.get("spec") else "전국"


def type_definitions(result: RunResult, colours: list[str], counts: list[int]) -> list[dict[str, Any]]:
    """Each type (and the unclassified, when a region has it): its rule in words and its policy package."""
    typology = result.settings.typology
    axes = typology.axes or {}
    dims = {d: v["name_ko"] for d, v in result.catalog.dimensions.items()}
    rules = typology.method == "rules"
    out = []
    specs = [*typology.types, typology.unclassified]
    for i, spec in enumerate(specs):
        if spec is typology.unclassified and not counts[i]:
            continue
        rule = ""
        if rules and spec is not typology.unclassified:
            conds = []
            for axis, text in (spec.get("when") or {}).items():
                a = axes.get(axis, {})
                parts = "·".join(dims.get(d, d) for d in a.get("dimensions", []))
                conds.append(f"{a.get('name_ko', axis)}({parts} 평균) {condition_ko(str(text))}")
            rule = " 그리고 ".join(conds) if conds else "앞의 유형에 해당하지 않는 나머지 모든 지역"
        out.append({"key": str(spec["key"]), "name": str(spec["name_ko"]), "name_en": str(spec["name_en"]),
                    "colour": colours[i], "n": counts[i], "rule": _scoped(result, rule),
                    "policy": " ".join(str(spec.get("policy_ko") or "").split()),
                    "policy_en": " ".join(str(spec.get("policy_en") or "").split())})
    return out


def deciding_axes(result: RunResult) -> list[str]:
    """The axes a type rule names (all axes for a method without rules)."""
    typology = result.settings.typology
    axes = list(typology.axes or {})
    if typology.method != "rules":
        return axes
    used = {a for spec in typology.types for a in (spec.get("when") or {})}
    return [a for a in axes if a in used] or axes


def axis_notes(result: RunResult) -> list[dict[str, Any]]:
    """For each deciding axis, every finding of the validity audit about it (Korean, English)."""
    names = Names.of(result)
    table = result.tables.get("validity")
    axes = result.settings.typology.axes or {}
    out = []
    for key in deciding_axes(result):
        spec = axes.get(key, {})
        notes = axis_findings(table, key, names, tuple(spec.get("dimensions", [])))
        out.append({"name": str(spec.get("name_ko", key)), "name_en": str(spec.get("name_en", key)),
                    "notes": [list(n) for n in notes]})
    return out


def type_changes(result: RunResult) -> dict[str, list[list[Any]]]:
    """Per unit code, the indicators without which its type changes: [name, is a 0/1 flag]."""
    indicators = {i.key: i for i in result.indicators}
    out: dict[str, list[list[Any]]] = {}
    for key, codes in (result.type_changes or {}).items():
        ind = indicators.get(key)
        name = ind.spec["name_ko"] if ind else key
        binary = bool(ind and ind.level == "binary")
        for code in codes:
            out.setdefault(str(code), []).append([name, binary])
    return out


def short_sido(name: str) -> str:
    """서울특별시 → 서울, 충청북도 → 충북: the label a crowded map falls back to."""
    if len(name) == 4 and name.endswith("도") and name[:2] in ("충청", "전라", "경상"):
        return name[0] + name[2]
    return name[:2]
