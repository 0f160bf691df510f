"""Sharing-hub pages for an authenticated operator: partners, grants and their basis, collections, audit."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
