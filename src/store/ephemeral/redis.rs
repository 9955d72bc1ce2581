//! Redis-backed [`EphemeralStore`], shared by every node. Every key is
//! prefixed, so deployments and tests can share one Redis. One server, a
//! Redis Cluster or a Sentinel-watched primary (see [`RedisTopology`]); every
//! command touches one key, so all of them work unchanged on a Cluster.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{AsyncCommands, Cmd, ConnectionAddr, ErrorKind, RedisError, RedisFuture, Script, ServerErrorKind, Value};

use super::redis_topology::{RedisTopology, SentinelTopology};
use crate::store::{EphemeralStore, StoreError};

/// How long one command may take before the request fails instead of hanging.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the Sentinels are asked where the primary is, besides after
/// every error that hints it moved: a demoted primary that has not yet been
/// told so still accepts writes that its successor will never see.
const SENTINEL_RECHECK: Duration = Duration::from_secs(5);

/// INCR, setting the expiry only when the counter is created, in one step.
const INCR_WITH_TTL: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
";

/// SADD and PEXPIRE in one step (a script, not MULTI, so that it runs
/// unchanged on a Redis Cluster).
const SADD_WITH_TTL: &str = r"
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
";

#[derive(Clone)]
pub struct RedisStore {
    connection: Backend,
    prefix: String,
    incr_script: Script,
    sadd_script: Script,
}

/// The connection(s) behind the store; each reconnects on its own.
#[derive(Clone)]
enum Backend {
    Single(Arc<SingleServer>),
    Cluster(Arc<ClusterNodes>),
    Sentinel(Arc<SentinelPrimary>),
}

/// One Redis server: a connection shared by every thread, and one more per
/// single-threaded runtime that sends commands (see [`thread_connection`]).
struct SingleServer {
    client: redis::Client,
    shared: ConnectionManager,
}

impl SingleServer {
    fn connection(self: &Arc<Self>) -> ConnectionManager {
        thread_connection(self, &self.client).unwrap_or_else(|| self.shared.clone())
    }
}

/// A Redis Cluster: a connection shared by every thread, and one more per
/// single-threaded runtime that sends commands (see
/// [`thread_cluster_connection`]).
struct ClusterNodes {
    client: ClusterClient,
    shared: ClusterConnection,
}

impl ClusterNodes {
    fn connection(self: &Arc<Self>) -> ClusterConnection {
        thread_cluster_connection(self).unwrap_or_else(|| self.shared.clone())
    }
}

/// A Cluster connection this thread's single-threaded runtime opens for one
/// store, as [`ThreadConnection`] is for one server.
struct ThreadClusterConnection {
    store: Weak<dyn std::any::Any + Send + Sync>,
    /// Set once connected; until then the shared connection serves.
    connection: Arc<OnceLock<ClusterConnection>>,
    /// The task that connects, then waits: finished once the runtime has
    /// shut down, or a while after connecting failed (then tried again).
    runtime_alive: tokio::task::JoinHandle<()>,
}

thread_local! {
    static THREAD_CLUSTER_CONNECTIONS: RefCell<Vec<ThreadClusterConnection>> = const { RefCell::new(Vec::new()) };
}

/// How long a thread whose Cluster connection failed to open keeps to the
/// shared one before it tries again.
const CLUSTER_RETRY_AFTER: Duration = Duration::from_secs(5);

/// This thread's own Cluster connection, for the reason
/// [`thread_connection`] gives. A Cluster connection connects to every node
/// before it answers anything, so it is opened by a task of this thread's
/// runtime in the background; `None` (the caller uses the shared
/// connection) until it is open, and on a multi-threaded runtime.
fn thread_cluster_connection(nodes: &Arc<ClusterNodes>) -> Option<ClusterConnection> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    if runtime.runtime_flavor() != tokio::runtime::RuntimeFlavor::CurrentThread {
        return None;
    }
    THREAD_CLUSTER_CONNECTIONS.with_borrow_mut(|connections| {
        connections.retain(|c| c.store.strong_count() > 0 && !c.runtime_alive.is_finished());
        let is_this_store = |c: &&ThreadClusterConnection| std::ptr::addr_eq(c.store.as_ptr(), Arc::as_ptr(nodes));
        if let Some(own) = connections.iter().find(is_this_store) {
            return own.connection.get().cloned();
        }
        let connection = Arc::new(OnceLock::new());
        let (client, opened) = (nodes.client.clone(), connection.clone());
        let runtime_alive = runtime.spawn(async move {
            match client.get_async_connection().await {
                Ok(connection) => {
                    let _ = opened.set(connection);
                    std::future::pending::<()>().await;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "a worker's own Redis Cluster connection did not open; using the shared one");
                    tokio::time::sleep(CLUSTER_RETRY_AFTER).await;
                }
            }
        });
        let store: Weak<ClusterNodes> = Arc::downgrade(nodes);
        connections.push(ThreadClusterConnection {
            store,
            connection,
            runtime_alive,
        });
        None
    })
}

