"""voronka: customer-journey and sales-funnel analytics.

The public API (everything else is internal and may change)::

    from voronka import Store, DuckDBEngine, build_funnel, compute_funnel

    with Store("voronka.duckdb") as store:
        store.ingest_events(["events.csv"], tz="Asia/Almaty")
        result = compute_funnel(DuckDBEngine(store.connection),
                                build_funnel({"model": "hourglass"}, lang="ru"))
        print(result.to_pandas())
"""

from voronka.engines.duckdb import DuckDBEngine
from voronka.errors import DefinitionError, InputError, StoreError, VoronkaError
from voronka.funnel import Breakdown, Exclusion, FunnelDefinition, FunnelResult, Step, compute_funnel
from voronka.funnel.spec import build_funnel, load_funnel
from voronka.ingest import read_events
from voronka.positions import customer_positions
from voronka.rules import Condition, StepRule
from voronka.stage_models import StageModel, builtin_models, load_model
from voronka.store import Store

__version__ = "0.1.0"

__all__ = [
    "Breakdown",
    "Condition",
    "DefinitionError",
    "DuckDBEngine",
    "Exclusion",
    "FunnelDefinition",
    "FunnelResult",
    "InputError",
    "StageModel",
    "Step",
    "StepRule",
    "Store",
    "StoreError",
    "VoronkaError",
    "build_funnel",
    "builtin_models",
    "compute_funnel",
    "customer_positions",
    "load_funnel",
    "load_model",
    "read_events",
]
