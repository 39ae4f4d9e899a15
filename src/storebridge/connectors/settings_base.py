"""The base every connector's settings model shares: unknown keys are refused, values frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["StrictSettings"]


class StrictSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