/// A connection this thread's single-threaded runtime opened to one server
/// for one store; dropped when the store or the runtime is gone, or when the
/// store talks to another server (a Sentinel failover).
struct ThreadConnection {
    store: Weak<dyn std::any::Any + Send + Sync>,
    server: ConnectionAddr,
    manager: ConnectionManager,
    /// A task of the runtime that runs the connection's: finished once that
    /// runtime has shut down (the connection with it), when another
    /// runtime on this thread must open its own.
    runtime_alive: tokio::task::JoinHandle<()>,
}

thread_local! {
    static THREAD_CONNECTIONS: RefCell<Vec<ThreadConnection>> = const { RefCell::new(Vec::new()) };
}

/// This thread's own connection for `store` to the server `client` names,
/// when the thread runs a single-threaded runtime (each HTTP worker);
/// `None` on a multi-threaded runtime, whose tasks move between threads
/// anyway (the caller uses its shared connection).
///
/// A multiplexed connection's reading and writing is a task on the runtime
/// that opened it; a command from another thread is handed to that task and
/// its answer handed back — two thread wake-ups per command, measured as
/// more CPU than the command itself (≈ 130 µs per refresh on the shared
/// runtime's threads, for nine commands). An HTTP worker's own connection
/// runs its task on the worker's thread: a command is a write and a read
/// there, no hand-off. It is opened lazily: connecting happens with the
/// first command, on this thread.
fn thread_connection<S: Send + Sync + 'static>(store: &Arc<S>, client: &redis::Client) -> Option<ConnectionManager> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    if runtime.runtime_flavor() != tokio::runtime::RuntimeFlavor::CurrentThread {
        return None;
    }
    let server = client.get_connection_info().addr();
    let is_this_store = |c: &ThreadConnection| std::ptr::addr_eq(c.store.as_ptr(), Arc::as_ptr(store));
    THREAD_CONNECTIONS.with_borrow_mut(|connections| {
        connections.retain(|c| {
            c.store.strong_count() > 0 && !c.runtime_alive.is_finished() && (!is_this_store(c) || c.server == *server)
        });
        if let Some(own) = connections.iter().find(|c| is_this_store(c)) {
            return Some(own.manager.clone());
        }
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), manager_config()).ok()?;
        let store: Weak<S> = Arc::downgrade(store);
        connections.push(ThreadConnection {
            store,
            server: server.clone(),
            manager: manager.clone(),
            runtime_alive: runtime.spawn(std::future::pending()),
        });
        Some(manager)
    })
}

