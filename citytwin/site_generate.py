"""A made-up deployment of many calibrated cameras across districts, for trying the screen at city scale.

``citytwin site generate --cameras 1000 --districts 8 -o city.yaml`` writes a
deployment file whose cameras stand in districts around a city centre, each
with a calibration from a simulated pinhole camera (so its lines and zones land
where it looks), a counting line and a zone. Camera ids are ``cam-0`` ...,
the ids of ``cloud.twin.synth``'s synthetic lake, so the two can be used together.
"""

from __future__ import annotations

import math
import random
from typing import Any

from contract.geo import TangentPlane
from contract.pinhole import Pinhole

DISTRICTS = ("harbour", "old-town", "university", "station", "market", "riverside", "park", "arena", "airport", "hospital",
             "docks", "museum")
PIXELS = [(40, 120), (720, 110), (760, 560), (10, 570), (384, 300), (200, 450)]


def _camera(index: int, district: str, where: tuple[float, float], rng: random.Random) -> dict[str, Any]:
    pinhole = Pinhole(where, heading_deg=rng.uniform(0, 360), tilt_deg=rng.uniform(30, 60),
                      height_m=rng.uniform(5, 12), focal_px=rng.uniform(550, 900))
    points = [{"px": list(p), "lon": round(pinhole.ground(p)[0], 8), "lat": round(pinhole.ground(p)[1], 8)} for p in PIXELS]
    return {
        "id": f"cam-{index}", "name": f"{district} {index:04d}", "map": {"x_m": 0, "y_m": 0},
        "calibration": {"image_size": [768, 576], "position": {"lon": round(where[0], 8), "lat": round(where[1], 8)},
                        "points": points},
        "lines": [{"id": "crossing", "points": [[0, 400], [768, 400]]}],
        "zones": [{"id": "square", "polygon": [[150, 300], [620, 300], [700, 570], [70, 570]], "capacity": rng.randint(5, 40)}],
    }


def generate(cameras: int, districts: int, centre: tuple[float, float] = (4.3571, 52.0116), seed: int = 1) -> dict[str, Any]:
    """The deployment as a dict: ``cameras`` spread over ``districts`` districts within ~6 km of ``centre``."""
    if not (1 <= cameras <= 100_000 and 1 <= districts <= len(DISTRICTS)):
        raise ValueError(f"cameras must be 1..100000 and districts 1..{len(DISTRICTS)}, got {cameras} and {districts}")
    rng = random.Random(seed)
    plane = TangentPlane(centre)
    hubs = [plane.to_lonlat((math.cos(a) * r, math.sin(a) * r))
            for a, r in ((2 * math.pi * d / districts, rng.uniform(1500, 5000)) for d in range(districts))]
    specs = []
    for i in range(cameras):
        d = i % districts
        local = TangentPlane(hubs[d])
        spot = local.to_lonlat((rng.gauss(0, 400), rng.gauss(0, 400)))
        specs.append(_camera(i, DISTRICTS[d], spot, rng))
    return {
        "site": {"id": "city", "name": f"Generated city ({cameras} cameras, {districts} districts)", "width_m": 12000,
                 "height_m": 12000, "origin": {"lon": round(plane.to_lonlat((-6000, 6000))[0], 8),
                                               "lat": round(plane.to_lonlat((-6000, 6000))[1], 8)}},
        "cameras": specs,
    }
