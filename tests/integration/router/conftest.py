"""The router tests' fixtures (defined with the flow that first needed them), for every module."""

from tests.integration.router.test_router import registry, subgraphs

__all__ = ["registry", "subgraphs"]
