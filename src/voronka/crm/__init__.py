"""CRM deals: the sales funnel of deal stage changes (docs/crm.md).

    status     the won / lost / open vocabulary of amoCRM and Bitrix24 exports
    pipeline   stage conversion, time in stage, stuck deals, win rate (in the engine);
               each manager's plan from the backwards plan (``voronka.plan``)
"""

from __future__ import annotations

from voronka.crm.pipeline import DealPipeline, PipelineDefinition, deal_pipeline, manager_plans

__all__ = ["DealPipeline", "PipelineDefinition", "deal_pipeline", "manager_plans"]
