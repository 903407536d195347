"""Redis Sentinel and Redis Cluster: their clients, and every place a cluster needs its own code.

Everything else is written once for all three topologies. That works because every key of a
corp carries the hash tag `{corp_id}` (`bot.keys`): a corp's keys live in one slot, so its
multi-key commands, Lua scripts and MULTI/EXEC transactions (with WATCH) run on one node.
redis-py 8.1's async `RedisCluster` supports those, with four exceptions handled here:

- a Lua script can't be queued on a cluster pipeline (EVALSHA is refused there): `queue_script`
  queues the script's source with EVAL instead;
- `EXISTS` (and `DEL`, `UNLINK`, `TOUCH`) on a cluster pipeline is split by slot and, between
  WATCH and MULTI, not run at once: `watched_exists` sends the plain command;
- `INFO` answers per node: `server_infos` asks every primary;
- reads inside a cluster MULTI/EXEC (SMEMBERS, HGETALL…) failed in redis-py's reply parsing:
  `ClusterClient` pipelines parse them as one server's do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.storage.url import RedisTarget

RedisClient: TypeAlias = Redis | RedisCluster
"""What `bot.storage.client.connect` returns; code typed `Redis` takes either (same commands)."""

# Retries of a command whose connection broke: a restart, a failover (the master changed, or
# a cluster node moved), not an outage. Short, so a callback still answers well inside WeCom's 5 s.
RETRIES = 3
RETRY_BASE_SECONDS = 0.05
RETRY_CAP_SECONDS = 0.5


def failover_retry() -> Retry:
    """Up to RETRIES quick retries on a ConnectionError (a refused or broken connection, or
    READONLY from a demoted master). Not on timeouts: a stalled master would hold a callback
    past WeCom's 5 s, and an INCR that timed out may have counted."""
    backoff = ExponentialWithJitterBackoff(cap=RETRY_CAP_SECONDS, base=RETRY_BASE_SECONDS)
    return Retry(backoff, RETRIES, supported_errors=(RedisConnectionError,))


class MasterConnection(SentinelManagedConnection):  # type: ignore[misc]
    """A connection to Sentinel's current master, also when it reconnects in the middle of a
    command's retries. (redis-py's own reconnects there to the address it had: the old master,
    so the first command after a failover would fail every retry.)"""

    async def _connect(self) -> None:
        if self.connection_pool.is_master:
            self.host, self.port = await self.connection_pool.get_master_address()
        await super()._connect()


class SentinelBlockingPool(SentinelConnectionPool, BlockingConnectionPool):  # type: ignore[misc]
    """The master's connections, found through Sentinel, bounded like the single-server pool:
    past `max_connections` a request waits (up to `timeout`) for a free one."""


class SentinelMasterClient(Redis):  # type: ignore[misc]
    """A client of the master Sentinel names; closing it closes the sentinel connections too."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        await self.connection_pool.sentinel_manager.aclose()


def connect_sentinel(target: RedisTarget, options: dict[str, Any]) -> Redis:
    """A client of `target.service_name`'s current master; after a failover, the next command
    asks Sentinel again (a demoted master's READONLY counts as a broken connection)."""
    sentinel_auth = {
        "username": target.sentinel_username,
        "password": target.sentinel_password,
    }
    sentinel = Sentinel(
        list(target.nodes),
        sentinel_kwargs={
            "socket_timeout": options["socket_timeout"],
            "socket_connect_timeout": options["socket_connect_timeout"],
            # no retries (redis-py's default backs off for seconds): the next sentinel is asked
            "retry": Retry(NoBackoff(), 0),
            **{k: v for k, v in sentinel_auth.items() if v is not None},
        },
    )
    return sentinel.master_for(
        target.service_name,
        redis_class=SentinelMasterClient,
        connection_pool_class=SentinelBlockingPool,
        connection_class=MasterConnection,
        decode_responses=True,
        db=target.db,
        username=target.username,
        password=target.password,
        retry=failover_retry(),
        **options,
    )


class ClusterClientPipeline(ClusterPipeline):  # type: ignore[misc]
    """A cluster pipeline whose MULTI/EXEC replies are parsed like one server's: redis-py 8.1
    hands a command's `keys` option (kept for client-side caching) to reply parsers that take
    no options (SMEMBERS, HGETALL…), so such a read inside a cluster transaction raised
    TypeError. One server's pipeline drops the option; so does this one."""

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("keys", None)
        return super().execute_command(*args, **kwargs)


class ClusterClient(RedisCluster):  # type: ignore[misc]
    """`RedisCluster` with `ClusterClientPipeline` pipelines and transactions."""

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> ClusterClientPipeline:
        if shard_hint:
            raise ValueError("shard_hint is not supported in cluster mode")
        return ClusterClientPipeline(self, transaction)


def connect_cluster(target: RedisTarget, options: dict[str, Any]) -> RedisCluster:
    """A cluster client seeded with `target.nodes`. Each node's pool holds at most
    `max_connections`; past that a command fails (MaxConnectionsError) instead of waiting."""
    cluster_options = {k: v for k, v in options.items() if k != "timeout"}
    return ClusterClient(
        startup_nodes=[ClusterNode(host, port) for host, port in target.nodes],
        decode_responses=True,
        username=target.username,
        password=target.password,
        retry=failover_retry(),
        **cluster_options,
    )


async def queue_script(pipe: Any, script: Any, keys: Sequence[str], args: Sequence[Any]) -> None:
    """Queue the registered Lua `script` on the pipeline or transaction `pipe`.

    One server: as redis-py does it (loaded before the pipeline runs, then EVALSHA). Cluster:
    its source with EVAL, as a cluster pipeline refuses EVALSHA."""
    if isinstance(pipe, ClusterPipeline):
        pipe.eval(script.script, len(keys), *keys, *args)
    else:
        await script(keys=list(keys), args=list(args), client=pipe)


async def watched_exists(tx: Any, key: str) -> bool:
    """EXISTS on a transaction between WATCH and MULTI, run at once on every topology."""
    return bool(await tx.execute_command("EXISTS", key))


async def server_infos(client: Any, section: str) -> list[dict[str, Any]]:
    """`INFO section` of the server, or of every primary of a cluster."""
    if isinstance(client, RedisCluster):
        await client.initialize()  # a no-op once the cluster's layout is known
        nodes = client.get_primaries()
        return [dict(await client.info(section, target_nodes=node)) for node in nodes]
    return [dict(await client.info(section))]
