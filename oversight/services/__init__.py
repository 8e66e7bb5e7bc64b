"""Every write of inspections (services.inspections) and incidents (services.incidents)."""
