"""The chat-toolbar sidebar: aiohttp sub-app, templates and static JS (issue 5)."""
