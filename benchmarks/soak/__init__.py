"""Soak and fault harness: the bot under a steady callback mix for minutes while faults are
injected, then a reconciliation of what it did. Loopback only, bounded in time.

    python -m benchmarks.soak --minutes 10 --rate 20 --write-readme

- `processes`: its own redis-server (AOF, `appendfsync always`), restartable on the same port
  and folder, and `scrm-bot serve --workers N` (supervisor + workers, one killable);
- `setup`: the sandbox corp, the bot's environment, a tag rule and an SOP (`scrm-bot import`);
- `traffic`: the mix (adds with a WelcomeCode, deletions both ways, edits, group joins and
  leaves, WeChat Customer Service messages with and without tag keywords, admin commands,
  staff chat) sent open loop through the sandbox's driver, which signs, encrypts and retries;
- `faults`: Redis SHUTDOWN NOSAVE / SIGKILL and restart, a worker SIGKILLed, the sandbox
  answering -1, 45009, HTTP 5xx or stalling past the bot's timeout on some APIs for a while,
  every access token revoked early;
- `drain`, `reconcile`, `checks`: wait for the backlogs, then check welcomes, tags, SOP
  reminders, admin answers and chat history against the sandbox's record and Redis;
- `memory`: RSS of the supervisor and each worker (a replaced worker has its own series);
- `report`: the tables, and the "Soak run" section of benchmarks/README.md.
"""
