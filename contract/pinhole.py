"""A pinhole camera over flat ground: where each pixel's ray meets the ground, for calibrations made up on purpose.

Synthetic deployments (the 1,000-camera benchmark) and the tests of the
homography fit need calibrations whose truth is known; this is that truth.
Image x runs right and y down, the principal point is the image centre,
``heading_deg`` is clockwise from north and ``tilt_deg`` downwards from level.

Example:
    >>> cam = Pinhole(position=(4.37, 52.0), heading_deg=0, tilt_deg=90, height_m=10, focal_px=500)
    >>> [round(v, 7) for v in cam.ground((384, 288))]  # looking straight down: the image centre is below the camera
    [4.37, 52.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from contract.geo import LonLat, Pixel, TangentPlane


@dataclass(frozen=True)
class Pinhole:
    """A level-mounted camera at ``height_m`` above flat ground."""

    position: LonLat
    heading_deg: float
    tilt_deg: float
    height_m: float
    focal_px: float
    image_size: tuple[int, int] = (768, 576)

    def metres(self, px: Pixel) -> tuple[float, float] | None:
        """Metres east and north of the camera where the pixel's ray meets the ground; None above the horizon."""
        th, t = math.radians(self.heading_deg), math.radians(self.tilt_deg)
        forward, right = (math.sin(th), math.cos(th)), (math.cos(th), -math.sin(th))
        dx = (px[0] - self.image_size[0] / 2) / self.focal_px
        dy = (px[1] - self.image_size[1] / 2) / self.focal_px
        # Ray = dx * right + dy * down + forward, with the camera pitched down by t.
        along = math.cos(t) - dy * math.sin(t)
        up = -math.sin(t) - dy * math.cos(t)
        if up >= -1e-9:
            return None
        s = self.height_m / -up
        return (s * (dx * right[0] + along * forward[0]), s * (dx * right[1] + along * forward[1]))

    def ground(self, px: Pixel) -> LonLat:
        """WGS84 position of the ground seen at ``px``; raises ValueError above the horizon."""
        m = self.metres(px)
        if m is None:
            raise ValueError(f"pixel {list(px)} is above the horizon")
        return TangentPlane(self.position).to_lonlat(m)
