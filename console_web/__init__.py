"""The operators' console: a web page inside WeCom (the app's homepage) or any browser."""
