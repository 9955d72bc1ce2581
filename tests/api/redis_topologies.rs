//! The ephemeral store on a Redis Cluster and behind Redis Sentinel, each a
//! set of `redis-server` processes of the test's own on free ports.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use sesame::config::Secret;
use sesame::store::EphemeralStore;
use sesame::store::ephemeral::RedisStore;

use crate::helpers::certificates::make_certificates;
use crate::helpers::processes::{RedisProcess, candidate_port};
use crate::helpers::{Backend, TestApp, redirect_params, silent_request, spawn_app_with};

/// A plain `redis-server` (or Sentinel) on a free port, with `args`.
fn start_server(dir: &Path, args: &[&str]) -> RedisProcess {
    RedisProcess::start(dir, false, |port| {
        let mut all = owned(args);
        all.extend(owned(&["--port", &port.to_string()]));
        all.extend(common(dir));
        all
    })
}

/// TLS only, on a free port, with the certificate and key in `dir`.
fn start_tls_server(dir: &Path) -> RedisProcess {
    RedisProcess::start(dir, true, |port| {
        let mut all = owned(&["--tls-cert-file", "server.crt", "--tls-key-file", "server.key"]);
        all.extend(owned(&[
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--tls-auth-clients",
            "no",
        ]));
        all.extend(common(dir));
        all
    })
}

fn common(dir: &Path) -> Vec<String> {
    let mut args = owned(&["--bind", "127.0.0.1", "--save", "", "--dir"]);
    args.push(dir.display().to_string());
    args
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Polls `done` every 100 ms for up to `seconds`, without blocking the
/// runtime (the test's HTTP client lives on it).
async fn wait_until(seconds: u64, what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..seconds * 10 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within {seconds} s");
}

/// A three-primary Redis Cluster.
struct OwnCluster {
    nodes: Vec<RedisProcess>,
    _dir: tempfile::TempDir,
}

impl OwnCluster {
    async fn start() -> OwnCluster {
        let dir = tempfile::tempdir().unwrap();
        let nodes: Vec<RedisProcess> = (0..3)
            .map(|i| {
                let config = format!("nodes-{i}.conf");
                RedisProcess::start(dir.path(), false, |port| {
                    // The bus port is given explicitly: port + 10000 may not
                    // exist. Taken meanwhile, the node exits and is retried.
                    let bus = candidate_port().to_string();
                    let mut all = owned(&["--cluster-enabled", "yes", "--cluster-port", &bus]);
                    all.extend(owned(&["--cluster-config-file", &config, "--port", &port.to_string()]));
                    all.extend(common(dir.path()));
                    all
                })
            })
            .collect();
        let addresses: Vec<String> = nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)).collect();
        let created = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(created.success(), "redis-cli --cluster create");
        wait_until(20, "the cluster agreeing", || {
            nodes
                .iter()
                .all(|n| n.cli(&["cluster", "info"]).contains("cluster_state:ok"))
        })
        .await;
        OwnCluster { nodes, _dir: dir }
    }

    /// Two of the three nodes as seeds: the third is discovered.
    fn url(&self) -> String {
        format!(
            "redis-cluster://127.0.0.1:{},127.0.0.1:{}",
            self.nodes[0].port, self.nodes[1].port
        )
    }

    fn keys_per_node(&self) -> Vec<u64> {
        self.nodes
            .iter()
            .map(|n| n.cli(&["dbsize"]).trim().parse().unwrap())
            .collect()
    }
}

/// A primary, its replica, and one Sentinel watching them as `primary`.
struct OwnSentinel {
    primary: RedisProcess,
    replica: RedisProcess,
    sentinel: RedisProcess,
    _dir: tempfile::TempDir,
}

