"""All routers, one per resource."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.routes import admin, allocate, capacity, clusters, decisions, explain, health

api_router = APIRouter()
api_router.include_router(allocate.router)
api_router.include_router(clusters.router)
api_router.include_router(decisions.router)
api_router.include_router(explain.router)
api_router.include_router(capacity.router)
api_router.include_router(admin.router)
api_router.include_router(health.router)
