//! The pieces of a gateway deployment, for tests: a tiny app that echoes
//! what reaches it, and Debian's nginx and Caddy started on free ports with
//! the configurations the README documents (`docs/gateway/`), pointed at a
//! test's Sesame and echo app.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Map, Value, json};

use super::processes::on_a_free_port;

/// An app that answers every request with its method, path and headers
/// (names in lower case) as JSON.
pub struct EchoApp {
    pub port: u16,
    handle: actix_web::dev::ServerHandle,
}

async fn echo(req: HttpRequest) -> HttpResponse {
    let mut headers = Map::new();
    for (name, value) in req.headers() {
        headers.insert(name.as_str().to_ascii_lowercase(), json!(value.to_str().unwrap_or("")));
    }
    HttpResponse::Ok().json(json!({
        "method": req.method().as_str(),
        "path": req.uri().to_string(),
        "headers": headers,
    }))
}

impl EchoApp {
    pub fn start() -> EchoApp {
        let server = HttpServer::new(|| App::new().default_service(web::to(echo)))
            .workers(1)
            .disable_signals()
            .bind("127.0.0.1:0")
            .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        EchoApp { port, handle }
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// A proxy process, stopped when dropped.
pub struct ProxyProcess {
    pub port: u16,
    child: Child,
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The documented configuration, pointed at this test's Sesame and app,
/// serving `host` on `port`.
fn documented(file: &str, sesame_port: u16, app_port: u16) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/gateway").join(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{sesame_port}"))
        .replace("127.0.0.1:3000", &format!("127.0.0.1:{app_port}"))
}

/// Waits until the proxy on `port` answers `/__proxy-id` with `id` (it is
/// this process, not another test's server); `None` when it exited
/// (the port was taken).
fn started(mut child: Child, port: u16, host: &str, id: &str, log: &Path) -> Option<ProxyProcess> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            return None;
        }
        if proxy_id(port, host).is_some_and(|answer| answer.contains(id)) {
            return Some(ProxyProcess { port, child });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!(
        "the proxy did not answer on port {port}: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// What `/__proxy-id` on `port` says, as raw HTTP (any `Host` the
/// proxy serves it under).
fn proxy_id(port: u16, host: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let request = format!("GET /__proxy-id HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

/// nginx with `docs/gateway/nginx.conf`, serving `host` (a name under
/// `localhost`, which resolves to this machine).
pub fn nginx(dir: &Path, sesame_port: u16, app_port: u16, host: &str) -> ProxyProcess {
    on_a_free_port("nginx", |port| {
        let id = uuid::Uuid::new_v4().to_string();
        let site = documented("nginx.conf", sesame_port, app_port)
            .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
            .replace(
                "server_name wiki.example.com;",
                &format!("server_name {host};\n    location = /__proxy-id {{ return 200 \"{id}\"; }}"),
            );
        let temp = dir.join(format!("nginx-{port}"));
        std::fs::create_dir_all(&temp).unwrap();
        let t = temp.display();
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {t}/nginx.pid;\nerror_log {t}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {t}/body;\n  proxy_temp_path {t}/proxy;\n  \
             fastcgi_temp_path {t}/fastcgi;\n  uwsgi_temp_path {t}/uwsgi;\n  scgi_temp_path {t}/scgi;\n{site}\n}}\n"
        );
        let file = temp.join("nginx.conf");
        std::fs::write(&file, config).unwrap();
        let child = Command::new("nginx")
            .args(["-e", &format!("{t}/error.log"), "-c", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx runs (bash .ci/services installs it)");
        started(child, port, host, &id, &temp.join("error.log"))
    })
}

/// Caddy with `docs/gateway/Caddyfile`, serving `host` over http.
pub fn caddy(dir: &Path, sesame_port: u16, app_port: u16, host: &str) -> ProxyProcess {
    on_a_free_port("caddy", |port| {
        let id = uuid::Uuid::new_v4().to_string();
        let site = documented("Caddyfile", sesame_port, app_port).replace(
            "wiki.example.com {",
            &format!("http://{host}:{port} {{\n\thandle /__proxy-id {{\n\t\trespond \"{id}\"\n\t}}"),
        );
        let temp = dir.join(format!("caddy-{port}"));
        std::fs::create_dir_all(&temp).unwrap();
        let config = format!("{{\n\tadmin off\n\tauto_https off\n\thttp_port {port}\n}}\n{site}");
        let file = temp.join("Caddyfile");
        std::fs::write(&file, config).unwrap();
        let log = temp.join("caddy.log");
        let child = Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config", file.to_str().unwrap()])
            .env("XDG_DATA_HOME", &temp)
            .env("XDG_CONFIG_HOME", &temp)
            .env("HOME", &temp)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("caddy runs (bash .ci/services installs it)");
        started(child, port, host, &id, &log)
    })
}

/// The echo app's view of a response body.
pub fn echoed(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not the echo app: {body}"))
}
