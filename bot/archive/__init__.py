"""The chat archive (会话存档): messages pulled from WeCom with Tencent's C SDK."""
