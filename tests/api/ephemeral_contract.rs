//! One contract for `EphemeralStore`, run against the in-process store, the
//! journaled embedded store (the default without Redis) and Redis.

use std::sync::Arc;
use std::time::Duration;

use sesame::clock::MockClock;
use sesame::store::EphemeralStore;
use sesame::store::ephemeral::{JournaledStore, MemoryStore, RedisStore};
use uuid::Uuid;

async fn store(backend: crate::helpers::Backend) -> Arc<dyn EphemeralStore> {
    match backend {
        crate::helpers::Backend::SqliteMemory => Arc::new(MemoryStore::new(MockClock::new())),
        crate::helpers::Backend::PostgresRedis => redis_store(&crate::helpers::redis_url()).await,
    }
}

/// The journaled embedded store, in a folder of its own that lives as long
/// as the test process.
fn journaled_store() -> Arc<dyn EphemeralStore> {
    let dir: &'static tempfile::TempDir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
    let store = JournaledStore::open(&dir.path().join("store.journal"), MockClock::new()).expect("a journal");
    Arc::new(Arc::new(store))
}

/// A store on the Redis deployment `url` names, under a prefix of its own.
async fn redis_store(url: &str) -> Arc<dyn EphemeralStore> {
    let prefix = format!("test:{}:", Uuid::new_v4().simple());
    Arc::new(RedisStore::connect(url, &prefix, None).await.expect("Redis must run"))
}

/// The whole contract against the Redis deployment `url` names (a Cluster or
/// Sentinels, say), each part under a prefix of its own.
pub async fn whole_contract(url: &str) {
    sets_hold_distinct_members(redis_store(url).await).await;
    put_get_overwrite_delete(redis_store(url).await).await;
    take_returns_once(redis_store(url).await).await;
    concurrent_takes_see_the_value_exactly_once(redis_store(url).await).await;
    time_to_live_is_set_and_counters_count(redis_store(url).await).await;
    values_are_binary_safe(redis_store(url).await).await;
    an_add_then_a_read_meet_a_write_then_a_read(redis_store(url).await).await;
}

const MINUTE: Duration = Duration::from_secs(60);

async fn put_get_overwrite_delete(store: Arc<dyn EphemeralStore>) {
    assert_eq!(store.get("k").await.unwrap(), None);
    store.put("k", b"one", MINUTE).await.unwrap();
    assert_eq!(store.get("k").await.unwrap(), Some(b"one".to_vec()));
    store.put("k", b"two", MINUTE).await.unwrap();
    assert_eq!(store.get("k").await.unwrap(), Some(b"two".to_vec()));
    store.delete("k").await.unwrap();
    assert_eq!(store.get("k").await.unwrap(), None);
    store.delete("never-there").await.unwrap();
    store.ping().await.unwrap();
}

async fn take_returns_once(store: Arc<dyn EphemeralStore>) {
    store.put("code", b"grant", MINUTE).await.unwrap();
    assert_eq!(store.take("code").await.unwrap(), Some(b"grant".to_vec()));
    assert_eq!(store.take("code").await.unwrap(), None);
    assert_eq!(store.get("code").await.unwrap(), None);
}

async fn concurrent_takes_see_the_value_exactly_once(store: Arc<dyn EphemeralStore>) {
    for round in 0..20 {
        let key = format!("race-{round}");
        store.put(&key, b"v", MINUTE).await.unwrap();
        let takers: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                let key = key.clone();
                tokio::spawn(async move { store.take(&key).await.unwrap() })
            })
            .collect();
        let mut winners = 0;
        for taker in takers {
            winners += usize::from(taker.await.unwrap().is_some());
        }
        assert_eq!(winners, 1, "round {round}");
    }
}

async fn time_to_live_is_set_and_counters_count(store: Arc<dyn EphemeralStore>) {
    store.put("t", b"v", MINUTE).await.unwrap();
    let ttl = store.time_to_live("t").await.unwrap().unwrap();
    assert!(ttl <= MINUTE && ttl > Duration::from_secs(50), "{ttl:?}");
    assert_eq!(store.time_to_live("absent").await.unwrap(), None);
    assert_eq!(store.incr("n", MINUTE).await.unwrap(), 1);
    assert_eq!(store.incr("n", MINUTE).await.unwrap(), 2);
    assert!(store.time_to_live("n").await.unwrap().unwrap() <= MINUTE);
}

