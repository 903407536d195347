"""RFM segments: orders in, eight customer segments out, synced to WeCom as tags."""
