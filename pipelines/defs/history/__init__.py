"""History stage: Kore.ai's exact status spans of closed local days (Agent Status Details)."""
