"""Admin commands by chat with the app, the audit log, and configuration as code."""
