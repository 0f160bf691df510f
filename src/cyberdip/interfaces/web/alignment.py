"""The alignment explorer: heatmap, blocs map, partner finder and coalition builder."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
