//! The admin socket: a Unix socket beside the database through which the
//! CLI asks the running node to perform an [`Operation`]. No network
//! exposure: the socket file is 0600 in a folder created 0700, and a peer
//! whose user is neither the socket's owner nor root is turned away, so
//! only whoever could read the database anyway can use it.
//!
//! One request per connection: a JSON [`Operation`] on one line, answered
//! by one JSON [`Reply`] line.

use std::ops::Deref;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use super::{Operation, perform};
use crate::admin::Ended;
use crate::startup::Services;

/// A request is one short JSON line; anything longer is not ours.
const MAX_REQUEST_BYTES: u64 = 64 * 1024;
/// How long a peer has to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the CLI waits for the node to carry an operation out (ending a
/// person's sessions queues their apps' notices; it does not wait for them).
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// The node's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Done(Ended),
    Failed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error(
        "another Sesame server already answers on the admin socket {0}: stop it first, or give this one its own \
         data folder"
    )]
    InUse(PathBuf),
    #[error("{0} exists and is not a socket; move it away or set admin_socket to another path")]
    NotASocket(PathBuf),
    #[error("admin socket: {0}")]
    Io(#[from] std::io::Error),
}

/// The listening socket; the file goes when it is dropped.
pub struct AdminSocket {
    path: PathBuf,
    accepting: tokio::task::JoinHandle<()>,
}

impl AdminSocket {
    /// Listens on `path` and performs what is asked there with `services`.
    /// A socket file left by a node that is gone is replaced; one that a
    /// running node answers on is not.
    pub fn bind<S>(path: &Path, services: S) -> Result<AdminSocket, SocketError>
    where
        S: Deref<Target = Services> + Clone + Send + Sync + 'static,
    {
        crate::files::create_private_parent(path)
            .map_err(|e| crate::files::at(path, "creating the folder of the admin socket", e))?;
        if let Ok(existing) = std::fs::symlink_metadata(path) {
            if !existing.file_type().is_socket() {
                return Err(SocketError::NotASocket(path.to_path_buf()));
            }
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(SocketError::InUse(path.to_path_buf()));
            }
            std::fs::remove_file(path).map_err(|e| crate::files::at(path, "removing the stale admin socket", e))?;
        }
        let listener =
            UnixListener::bind(path).map_err(|e| crate::files::at(path, "listening on the admin socket", e))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| crate::files::at(path, "restricting the admin socket", e))?;
        let owner = std::fs::metadata(path)?.uid();
        let accepting = tokio::spawn(accept(listener, owner, services));
        tracing::info!(path = %path.display(), "admin socket: the CLI reaches this node here");
        Ok(AdminSocket {
            path: path.to_path_buf(),
            accepting,
        })
    }
}

impl Drop for AdminSocket {
    fn drop(&mut self) {
        self.accepting.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn accept<S>(listener: UnixListener, owner: u32, services: S)
where
    S: Deref<Target = Services> + Clone + Send + Sync + 'static,
{
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "admin socket: accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let uid = stream.peer_cred().map(|peer| peer.uid()).ok();
        if !uid.is_some_and(|uid| uid == owner || uid == 0) {
            tracing::warn!(?uid, "admin socket: a peer of another user was turned away");
            continue;
        }
        tokio::spawn(answer(stream, services.clone()));
    }
}

async fn answer<S: Deref<Target = Services>>(stream: UnixStream, services: S) {
    let (reading, mut writing) = stream.into_split();
    let mut line = String::new();
    let mut reading = BufReader::new(reading.take(MAX_REQUEST_BYTES));
    let read = reading.read_line(&mut line);
    let reply = match tokio::time::timeout(REQUEST_TIMEOUT, read).await {
        Ok(Ok(_)) => match serde_json::from_str::<Operation>(&line) {
            Ok(operation) => {
                let name = operation.name();
                // Mail an operation sends (an invitation) is in the default language.
                let voice = crate::ui::Voice::default_for(services.look.clone());
                match voice.speak(perform(&services, operation)).await {
                    Ok(ended) => {
                        tracing::info!(operation = name, "admin socket: done");
                        Reply::Done(ended)
                    }
                    Err(e) => {
                        tracing::info!(operation = name, error = %e, "admin socket: refused");
                        Reply::Failed(e.to_string())
                    }
                }
            }
            // The request is not echoed: it may hold a password.
            Err(_) => Reply::Failed("not a request this server understands (is the CLI the same version?)".into()),
        },
        Ok(Err(_)) | Err(_) => return,
    };
    let Ok(mut bytes) = serde_json::to_vec(&reply) else {
        return;
    };
    bytes.push(b'\n');
    let _ = writing.write_all(&bytes).await;
}

#[derive(Debug, thiserror::Error)]
pub enum AskError {
    #[error(
        "cannot reach the running server on its admin socket {path}: {source}. Without Redis, sessions and tokens \
         live inside the server, so this must be done by it: start it (sesame serve) with the same configuration \
         and run this again. Nothing was changed"
    )]
    Unreachable { path: PathBuf, source: std::io::Error },
    #[error("the server refused: {0}")]
    Refused(String),
    #[error("the server's answer on {path} was cut short or unreadable ({reason}); check its log for the outcome")]
    Garbled { path: PathBuf, reason: String },
}

/// Asks the node listening on `path` to perform `operation`.
pub async fn ask(path: &Path, operation: &Operation) -> Result<Ended, AskError> {
    let unreachable = |source| AskError::Unreachable {
        path: path.to_path_buf(),
        source,
    };
    let garbled = |reason: String| AskError::Garbled {
        path: path.to_path_buf(),
        reason,
    };
    let mut stream = UnixStream::connect(path).await.map_err(unreachable)?;
    let mut request = serde_json::to_vec(operation).map_err(|e| garbled(e.to_string()))?;
    request.push(b'\n');
    stream.write_all(&request).await.map_err(unreachable)?;
    let mut answer = String::new();
    let mut reading = BufReader::new(stream.take(MAX_REQUEST_BYTES));
    let read = reading.read_line(&mut answer);
    match tokio::time::timeout(REPLY_TIMEOUT, read).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(garbled(e.to_string())),
        Err(_) => return Err(garbled("no answer within a minute".into())),
    }
    match serde_json::from_str(&answer) {
        Ok(Reply::Done(ended)) => Ok(ended),
        Ok(Reply::Failed(reason)) => Err(AskError::Refused(reason)),
        Err(e) => Err(garbled(e.to_string())),
    }
}
