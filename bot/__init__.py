"""The bot process and its plumbing: config, app, callback, events, pipeline, WeCom client."""
