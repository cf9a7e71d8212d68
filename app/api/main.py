"""All routers, one per resource: the API, its docs, and the console's pages."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.routes import (
    admin,
    allocate,
    balance,
    capacity,
    clusters,
    console,
    console_auth,
    console_explain,
    decisions,
    docs,
    explain,
    groups,
    health,
    history,
)

api_router = APIRouter()
api_router.include_router(allocate.router)
api_router.include_router(clusters.router)
api_router.include_router(decisions.router)
api_router.include_router(explain.router)
api_router.include_router(capacity.router)
api_router.include_router(groups.router)
api_router.include_router(balance.router)
api_router.include_router(history.router)
api_router.include_router(admin.router)
api_router.include_router(health.router)
api_router.include_router(docs.router)
api_router.include_router(console_auth.router)
api_router.include_router(console.router)
api_router.include_router(console_explain.router)
