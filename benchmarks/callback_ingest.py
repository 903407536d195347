"""Encrypted callbacks per second and latency, the bot against a bare aiohttp endpoint.

Both servers run as one process each on this machine and are driven by the same load
generators:
- max throughput: wrk (1 thread, N connections, closed loop) cycling through pre-encrypted,
  distinct callbacks, so every request is a new event that is decrypted, parsed, deduped and
  XADDed (none is a duplicate);
- latency at half the bot's max rate: an open-loop generator (requests fired on a fixed
  schedule, latency measured from the scheduled time, so queueing is not hidden).

The bot runs `scrm-bot serve` with its pipeline consuming the events, against a redis-server
of its own with `appendonly yes` and `appendfsync always` (the durability the 200 promises).

    python benchmarks/callback_ingest.py [--duration 10] [--connections 32]

Needs `wrk` (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.callback.crypto import CallbackCrypto  # noqa: E402
from tests.helpers import RedisServerProcess, free_port  # noqa: E402

CORP_ID = "ww1436e0e65a779aee"
TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"

WRK_SCRIPT = """
local reqs = {}
local idx = 0
init = function(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\\t")
    reqs[#reqs + 1] = wrk.format("POST", line:sub(1, tab - 1),
      {["Content-Type"] = "text/xml"}, line:sub(tab + 1))
  end
end
request = function()
  idx = idx + 1
  if idx > #reqs then idx = 1 end
  return reqs[idx]
end
"""


def make_requests(count: int, tag: str) -> list[tuple[str, str]]:
    """(path?query, body) of `count` distinct, correctly signed tag-change callbacks."""
    crypto = CallbackCrypto(TOKEN, AES_KEY, CORP_ID)
    now = int(time.time())
    requests = []
    for n in range(count):
        xml = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[sys]]>"
            f"</FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[change_external_tag]]></Event><Id><![CDATA[et{tag}{n}]]></Id>"
            f"<TagType><![CDATA[tag]]></TagType><ChangeType><![CDATA[update]]></ChangeType></xml>"
        )
        encrypt = crypto.encrypt(xml)
        nonce = secrets.token_hex(5)
        signature = crypto.signature(str(now), nonce, encrypt)
        path = f"/wecom/callback?msg_signature={signature}&timestamp={now}&nonce={nonce}"
        body = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID><![CDATA[1000002]]>"
            f"</AgentID><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        )
        requests.append((path, body))
    return requests


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def run_wrk(
    port: int, requests: list[tuple[str, str]], duration: int, connections: int, workdir: Path
) -> dict[str, float]:
    data = workdir / "requests.tsv"
    data.write_text("".join(f"{p}\t{b}\n" for p, b in requests), encoding="utf-8")
    script = workdir / "cycle.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
            "--",
            str(data),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    latency = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"\s(50|99)%\s+([\d.]+\w+)", out)}
    return {
        "rps": rps,
        "total": total,
        "non2xx": int(bad.group(1)) if bad else 0,
        "p50": latency.get("50", 0.0),
        "p99": latency.get("99", 0.0),
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


async def fixed_rate(port: int, requests: list[tuple[str, str]], rate: float) -> dict[str, float]:
    """Open loop: request i is due at start + i/rate; latency counts from when it was due.

    Raw keep-alive connections and pre-built request bytes keep the generator's own cost per
    request small, so it does not add its queueing to the server's.
    """
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(64):
        idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    raw = [
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
        ).encode()
        for path, body in requests
    ]
    latencies: list[float] = []
    failures = 0

    async def one(due: float, payload: bytes) -> None:
        nonlocal failures
        reader, writer = await idle.get()
        writer.write(payload)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        latencies.append((time.perf_counter() - due) * 1000)
        if not head.startswith(b"HTTP/1.1 200"):
            failures += 1
        idle.put_nowait((reader, writer))

    tasks = []
    start = time.perf_counter() + 0.2
    for i, payload in enumerate(raw):
        due = start + i / rate
        await asyncio.sleep(max(due - time.perf_counter(), 0))
        tasks.append(asyncio.create_task(one(due, payload)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        idle.get_nowait()[1].close()
    latencies.sort()
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "failures": failures,
    }


def start_bot(port: int, redis_url: str, data_dir: Path, role: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "SCRM_CORP_ID": CORP_ID,
        "SCRM_TOKEN": TOKEN,
        "SCRM_AES_KEY": AES_KEY,
        "SCRM_AGENT_ID": "1000002",
        "SCRM_AGENT_SECRET": "bench",
        "SCRM_REDIS_URL": redis_url,
        "SCRM_WECOM_API_BASE": "http://127.0.0.1:9",
        "SCRM_DATA_DIR": str(data_dir),
        "SCRM_KEY_PREFIX": f"bench-{secrets.token_hex(4)}",
    }
    command = [sys.executable, "-m", "bot", "--log-level", "WARNING", "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--role", role]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def start_bare(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "bare_endpoint.py"), str(port)]
    )


@contextmanager
def serving(role: str | None, redis_url: str, workdir: Path) -> Iterator[int]:
    """Run the bare endpoint (role None) or `scrm-bot serve --role role`; yields its port."""
    port = free_port()
    server = start_bare(port) if role is None else start_bot(port, redis_url, workdir / "d", role)
    try:
        wait_for_port(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


TARGETS = [
    ("bare aiohttp endpoint (baseline)", None),
    ("scrm-bot serve (callbacks + pipeline, the default)", "all"),
    ("scrm-bot serve --role callback (pipeline elsewhere)", "callback"),
]
COUNT = 250_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--latency-seconds", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        redis = RedisServerProcess(workdir / "redis")
        redis.start()
        try:
            print(f"generating {COUNT} encrypted callbacks ...", file=sys.stderr)
            requests = make_requests(COUNT, "a")
            for name, role in TARGETS:  # one server at a time: nothing else competes for CPU
                with serving(role, redis.url, workdir) as port:
                    results[name] = run_wrk(
                        port, requests, args.duration, args.connections, workdir
                    )
                if role is not None and results[name]["total"] > COUNT:
                    print(f"warning: {name}: wrk wrapped around", file=sys.stderr)
            rate = results[TARGETS[1][0]]["rps"] / 2  # half the default process's max
            for name, role in TARGETS:
                fresh = make_requests(int(rate * args.latency_seconds), name[:6])
                with serving(role, redis.url, workdir) as port:
                    latency = asyncio.run(fixed_rate(port, fresh, rate))
                results[name] |= {f"fixed_{k}": v for k, v in latency.items()}
        finally:
            redis.kill()

    base = results[TARGETS[0][0]]["rps"]
    print(
        f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, date {time.strftime('%Y-%m-%d')}"
    )
    print(
        f"| endpoint | max req/s (wrk, c={args.connections}) | ratio to bare | non-2xx "
        f"| p50 / p99 at max (ms) | p50 / p99 at {rate:.0f} req/s (ms) "
        f"| failures at {rate:.0f} req/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, _ in TARGETS:
        r = results[name]
        print(
            f"| {name} | {r['rps']:.0f} | {r['rps'] / base:.2f} | {r['non2xx']:.0f} "
            f"| {r['p50']:.2f} / {r['p99']:.2f} | {r['fixed_p50']:.2f} / {r['fixed_p99']:.2f} "
            f"| {r['fixed_failures']:.0f} |"
        )


if __name__ == "__main__":
    main()
