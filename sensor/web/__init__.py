"""Pictures of the workout: the session report (one offline HTML file) and the live page.

Both need the ``web`` extra (Plotly for the charts, aiohttp for the live page's server); the
core install stays without them. ``require`` turns a missing one into one line naming the
extra. The colours of directions and landings live here, in one place, for both.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from sensor.errors import MissingExtra

#: Colours by direction, the same in every chart and on the live page: blue and orange stay
#: apart for the common colour-vision deficiencies (Okabe and Ito's palette).
DIRECTION_COLOURS = {
    "forward": "#0072B2",
    "backward": "#E69F00",
    "unknown": "#8C8C8C",
    "vertical": "#CC79A7",
}
#: Time no activity covers.
REST_COLOUR = "#D9D9D9"
#: Landing judgements (``analysis.landing``).
LANDING_COLOURS = {
    "soft": "#009E73",
    "firm": "#F0C419",
    "stiff": "#D55E00",
    "unknown": "#BDBDBD",
}
#: Heart rate.
HEART_COLOUR = "#C0392B"


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` or raise ``MissingExtra`` naming the ``web`` extra."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name is not None and module.split(".")[0] != err.name.split(".")[0]:
            raise
        raise MissingExtra(feature, "web", module.split(".")[0]) from None
