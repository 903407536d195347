"""WeCom callback endpoint: verify, decrypt, parse, dedupe and enqueue."""
