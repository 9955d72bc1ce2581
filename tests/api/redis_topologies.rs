//! The ephemeral store on a Redis Cluster and behind Redis Sentinel, each a
//! set of `redis-server` processes of the test's own on free ports.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sesame::config::Secret;
use sesame::store::EphemeralStore;
use sesame::store::ephemeral::RedisStore;

use crate::helpers::{Backend, TestApp, redirect_params, silent_request, spawn_app_with};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One `redis-server` (or Sentinel) process, killed when dropped.
struct Server {
    port: u16,
    process: Child,
}

impl Server {
    fn start(dir: &Path, port: u16, args: &[&str]) -> Server {
        Server::spawn(dir, port, &["--port", &port.to_string()], args)
    }

    /// TLS only, on `port`, with the certificate and key in `dir`.
    fn start_tls(dir: &Path, port: u16) -> Server {
        let listen = [
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--tls-auth-clients",
            "no",
        ];
        let files = ["--tls-cert-file", "server.crt", "--tls-key-file", "server.key"];
        Server::spawn(dir, port, &listen, &files)
    }

    fn spawn(dir: &Path, port: u16, listen: &[&str], args: &[&str]) -> Server {
        let process = Command::new("redis-server")
            .current_dir(dir)
            .args(args)
            .args(listen)
            .args(["--bind", "127.0.0.1", "--save", ""])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (bash .ci/services installs it)");
        // Killed by `drop` if it never answers.
        let server = Server { port, process };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on port {port}");
    }

    /// What `redis-cli` prints for one command to this server.
    fn cli(&self, args: &[&str]) -> String {
        redis_cli(self.port, args)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn redis_cli(port: u16, args: &[&str]) -> String {
    let output = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
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
    nodes: Vec<Server>,
    _dir: tempfile::TempDir,
}

impl OwnCluster {
    async fn start() -> OwnCluster {
        let dir = tempfile::tempdir().unwrap();
        let nodes: Vec<Server> = (0..3)
            .map(|i| {
                // The bus port is given explicitly: port + 10000 may not exist.
                let bus = free_port().to_string();
                let config = format!("nodes-{i}.conf");
                Server::start(
                    dir.path(),
                    free_port(),
                    &[
                        "--cluster-enabled",
                        "yes",
                        "--cluster-port",
                        &bus,
                        "--cluster-config-file",
                        &config,
                    ],
                )
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
    primary: Server,
    replica: Server,
    sentinel: Server,
    _dir: tempfile::TempDir,
}

impl OwnSentinel {
    async fn start() -> OwnSentinel {
        let dir = tempfile::tempdir().unwrap();
        let primary = Server::start(dir.path(), free_port(), &[]);
        let primary_port = primary.port.to_string();
        let replica = Server::start(dir.path(), free_port(), &["--replicaof", "127.0.0.1", &primary_port]);
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
        let sentinel = Server::start(dir.path(), free_port(), &[config.to_str().unwrap(), "--sentinel"]);
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

/// Runs `openssl` in `dir` with a command line (no argument has spaces).
fn openssl(dir: &Path, command_line: &str) {
    let status = Command::new("openssl")
        .current_dir(dir)
        .args(command_line.split_whitespace())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {command_line}");
}

/// A CA of the test's own, a certificate it signed for 127.0.0.1, and
/// another CA's certificate.
fn make_certificates(dir: &Path) {
    let self_signed = "req -x509 -newkey rsa:2048 -nodes -days 1";
    openssl(
        dir,
        &format!("{self_signed} -keyout ca.key -out ca.crt -subj /CN=Sesame-test-CA"),
    );
    openssl(
        dir,
        &format!("{self_signed} -keyout other.key -out other.crt -subj /CN=Another-CA"),
    );
    openssl(
        dir,
        "req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1",
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile san.ext",
    );
}

/// `rediss://` with `redis_tls_ca_file`: the server's certificate is checked
/// against that CA (a certificate from another CA is refused), and
/// everything works over TLS.
#[tokio::test]
async fn rediss_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let redis = Server::start_tls(dir.path(), free_port());
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