impl OwnSentinel {
    async fn start() -> OwnSentinel {
        let dir = tempfile::tempdir().unwrap();
        let primary = start_server(dir.path(), &[]);
        let primary_port = primary.port.to_string();
        let replica = start_server(dir.path(), &["--replicaof", "127.0.0.1", &primary_port]);
        let config = dir.path().join("sentinel.conf");
        std::fs::write(
            &config,
            format!(
                "sentinel monitor primary 127.0.0.1 {primary_port} 1\n\
                 sentinel down-after-milliseconds primary 1000\n\
                 sentinel failover-timeout primary 5000\n"
            ),
        )
        .unwrap();
        let sentinel = start_server(dir.path(), &[config.to_str().unwrap(), "--sentinel"]);
        wait_until(30, "the Sentinel finding the replica", || {
            sentinel
                .cli(&["sentinel", "replicas", "primary"])
                .contains(&replica.port.to_string())
                && replica.cli(&["info", "replication"]).contains("master_link_status:up")
        })
        .await;
        OwnSentinel {
            primary,
            replica,
            sentinel,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("redis-sentinel://127.0.0.1:{}#primary", self.sentinel.port)
    }

    /// Waits until the replica has every write, then has the Sentinel promote
    /// it, and returns once the old primary refuses writes.
    async fn fail_over(&self) {
        assert_eq!(
            self.primary.cli(&["wait", "1", "5000"]).trim(),
            "1",
            "replica caught up"
        );
        let answer = self.sentinel.cli(&["sentinel", "failover", "primary"]);
        assert!(answer.contains("OK"), "{answer}");
        let replica = self.replica.port.to_string();
        wait_until(30, "the Sentinel naming the replica primary", || {
            self.sentinel
                .cli(&["sentinel", "get-master-addr-by-name", "primary"])
                .contains(&replica)
        })
        .await;
        wait_until(30, "the old primary being demoted", || {
            self.primary.cli(&["role"]).starts_with("slave")
        })
        .await;
    }
}

/// Signs in (SSO for the second app), redeems codes and calls userinfo.
async fn sign_in_and_use_tokens(app: &TestApp) {
    let first = app.add_client(false).await;
    let second = app.add_client(false).await;
    app.add_user("alice").await;
    let (code, verifier) = app.get_code(&first, "alice").await;
    let tokens: serde_json::Value = app.redeem(&first, &code, &verifier).await.json().await.unwrap();
    let userinfo = app
        .api
        .get(app.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 200);
    let verifier = "b".repeat(43);
    let code = app.silent_authorize(&second, &verifier).await["code"].clone();
    assert_eq!(app.redeem(&second, &code, &verifier).await.status(), 200);
    assert_eq!(
        app.redeem(&second, &code, &verifier).await.status(),
        400,
        "codes are single-use"
    );
}

#[tokio::test]
async fn a_redis_cluster_holds_the_store_contract_and_serves_sign_ins() {
    let cluster = OwnCluster::start().await;
    crate::ephemeral_contract::whole_contract(&cluster.url()).await;

    let url = cluster.url();
    let app = spawn_app_with(Backend::PostgresRedis, move |s| s.redis_url = Secret::new(url)).await;
    sign_in_and_use_tokens(&app).await;
    let keys = cluster.keys_per_node();
    assert!(
        keys.iter().filter(|&&n| n > 0).count() >= 2,
        "keys spread over the cluster: {keys:?}"
    );
}

/// Each single-threaded runtime (every HTTP worker; here the test's own)
/// opens a Cluster connection of its own in the background on first use,
/// and sends through it once open: one more client on every node.
#[tokio::test]
async fn a_cluster_gives_each_worker_runtime_a_connection_of_its_own() {
    let cluster = OwnCluster::start().await;
    let clients = |cluster: &OwnCluster| -> Vec<u32> {
        cluster
            .nodes
            .iter()
            .map(|node| {
                let info = node.cli(&["info", "clients"]);
                let line = info.lines().find(|l| l.starts_with("connected_clients:")).unwrap();
                line.trim_start_matches("connected_clients:").trim().parse().unwrap()
            })
            .collect()
    };
    let store = RedisStore::connect(&cluster.url(), "own:", None).await.unwrap();
    let shared_only = clients(&cluster);
    store.put("k", b"v", Duration::from_secs(60)).await.unwrap();
    wait_until(20, "this runtime's own connection to every node", || {
        clients(&cluster)
            .iter()
            .zip(&shared_only)
            .all(|(now, before)| now > before)
    })
    .await;
    for i in 0..20 {
        store
            .put(&format!("k{i}"), b"v", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(store.get(&format!("k{i}")).await.unwrap(), Some(b"v".to_vec()));
    }
    assert!(
        clients(&cluster)
            .iter()
            .zip(&shared_only)
            .all(|(now, before)| *now == before + 1),
        "one more connection per node, not one per command: {:?} then {:?}",
        shared_only,
        clients(&cluster)
    );
}

/// After a Sentinel failover Sesame writes to the new primary on its own,
/// and what it stored before (a session, a code) is still there.
#[tokio::test]
async fn sesame_follows_the_primary_when_sentinel_fails_over() {
    let redis = OwnSentinel::start().await;
    crate::ephemeral_contract::whole_contract(&redis.url()).await;

    let url = redis.url();
    let app = spawn_app_with(Backend::PostgresRedis, move |s| s.redis_url = Secret::new(url)).await;
    sign_in_and_use_tokens(&app).await;
    let client = app.add_client(false).await;
    let (code, verifier) = app.get_code(&client, "alice").await;

    redis.fail_over().await;
    // Until Sesame notices, requests may fail with a 503 (or, once the
    // request is validated, a redirect with `temporarily_unavailable`);
    // never a 500 or `server_error`.
    let mut signed_in_again = false;
    for _ in 0..300 {
        let verifier = "c".repeat(43);
        let request = silent_request(&client, &verifier);
        let request: Vec<(&str, &str)> = request.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = app.authorize(&request).await;
        let status = response.status().as_u16();
        assert!(status == 303 || status == 503, "status {status}");
        let params = if status == 303 {
            redirect_params(&response)
        } else {
            Default::default()
        };
        if params.get("error").is_some_and(|e| e == "temporarily_unavailable") {
            // RFC 6749 §4.1.2.1: the app is told to try again.
        } else if status == 303 {
            let code = params
                .get("code")
                .unwrap_or_else(|| panic!("no code: {params:?}"))
                .clone();
            // The old primary now refuses writes (the code was stored and
            // taken with GETDEL), so a 200 means the new primary served both.
            let redeemed = app.redeem(&client, &code, &verifier).await.status().as_u16();
            assert!(redeemed == 200 || redeemed == 503, "status {redeemed}");
            if redeemed == 200 {
                signed_in_again = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(signed_in_again, "the session works on the new primary");
    let redeemed = app.redeem(&client, &code, &verifier).await;
    assert_eq!(redeemed.status(), 200, "a code issued before the failover survived it");
}

/// `rediss://` with `redis_tls_ca_file`: the server's certificate is checked
/// against that CA (a certificate from another CA is refused), and
/// everything works over TLS.
#[tokio::test]
async fn rediss_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let redis = start_tls_server(dir.path());
    let url = format!("rediss://127.0.0.1:{}", redis.port);
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();

    let refused = RedisStore::connect(&url, "test:", Some(read("other.crt"))).await;
    assert!(refused.is_err(), "a server certificate from another CA is refused");
    let store = RedisStore::connect(
        &url,
        &format!("test:{}:", uuid::Uuid::new_v4().simple()),
        Some(read("ca.crt")),
    )
    .await
    .expect("TLS with the right CA");
    store.ping().await.unwrap();

    let ca_file = dir.path().join("ca.crt").display().to_string();
    let app = spawn_app_with(Backend::PostgresRedis, move |s| {
        s.redis_url = Secret::new(url);
        s.redis_tls_ca_file = ca_file;
    })
    .await;
    sign_in_and_use_tokens(&app).await;
}
