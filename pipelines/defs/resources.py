"""The resources every stage uses, bound to the settings (pipelines.settings).

Kore's connection settings are read only when a run needs them: the code location loads
without them, and the first poll says which one is missing, in one line.
"""

import dagster as dg

from pipelines.resources import (
    coverage_resource_from_env,
    demand_resource_from_env,
    kore_resource_from_env,
    scopes_resource_from_env,
    warehouse_resource_from_env,
)


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "kore": kore_resource_from_env(),
            "scopes": scopes_resource_from_env(),
            "warehouse": warehouse_resource_from_env(),
            "coverage_config": coverage_resource_from_env(),
            "demand_config": demand_resource_from_env(),
        }
    )
