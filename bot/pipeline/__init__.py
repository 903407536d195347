"""The event pipeline: consumer group, retries, dead letters, middlewares."""
