"""Demand stage: Kore.ai contact volume per queue, skill and interval."""
