"""Where the interactive maps write place names, computed from the bundled geometry.

There is no basemap offline, so the names come from the boundaries themselves: one point per
시도 and per 시군구, placed at the pole of inaccessibility of its largest part (the centroid
of a crescent-shaped or island region can fall outside it, or in the sea).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

# ~0.5 km: finer moves no label by a visible amount at the zoom levels the names appear at.
_TOLERANCE = 0.005
LABEL_DECIMALS = 4


def _largest_part(geometry: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(geometry)
    return parts[int(np.argmax(shapely.area(parts)))]


def label_points(geometry: pd.Series) -> list[list[float]]:
    """One [lat, lon] per shape (Leaflet's order), inside the shape's largest part."""
    points = []
    for shape in geometry.to_numpy():
        part = _largest_part(shape)
        point = shapely.maximum_inscribed_circle(part, _TOLERANCE).coords[0]
        points.append([round(float(point[1]), LABEL_DECIMALS), round(float(point[0]), LABEL_DECIMALS)])
    return points


def sido_names(table: pd.DataFrame) -> dict[str, str]:
    """시도 code (the first two digits of a unit code) → 시도 name, as the run's table spells it."""
    codes = table["code"].astype(str).str[:2]
    return dict(zip(codes, table["sido"].astype(str)))
