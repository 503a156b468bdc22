"""The resources every asset and check uses (built in grensverkeer/resources.py), as definitions of
the defs/ package: so the code location and Dagster's `load_from_defs_folder` both provide them."""

import dagster as dg

from ..resources import default_resources


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=default_resources())
