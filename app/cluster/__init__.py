"""The cluster model the engine works on, built once from a parsed request document."""

from __future__ import annotations

from app.cluster.build import build_cluster, request_spec
from app.cluster.model import Cluster, InstanceSpec
from app.cluster.summary import summarize

__all__ = ["Cluster", "InstanceSpec", "build_cluster", "request_spec", "summarize"]
