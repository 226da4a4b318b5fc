"""Build boundaries/units.csv from the 2020 rows of the code crosswalk."""

from __future__ import annotations

import pandas as pd

from ..places import UNIT_COLUMNS, unit_code_from_localgov

# The two single-tier governments get their full names and the names data files use.
SPECIAL = {
    "29010": {"name_ko": "세종특별자치시", "kind": "특별자치시", "aliases": "세종시;세종"},
    "39000": {"name_ko": "제주특별자치도", "kind": "특별자치도", "aliases": "제주도;제주"},
}
KIND_BY_SUFFIX = {"구": "자치구", "시": "시", "군": "군"}


def build_units(crosswalk: pd.DataFrame, sido: pd.DataFrame, names_en: dict[str, str]) -> pd.DataFrame:
    rows = crosswalk[crosswalk["year"] == "2020"].copy()
    rows["code"] = rows["localgov_code5"].map(unit_code_from_localgov)
    rows["sido_code"] = rows["code"].str[:2]
    first = rows.sort_values("adm2_code").groupby("code", as_index=False).first()
    sido_by_code = sido.set_index("sido_code")
    out = pd.DataFrame({
        "code": first["code"],
        "name_ko": first["localgov_name"],
        "name_en": [names_en.get(c, "") for c in first["code"]],
        "sido_code": first["sido_code"],
        "sido_ko": [sido_by_code.loc[s, "sido_ko"] for s in first["sido_code"]],
        "sido_en": [sido_by_code.loc[s, "sido_en"] for s in first["sido_code"]],
        "kind": [KIND_BY_SUFFIX.get(n[-1], "") for n in first["localgov_name"]],
        "code_std5_pre2023": first["haengjeong_std5_pre2023"].str.split(".").str[0],
        "code_std5": first["haengjeong_std5_2025"].str.split(".").str[0],
        "code10": first["haengjeong_code10"].str.split(".").str[0],
        "aliases": "",
    })
    for code, fields in SPECIAL.items():
        for column, value in fields.items():
            out.loc[out["code"] == code, column] = value
    out.loc[out["code"] == "39000", "name_en"] = "Jeju-do"
    return out[UNIT_COLUMNS].sort_values("code").reset_index(drop=True)
