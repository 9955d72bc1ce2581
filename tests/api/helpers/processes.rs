//! Servers a test runs as processes of its own (`sesame serve`, Redis,
//! PostgreSQL), on ports nobody else has.
//!
//! A port that was free a moment ago may be another test's by the time a
//! process binds it, and a "port answers" check would then talk to that
//! other server. So a process counts as started only when it says so
//! itself (its own log line, its own process id), and one that lost the
//! race is started again on another port.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A port that was free when asked: a candidate only (see the module note).
pub fn candidate_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `start` on candidate ports until it succeeds (it returns `None`
/// when the port turned out to be taken); five tries.
pub fn on_a_free_port<T>(what: &str, mut start: impl FnMut(u16) -> Option<T>) -> T {
    for _ in 0..5 {
        if let Some(started) = start(candidate_port()) {
            return started;
        }
    }
    panic!("{what} did not start on any of five free ports");
}

/// `sesame serve` as a process, with what it writes to stderr (its log)
/// collected as it comes.
pub struct ServeProcess {
    pub port: u16,
    child: Child,
    log: Arc<(Mutex<Log>, Condvar)>,
}

#[derive(Default)]
struct Log {
    text: String,
    closed: bool,
}

impl ServeProcess {
    /// Starts `command` (a `sesame serve` without its listen address: it is
    /// given `127.0.0.1:port`, and the issuer to match) on a free port, once
    /// it logs that it is serving.
    pub fn start(mut command: impl FnMut() -> Command) -> ServeProcess {
        on_a_free_port("sesame serve", |port| {
            let child = command()
                .env("SESAME_LISTEN", format!("127.0.0.1:{port}"))
                .env("SESAME_ISSUER", format!("http://127.0.0.1:{port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the sesame binary runs");
            let mut process = ServeProcess::collecting(port, child);
            match process.wait_for_log("Sesame is serving", Duration::from_secs(30)) {
                true => Some(process),
                false if process.log().contains("binding") => {
                    process.kill();
                    None
                }
                false => {
                    process.kill();
                    panic!("sesame serve did not start:\n{}", process.log())
                }
            }
        })
    }

    /// Starts `command` again on `port` (a restart keeps its issuer), once
    /// the port the previous process held is free.
    pub fn start_on(port: u16, mut command: impl FnMut() -> Command) -> ServeProcess {
        for _ in 0..50 {
            let child = command()
                .env("SESAME_LISTEN", format!("127.0.0.1:{port}"))
                .env("SESAME_ISSUER", format!("http://127.0.0.1:{port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the sesame binary runs");
            let mut process = ServeProcess::collecting(port, child);
            if process.wait_for_log("Sesame is serving", Duration::from_secs(30)) {
                return process;
            }
            process.kill();
            assert!(
                process.log().contains("binding"),
                "sesame serve did not start:\n{}",
                process.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("port {port} stayed taken");
    }

    fn collecting(port: u16, mut child: Child) -> ServeProcess {
        let log = Arc::new((Mutex::new(Log::default()), Condvar::new()));
        let sink = log.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let (lines, changed) = &*sink;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = lines.lock().unwrap();
                log.text.push_str(&line);
                log.text.push('\n');
                changed.notify_all();
            }
            lines.lock().unwrap().closed = true;
            changed.notify_all();
        });
        ServeProcess { port, child, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.0.lock().unwrap().text.clone()
    }

    /// Whether `needle` appears in the log within `timeout`; `false` at once
    /// when the process has closed its stderr (it exited).
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let (lines, changed) = &*self.log;
        let deadline = Instant::now() + timeout;
        let mut log = lines.lock().unwrap();
        loop {
            if log.text.contains(needle) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if log.closed || left.is_zero() {
                return false;
            }
            log = changed.wait_timeout(log, left).unwrap().0;
        }
    }

    /// Sends SIGTERM (a graceful stop).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit; whether it exited successfully, and
    /// its whole log.
    pub fn wait(mut self) -> (bool, String) {
        let status = self.child.wait().unwrap();
        let (lines, changed) = &*self.log;
        let mut log = lines.lock().unwrap();
        while !log.closed {
            log = changed.wait(log).unwrap();
        }
        (status.success(), log.text.clone())
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

/// A `redis-server` (or Sentinel) of the test's own, killed when dropped.
pub struct RedisProcess {
    pub port: u16,
    child: Option<Child>,
}

impl RedisProcess {
    /// Starts `redis-server` in `dir` with the arguments `args(port)` gives
    /// for a free port (they must make it listen there, over TLS when `tls`).
    pub fn start(dir: &Path, tls: bool, args: impl Fn(u16) -> Vec<String>) -> RedisProcess {
        on_a_free_port("redis-server", |port| Self::spawn(dir, port, tls, &args(port)))
    }

    /// Starts `redis-server` with `args`, listening on `port`, once it
    /// answers there as itself (its own process id); `None` when it exited
    /// instead (the port was taken).
    pub fn spawn(dir: &Path, port: u16, tls: bool, args: &[String]) -> Option<RedisProcess> {
        let child = Command::new("redis-server")
            .current_dir(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (bash .ci/services installs it)");
        let mut process = RedisProcess {
            port,
            child: Some(child),
        };
        let itself = format!("process_id:{}", process.child.as_ref().unwrap().id());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(process.child.as_mut().unwrap().try_wait(), Ok(None)) {
                return None;
            }
            if redis_cli(port, tls, &["info", "server"]).contains(&itself) {
                return Some(process);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not answer on port {port}");
    }

    /// What `redis-cli` prints for one command to this (plain TCP) server.
    pub fn cli(&self, args: &[&str]) -> String {
        redis_cli(self.port, false, args)
    }

    /// Killed, not shut down: nothing gets a chance to flush.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn redis_cli(port: u16, tls: bool, args: &[&str]) -> String {
    let mut command = Command::new("redis-cli");
    command.args(["-h", "127.0.0.1", "-p", &port.to_string()]);
    if tls {
        command.args(["--tls", "--insecure"]);
    }
    let output = command
        .args(args)
        .stderr(Stdio::null())
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}
