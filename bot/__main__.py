"""`python -m bot` runs the scrm-bot command line."""

from bot.cli import main

raise SystemExit(main())
