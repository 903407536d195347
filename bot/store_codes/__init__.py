"""Store codes (门店活码): one public landing page per campaign, showing the nearest store's
code."""
