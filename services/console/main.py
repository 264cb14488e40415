"""Composition root of the console: its routes (pages and the spreadsheet export) and its static files."""

from __future__ import annotations

from fastapi import APIRouter

from services.console import api, pages

ROUTERS: tuple[APIRouter, ...] = (api.router, pages.router)
STATIC = pages.STATIC

__all__ = ["ROUTERS", "STATIC"]
