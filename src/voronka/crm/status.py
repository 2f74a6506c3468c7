"""Deal status words: how CRM exports say won, lost and open, as one vocabulary.

A deal row's status is ``won``, ``lost`` or ``open``. It is read from the ``status``
column when the export has one (amoCRM and Bitrix24 words, Bitrix24 stage semantics
``S``/``F``/``P``), else from the stage name when it is one of the CRMs' final stages
(amoCRM «Успешно реализовано» / «Закрыто и не реализовано», Bitrix24 «Сделка успешна» /
«Сделка провалена», stage ids ``WON`` / ``LOSE``, also with a category prefix
``C2:WON``); any other stage is open.
"""

from __future__ import annotations

from voronka.sql import literals

WON = ("won", "win", "s", "success", "successful", "closed won", "успешно", "успех", "успешно реализовано",
       "сделка успешна", "выиграна", "выиграно", "реализовано", "сәтті")
LOST = ("lost", "lose", "f", "fail", "failed", "closed lost", "провал", "провалена", "сделка провалена",
        "проиграна", "проиграно", "закрыто и не реализовано", "не реализовано", "отказ", "apology",
        "анализ причины провала", "сәтсіз")
OPEN = ("open", "p", "in progress", "active", "в работе", "открыта", "открыто", "активна", "процесс")

WON_STAGES = ("успешно реализовано", "сделка успешна", "won", "closed won", "142")
LOST_STAGES = ("закрыто и не реализовано", "сделка провалена", "lose", "lost", "closed lost", "apology",
               "анализ причины провала", "143")


def status_sql(expr: str) -> str:
    """SQL: ``won`` / ``lost`` / ``open`` for a status word ``expr``; NULL for an unknown word."""
    low = f"lower({expr})"
    return (f"CASE WHEN {low} IN ({literals(WON)}) THEN 'won' WHEN {low} IN ({literals(LOST)}) THEN 'lost' "
            f"WHEN {low} IN ({literals(OPEN)}) THEN 'open' END")


def stage_status_sql(stage: str) -> str:
    """SQL: ``won`` / ``lost`` when the stage name is a CRM's final stage, else ``open``.
    Bitrix24 prefixes the stage ids of its other pipelines with the category: ``C2:WON``."""
    low = f"lower({stage})"
    return (f"CASE WHEN {low} IN ({literals(WON_STAGES)}) OR {low} LIKE 'c%:won' THEN 'won' "
            f"WHEN {low} IN ({literals(LOST_STAGES)}) OR {low} LIKE 'c%:lose' OR {low} LIKE 'c%:apology' "
            f"THEN 'lost' ELSE 'open' END")
