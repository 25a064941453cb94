"""Prefect orchestration of `pipeline/`. Import `flows.environment` first: Prefect reads
its settings when it is imported."""
