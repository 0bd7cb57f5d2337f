"""The engine's verbs, one module per family; `docker_magics.api.Engine` is the front door."""
