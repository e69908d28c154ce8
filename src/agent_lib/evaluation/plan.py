"""`Prepared`: the inputs of an evaluation run once every check passed (no agent called yet)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .dataset import Dataset


@dataclass(frozen=True)
class Prepared:
    """Inputs that passed every check: nothing has called the agent yet."""

    dataset: Dataset
    records: list[dict[str, Any]]
    scorer_names: tuple[str, ...]
    judge_names: tuple[str, ...]
    thresholds: dict[str, float]
    judge_model: str | None
    engine: str


__all__ = ["Prepared"]