async fn values_are_binary_safe(store: Arc<dyn EphemeralStore>) {
    let value: Vec<u8> = (0..=255).collect();
    store.put("bin", &value, MINUTE).await.unwrap();
    assert_eq!(store.get("bin").await.unwrap(), Some(value));
}

async fn sets_hold_distinct_members(store: Arc<dyn EphemeralStore>) {
    assert!(store.set_members("s").await.unwrap().is_empty());
    store.set_add("s", "a", MINUTE).await.unwrap();
    store.set_add("s", "b", MINUTE).await.unwrap();
    store.set_add("s", "a", MINUTE).await.unwrap();
    let mut members = store.set_members("s").await.unwrap();
    members.sort();
    assert_eq!(members, vec!["a".to_string(), "b".to_string()]);
    assert!(store.time_to_live("s").await.unwrap().unwrap() <= MINUTE);
    store.set_remove("s", "a").await.unwrap();
    store.set_remove("s", "never").await.unwrap();
    assert_eq!(store.set_members("s").await.unwrap(), vec!["b".to_string()]);
}

/// `set_add_then_get` adds before it reads: against a writer that writes
/// the key and then reads the set, one of the two always sees the other
/// (how issuing an access token and revoking its grant meet).
async fn an_add_then_a_read_meet_a_write_then_a_read(store: Arc<dyn EphemeralStore>) {
    assert_eq!(store.set_add_then_get("idx", "t1", MINUTE, "mark").await.unwrap(), None);
    store.put("mark", b"1", MINUTE).await.unwrap();
    let seen = store.set_add_then_get("idx", "t2", MINUTE, "mark").await.unwrap();
    assert_eq!(seen, Some(b"1".to_vec()));
    let mut members = store.set_members("idx").await.unwrap();
    members.sort();
    assert_eq!(members, ["t1", "t2"]);
    assert!(store.time_to_live("idx").await.unwrap().unwrap() <= MINUTE);

    let rounds = (0..200).map(|round| {
        let (adder, writer) = (store.clone(), store.clone());
        let (set, mark) = (format!("race-{round}"), format!("race-{round}-mark"));
        async move {
            let add = async { adder.set_add_then_get(&set, "member", MINUTE, &mark).await.unwrap() };
            let write = async {
                writer.put(&mark, b"1", MINUTE).await.unwrap();
                writer.set_members(&set).await.unwrap()
            };
            let (mark_seen, members) = tokio::join!(add, write);
            assert!(
                mark_seen.is_some() || !members.is_empty(),
                "round {round}: neither saw the other"
            );
        }
    });
    futures_util::future::join_all(rounds).await;
}

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite_memory {
            $( #[tokio::test] async fn $name() {
                super::$name(super::store(crate::helpers::Backend::SqliteMemory).await).await
            } )*
        }
        mod postgres_redis {
            $( #[tokio::test] async fn $name() {
                super::$name(super::store(crate::helpers::Backend::PostgresRedis).await).await
            } )*
        }
        mod journaled {
            $( #[tokio::test] async fn $name() {
                super::$name(super::journaled_store()).await
            } )*
        }
    };
}

on_both_stores!(
    sets_hold_distinct_members,
    put_get_overwrite_delete,
    take_returns_once,
    concurrent_takes_see_the_value_exactly_once,
    time_to_live_is_set_and_counters_count,
    values_are_binary_safe,
    an_add_then_a_read_meet_a_write_then_a_read,
);

/// Redis: a single-threaded runtime (an HTTP worker) talks on a connection
/// of its own, whose task runs on that runtime. When the runtime ends and
/// another starts on the same thread (a server restarted in-process, one
/// test after another), the store must open a new one there, not send
/// commands to a connection whose task is gone.
#[test]
fn redis_outlives_the_runtime_that_first_used_it_on_a_thread() {
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    // Made as the server makes it, on the multi-threaded runtime that lives
    // as long as the process.
    let main = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = main.block_on(redis_store(&crate::helpers::redis_url()));
    for round in 0..3 {
        let value = format!("round {round}");
        let read = runtime().block_on(async {
            store.put("k", value.as_bytes(), MINUTE).await.unwrap();
            store.get("k").await.unwrap()
        });
        assert_eq!(read.as_deref(), Some(value.as_bytes()));
    }
    // And from the multi-threaded runtime, on the connection its threads share.
    assert_eq!(main.block_on(store.get("k")).unwrap().as_deref(), Some(&b"round 2"[..]));
}
