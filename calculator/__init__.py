"""Cost-per-token planner core: schemas, catalog, cost, decoding modes, estimator, capacity, export.

Pure and typed; imports no streamlit. The app and the measurement tool both build on it.
"""

from calculator.data.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION"]
