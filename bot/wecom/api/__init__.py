"""Per-domain WeCom API classes behind the `WeComClient` facade."""
