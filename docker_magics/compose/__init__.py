"""Compose: multi-container apps described in a compose file (loader, order, health, project)."""
