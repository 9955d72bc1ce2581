//! An SMTP server for tests, on port 0: it accepts every message and keeps
//! it, so tests read the mail Sesame sends and follow its links. It can also
//! start down (its port bound, refusing connections) and come up later, or
//! offer STARTTLS with a certificate of the test's own CA.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket};
use tokio_native_tls::TlsAcceptor;

/// One message as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub raw: String,
}

impl Received {
    pub fn subject(&self) -> String {
        self.raw
            .lines()
            .find_map(|line| line.strip_prefix("Subject: "))
            .unwrap_or_default()
            .to_string()
    }

    /// The decoded text/plain part.
    pub fn text(&self) -> String {
        self.part("text/plain")
    }

    pub fn html(&self) -> String {
        self.part("text/html")
    }

    fn part(&self, content_type: &str) -> String {
        let Some(start) = self.raw.find(&format!("Content-Type: {content_type}")) else {
            return String::new();
        };
        let rest = &self.raw[start..];
        let body_start = rest.find("\r\n\r\n").map_or(rest.len(), |i| i + 4);
        let body = &rest[body_start..];
        let body = &body[..body.find("\r\n--").unwrap_or(body.len())];
        quoted_printable(body)
    }

    /// The first link in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let text = self.text();
        let start = text.find(prefix)?;
        let link = text[start..].split_whitespace().next()?;
        Some(link.to_string())
    }
}

fn quoted_printable(encoded: &str) -> String {
    let joined = encoded.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    /// Whether each message came over TLS, in the order received.
    over_tls: Arc<Mutex<Vec<bool>>>,
    task: tokio::task::JoinHandle<()>,
}

/// A sink whose port is bound but not listening: connections are refused
/// until it comes up.
pub struct DownSink {
    pub port: u16,
    socket: TcpSocket,
}

impl DownSink {
    pub fn come_up(self) -> SmtpSink {
        SmtpSink::serve(self.socket.listen(16).unwrap(), None)
    }
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        SmtpSink::serve(TcpListener::bind("127.0.0.1:0").await.unwrap(), None)
    }

    /// A sink that offers STARTTLS with `server.crt` and `server.key` in
    /// `certificates` (see `certificates::make_certificates`).
    pub async fn start_with_starttls(certificates: &std::path::Path) -> SmtpSink {
        let read = |name: &str| std::fs::read(certificates.join(name)).unwrap();
        let identity = native_tls::Identity::from_pkcs8(&read("server.crt"), &read("server.key")).unwrap();
        let acceptor = TlsAcceptor::from(native_tls::TlsAcceptor::new(identity).unwrap());
        SmtpSink::serve(TcpListener::bind("127.0.0.1:0").await.unwrap(), Some(acceptor))
    }

    pub fn down() -> DownSink {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let port = socket.local_addr().unwrap().port();
        DownSink { port, socket }
    }

    fn serve(listener: TcpListener, tls: Option<TlsAcceptor>) -> SmtpSink {
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let over_tls = Arc::new(Mutex::new(Vec::new()));
        let kept = (received.clone(), over_tls.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(Box::new(stream), kept.clone(), tls.clone()));
            }
        });
        SmtpSink {
            port,
            received,
            over_tls,
            task,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Whether each message received came over TLS.
    pub fn over_tls(&self) -> Vec<bool> {
        self.over_tls.lock().unwrap().clone()
    }

    /// Waits (up to 15 s) until `count` messages have come.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..150 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {count} message(s), got {:?}", self.received().len());
    }

    /// Waits (up to 15 s) for a message whose subject contains `text`
    /// (messages sent in one batch arrive in any order).
    pub async fn wait_for_subject(&self, text: &str) -> Received {
        for _ in 0..150 {
            if let Some(found) = self.received().into_iter().find(|m| m.subject().contains(text)) {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let subjects: Vec<String> = self.received().iter().map(Received::subject).collect();
        panic!("no message about {text:?}: {subjects:?}");
    }

    /// Settings that send Sesame's mail here.
    pub fn configure(&self, settings: &mut sesame::config::Settings) {
        settings.mail.smtp_host = "127.0.0.1".into();
        settings.mail.smtp_port = self.port;
        settings.mail.smtp_security = sesame::config::SmtpSecurity::None;
        settings.mail.poll_secs = 1;
        settings.mail.backoff_base_secs = 1;
        settings.mail.backoff_max_secs = 2;
        settings.mail.timeout_secs = 5;
        // Tests that count messages sign in from new browsers all the time.
        settings.account.notices.new_browser = false;
    }
}

/// A test app whose mail goes to a sink of its own.
pub async fn app_with_mail(backend: crate::helpers::Backend) -> (crate::helpers::TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let app = crate::helpers::spawn_app_with(backend, |s| sink.configure(s)).await;
    (app, sink)
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A connection, plain or upgraded to TLS.
trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

type Kept = (Arc<Mutex<Vec<Received>>>, Arc<Mutex<Vec<bool>>>);

async fn session(stream: Box<dyn Connection>, (sink, over_tls): Kept, mut tls: Option<TlsAcceptor>) {
    let mut lines = BufReader::new(stream);
    let _ = lines.get_mut().write_all(b"220 sink ESMTP\r\n").await;
    let mut encrypted = false;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") && tls.is_some() {
            b"250-sink\r\n250 STARTTLS\r\n"
        } else if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250 sink\r\n"
        } else if command == "STARTTLS"
            && let Some(acceptor) = tls.take()
        {
            if lines.get_mut().write_all(b"220 go ahead\r\n").await.is_err() {
                return;
            }
            // The client waits for that answer: nothing is buffered.
            let Ok(upgraded) = acceptor.accept(lines.into_inner()).await else {
                return;
            };
            lines = BufReader::new(Box::new(upgraded));
            encrypted = true;
            continue;
        } else if command.starts_with("MAIL") || command.starts_with("RSET") || command.starts_with("NOOP") {
            if command.starts_with("RSET") {
                to.clear();
            }
            b"250 OK\r\n"
        } else if command.starts_with("RCPT") {
            to.push(line.trim_end()[8..].trim_matches(|c| c == '<' || c == '>').to_string());
            b"250 OK\r\n"
        } else if command.starts_with("DATA") {
            let _ = lines.get_mut().write_all(b"354 go on\r\n").await;
            let mut raw = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                raw.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            sink.lock().unwrap().push(Received {
                to: std::mem::take(&mut to),
                raw,
            });
            over_tls.lock().unwrap().push(encrypted);
            b"250 kept\r\n"
        } else if command.starts_with("QUIT") {
            let _ = lines.get_mut().write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"502 not here\r\n"
        };
        if lines.get_mut().write_all(reply).await.is_err() {
            return;
        }
    }
}
