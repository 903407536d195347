"""Customer acquisition links (获客助手): WeCom links attributed like channel codes."""