impl RedisStore {
    /// Connects once (failing if Redis does not answer); the connection
    /// reconnects by itself afterwards, and follows the primary when Sentinels
    /// move it.
    /// `tls_ca`: for a `rediss://` server, the PEM of the only CA to trust
    /// (`None`: the system's roots).
    pub async fn connect(url: &str, prefix: &str, tls_ca: Option<Vec<u8>>) -> Result<RedisStore, StoreError> {
        let topology = RedisTopology::parse(url)
            .map_err(|e| RedisError::from((ErrorKind::InvalidClientConfig, "invalid redis_url", e.to_string())))?;
        let connection = match topology {
            RedisTopology::Single(url) => {
                let client = match tls_ca {
                    Some(root_cert) => redis::Client::build_with_tls(
                        url,
                        redis::TlsCertificates {
                            client_tls: None,
                            root_cert: Some(root_cert),
                        },
                    )?,
                    None => redis::Client::open(url)?,
                };
                // Connecting once here fails the start when Redis does not
                // answer; the threads' own connections open lazily.
                let shared = ConnectionManager::new_with_config(client.clone(), manager_config()).await?;
                Backend::Single(Arc::new(SingleServer { client, shared }))
            }
            RedisTopology::Cluster(nodes) => {
                let client = ClusterClientBuilder::new(nodes)
                    .connection_timeout(CONNECT_TIMEOUT)
                    .response_timeout(RESPONSE_TIMEOUT)
                    .retries(2)
                    .build()?;
                // Connecting once here fails the start when the Cluster does
                // not answer; the threads' own connections open afterwards.
                let shared = client.get_async_connection().await?;
                Backend::Cluster(Arc::new(ClusterNodes { client, shared }))
            }
            RedisTopology::Sentinel(topology) => Backend::Sentinel(Arc::new(SentinelPrimary::connect(topology).await?)),
        };
        Ok(RedisStore {
            connection,
            prefix: prefix.to_string(),
            incr_script: Script::new(INCR_WITH_TTL),
            sadd_script: Script::new(SADD_WITH_TTL),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn connection(&self) -> Connection {
        // Cheap: handles onto multiplexed connections.
        match &self.connection {
            Backend::Single(server) => Connection::Single(server.connection()),
            Backend::Cluster(nodes) => Connection::Cluster(nodes.connection()),
            Backend::Sentinel(primary) => Connection::Sentinel(primary.current(), primary.clone()),
        }
    }
}

fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_number_of_retries(2)
}

/// The primary that the Sentinels point to, and a connection to it.
struct SentinelPrimary {
    sentinels: tokio::sync::Mutex<SentinelClient>,
    /// Where the primary is: its client, and the connection every thread shares.
    current: RwLock<(redis::Client, ConnectionManager)>,
    started: Instant,
    /// Milliseconds after `started` of the last question to the Sentinels.
    last_asked: AtomicU64,
}

impl SentinelPrimary {
    async fn connect(topology: SentinelTopology) -> Result<SentinelPrimary, StoreError> {
        let addresses = topology
            .sentinels
            .into_iter()
            .map(|(host, port)| ConnectionAddr::Tcp(host, port));
        let mut builder = SentinelClientBuilder::new(addresses, topology.master, SentinelServerType::Master)?
            .set_client_to_redis_db(topology.db);
        if let Some(username) = topology.username {
            builder = builder.set_client_to_redis_username(username);
        }
        if let Some(password) = topology.password {
            builder = builder.set_client_to_redis_password(password);
        }
        let mut sentinels = builder.build()?;
        let client = ask_sentinels(&mut sentinels).await?;
        let manager = ConnectionManager::new_with_config(client.clone(), manager_config()).await?;
        Ok(SentinelPrimary {
            sentinels: tokio::sync::Mutex::new(sentinels),
            current: RwLock::new((client, manager)),
            started: Instant::now(),
            last_asked: AtomicU64::new(0),
        })
    }

    fn current(self: &Arc<Self>) -> ConnectionManager {
        let since_asked = self
            .elapsed_millis()
            .saturating_sub(self.last_asked.load(Ordering::Relaxed));
        if since_asked >= SENTINEL_RECHECK.as_millis() as u64 {
            self.recheck();
        }
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        thread_connection(self, &current.0).unwrap_or_else(|| current.1.clone())
    }

    fn elapsed_millis(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Asks the Sentinels where the primary is, in the background (one
    /// question at a time), and switches to it when it moved.
    fn recheck(self: &Arc<Self>) {
        self.last_asked.store(self.elapsed_millis(), Ordering::Relaxed);
        let primary = self.clone();
        tokio::spawn(async move {
            let Ok(mut sentinels) = primary.sentinels.try_lock() else {
                return;
            };
            let client = match ask_sentinels(&mut sentinels).await {
                Ok(client) => client,
                Err(e) => {
                    tracing::warn!(error = %e, "the Redis Sentinels could not say where the primary is");
                    return;
                }
            };
            let address = client.get_connection_info().addr().clone();
            if primary
                .current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .0
                .get_connection_info()
                .addr()
                == &address
            {
                return;
            }
            match ConnectionManager::new_lazy_with_config(client.clone(), manager_config()) {
                Ok(manager) => {
                    tracing::warn!(primary = %address, "the Redis primary moved; following it");
                    *primary.current.write().unwrap_or_else(|e| e.into_inner()) = (client, manager);
                }
                Err(e) => tracing::warn!(error = %e, "could not connect to the new Redis primary"),
            }
        });
    }
}

async fn ask_sentinels(sentinels: &mut SentinelClient) -> Result<redis::Client, StoreError> {
    // The Sentinels are asked in turn; a silent one must not hang the caller.
    match tokio::time::timeout(CONNECT_TIMEOUT * 2, sentinels.async_get_client()).await {
        Ok(client) => Ok(client?),
        Err(_) => Err(RedisError::from((ErrorKind::Io, "the Redis Sentinels did not answer in time")).into()),
    }
}

/// Whether an error suggests the primary is no longer where we talk to.
fn primary_may_have_moved(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || matches!(
            error.kind(),
            ErrorKind::Server(ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown)
        )
}

/// One command's connection: a cheap clone of the backend's.
enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    Sentinel(ConnectionManager, Arc<SentinelPrimary>),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(manager) => manager.req_packed_command(cmd),
            Connection::Cluster(cluster) => cluster.req_packed_command(cmd),
            Connection::Sentinel(manager, primary) => Box::pin(async move {
                let result = manager.req_packed_command(cmd).await;
                if let Err(error) = &result
                    && primary_may_have_moved(error)
                {
                    primary.recheck();
                }
                result
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Single(manager) => manager.req_packed_commands(pipeline, offset, count),
            Connection::Cluster(cluster) => cluster.req_packed_commands(pipeline, offset, count),
            Connection::Sentinel(manager, primary) => Box::pin(async move {
                let result = manager.req_packed_commands(pipeline, offset, count).await;
                if let Err(error) = &result
                    && primary_may_have_moved(error)
                {
                    primary.recheck();
                }
                result
            }),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(manager) | Connection::Sentinel(manager, _) => manager.get_db(),
            Connection::Cluster(cluster) => cluster.get_db(),
        }
    }
}

fn millis(ttl: Duration) -> u64 {
    (ttl.as_millis() as u64).max(1)
}

#[async_trait]
impl EphemeralStore for RedisStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let _: () = self.connection().pset_ex(self.key(key), value, millis(ttl)).await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.connection().get(self.key(key)).await?)
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        // GETDEL (Redis ≥ 6.2) reads and removes in one atomic command.
        Ok(self.connection().get_del(self.key(key)).await?)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let _: () = self.connection().del(self.key(key)).await?;
        Ok(())
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        let mut connection = self.connection();
        Ok(self
            .incr_script
            .key(self.key(key))
            .arg(millis(ttl))
            .invoke_async(&mut connection)
            .await?)
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError> {
        let mut connection = self.connection();
        let _: i64 = self
            .sadd_script
            .key(self.key(key))
            .arg(member)
            .arg(millis(ttl))
            .invoke_async(&mut connection)
            .await?;
        Ok(())
    }

    async fn set_add_then_get(
        &self,
        set: &str,
        member: &str,
        ttl: Duration,
        read: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let mut connection = self.connection();
        if let Connection::Cluster(_) = connection {
            // The keys may live on different nodes, which keep no order
            // between them (and take no MULTI across slots).
            self.set_add(set, member, ttl).await?;
            return self.get(read).await;
        }
        // One connection: Redis runs what it is sent in the order sent, and
        // MULTI keeps SADD and PEXPIRE together as the script does.
        let set = self.key(set);
        let (value,): (Option<Vec<u8>>,) = redis::pipe()
            .atomic()
            .sadd(&set, member)
            .ignore()
            .pexpire(&set, millis(ttl) as i64)
            .ignore()
            .get(self.key(read))
            .query_async(&mut connection)
            .await?;
        Ok(value)
    }

    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        let _: () = self.connection().srem(self.key(key), member).await?;
        Ok(())
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.connection().smembers(self.key(key)).await?)
    }

    async fn time_to_live(&self, key: &str) -> Result<Option<Duration>, StoreError> {
        let ms: i64 = self.connection().pttl(self.key(key)).await?;
        Ok(match ms {
            -2 => None,
            -1 => Some(Duration::MAX),
            ms => Some(Duration::from_millis(ms.max(0) as u64)),
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let _: String = redis::cmd("PING").query_async(&mut self.connection()).await?;
        Ok(())
    }
}

impl From<RedisError> for StoreError {
    fn from(e: RedisError) -> Self {
        use redis::ServerErrorKind;
        let unavailable = e.is_io_error()
            || e.is_timeout()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            // A failover or resharding in progress, or a server loading its data.
            || matches!(
                e.kind(),
                ErrorKind::Server(
                    ServerErrorKind::ReadOnly
                        | ServerErrorKind::MasterDown
                        | ServerErrorKind::ClusterDown
                        | ServerErrorKind::TryAgain
                        | ServerErrorKind::BusyLoading
                ) | ErrorKind::ClusterConnectionNotFound
                    | ErrorKind::MasterNameNotFoundBySentinel
            );
        if unavailable {
            StoreError::Unavailable(Box::new(e))
        } else {
            StoreError::Backend(Box::new(e))
        }
    }
}
