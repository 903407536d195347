"""WeCom's own statistics of customer contact, kept beside ours and reconciled with them."""
