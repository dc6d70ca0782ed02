"""The alerts stage: the shortfall alert sensor (pipelines.alerts does the work)."""
