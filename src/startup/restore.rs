//! `sesame restore FILE`: puts a backup (`sesame backup`) in place of a
//! stopped installation's SQLite database. Nothing is deleted: the database
//! it replaces, and the store journal whose sessions belonged to it, are
//! set aside beside them. The backup is checked first (SQLite's own check, a
//! schema this binary knows, signing keys the key-encryption key at hand
//! opens), so a restore never leaves a server that cannot start.

use std::path::{Path, PathBuf};

use crate::config::Settings;
use crate::keys::KekRing;
use crate::store::sql::SqlStore;
use crate::store::{KeyRepository, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("restore works on SQLite; on PostgreSQL restore the pg_dump with pg_restore (or psql)")]
    NotSqlite,
    #[error("a Sesame server is running on this installation ({0}): stop it, then restore")]
    Running(String),
    #[error("{0} is not a Sesame backup: {1}")]
    NotABackup(PathBuf, String),
    #[error(
        "{path} was made by a newer Sesame (schema {backup}; this binary knows up to {known}): restore it with that \
         version"
    )]
    NewerSchema { path: PathBuf, backup: i64, known: i64 },
    #[error(
        "the backup's signing keys cannot be opened with the key-encryption keys here ({0}): put the keys folder \
         (or keys.encryption_key) of the installation the backup came from in place first"
    )]
    ForeignKeys(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a restore did.
pub struct Restored {
    pub database: PathBuf,
    /// The schema version of the backup (brought up to date at the next start).
    pub schema: i64,
    /// Files moved out of the way: the replaced database and its journal
    /// files, and the store journal.
    pub set_aside: Vec<PathBuf>,
}

/// Restores `backup` into the stopped installation `settings` describe.
pub async fn restore(settings: &Settings, backup: &Path) -> Result<Restored, RestoreError> {
    let database = settings.sqlite_path().ok_or(RestoreError::NotSqlite)?;
    // Held until the end: a server starting meanwhile cannot open the journal.
    let _journal = hold_stopped(settings)?;
    let schema = check_backup(settings, backup).await?;
    let suffix = format!(
        "before-restore-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default()
    );
    let mut set_aside = replace_database(backup, &database, &suffix)?;
    let journal = &settings.store_journal;
    if !journal.as_os_str().is_empty() && journal.exists() {
        set_aside.push(move_aside(journal, &suffix)?);
    }
    Ok(Restored {
        database,
        schema,
        set_aside,
    })
}

/// Fails when a server answers on the admin socket or holds the store
/// journal; otherwise holds the journal's lock.
fn hold_stopped(settings: &Settings) -> Result<Option<std::fs::File>, RestoreError> {
    let socket = &settings.admin_socket;
    if !socket.as_os_str().is_empty() && std::os::unix::net::UnixStream::connect(socket).is_ok() {
        return Err(RestoreError::Running(format!("it answers on {}", socket.display())));
    }
    if settings.store_journal.as_os_str().is_empty() {
        return Ok(None);
    }
    crate::files::create_private_parent(&settings.store_journal)?;
    crate::store::ephemeral::lock_journal(&settings.store_journal)
        .map(Some)
        .map_err(|e| RestoreError::Running(e.to_string()))
}

/// The backup's schema version, once it proved sound and ours to open.
async fn check_backup(settings: &Settings, backup: &Path) -> Result<i64, RestoreError> {
    let not_a_backup = |why: String| RestoreError::NotABackup(backup.to_path_buf(), why);
    if !backup.is_file() {
        return Err(not_a_backup("no such file".into()));
    }
    let store = SqlStore::open_backup(backup)
        .await
        .map_err(|e| not_a_backup(e.to_string()))?;
    let checked = check_opened(settings, backup, &store).await;
    store.close().await;
    checked
}

async fn check_opened(settings: &Settings, backup: &Path, store: &SqlStore) -> Result<i64, RestoreError> {
    let not_a_backup = |why: String| RestoreError::NotABackup(backup.to_path_buf(), why);
    if !store.is_intact().await.map_err(|e| not_a_backup(e.to_string()))? {
        return Err(not_a_backup("SQLite finds it damaged (PRAGMA quick_check)".into()));
    }
    let schema = store
        .schema_version()
        .await
        .map_err(|e| not_a_backup(e.to_string()))?
        .ok_or_else(|| not_a_backup("it has no Sesame schema".into()))?;
    let known = store.migrations().iter().map(|m| m.version).max().unwrap_or(0);
    if schema > known {
        return Err(RestoreError::NewerSchema {
            path: backup.to_path_buf(),
            backup: schema,
            known,
        });
    }
    let keys = store.list_keys().await?;
    if keys.is_empty() {
        return Ok(schema);
    }
    if !has_kek(settings) {
        return Err(RestoreError::ForeignKeys(format!(
            "there is none in {}",
            settings.keys_dir.display()
        )));
    }
    let kek = KekRing::load(&settings.keys_dir, &settings.keys.encryption_key)
        .map_err(|e| RestoreError::ForeignKeys(e.to_string()))?;
    for key in &keys {
        kek.decrypt(&key.kek_id, &key.kid, &key.private_key)
            .map_err(|e| RestoreError::ForeignKeys(e.to_string()))?;
    }
    Ok(schema)
}

/// Whether a key-encryption key is configured or kept in the keys folder
/// (loading the ring would create one, which cannot open the backup).
fn has_kek(settings: &Settings) -> bool {
    if !settings.keys.encryption_key.is_empty() {
        return true;
    }
    std::fs::read_dir(&settings.keys_dir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("kek-") && name.ends_with(".key")
        })
    })
}

/// Copies `backup` beside `database` (0600, synced), moves the database and
/// its SQLite journal files aside, and renames the copy into place.
fn replace_database(backup: &Path, database: &Path, suffix: &str) -> Result<Vec<PathBuf>, RestoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    crate::files::create_private_parent(database)
        .map_err(|e| crate::files::at(database, "creating the folder of", e))?;
    let incoming = sibling(database, ".restoring");
    let _ = std::fs::remove_file(&incoming);
    let mut target = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&incoming)
        .map_err(|e| crate::files::at(&incoming, "creating", e))?;
    let mut source = std::fs::File::open(backup).map_err(|e| crate::files::at(backup, "reading", e))?;
    std::io::copy(&mut source, &mut target).map_err(|e| crate::files::at(&incoming, "writing", e))?;
    target.sync_all()?;
    let mut set_aside = Vec::new();
    for companion in ["", "-wal", "-shm"] {
        let path = sibling(database, companion);
        if path.exists() {
            set_aside.push(move_aside(&path, suffix)?);
        }
    }
    std::fs::rename(&incoming, database).map_err(|e| crate::files::at(database, "putting the backup at", e))?;
    if let Some(folder) = database.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::File::open(folder)?.sync_all()?;
    }
    Ok(set_aside)
}

/// `path` with `tail` appended to its file name.
fn sibling(path: &Path, tail: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(tail);
    PathBuf::from(name)
}

/// Renames `path` to `<path>.<suffix>`.
fn move_aside(path: &Path, suffix: &str) -> Result<PathBuf, RestoreError> {
    let aside = sibling(path, &format!(".{suffix}"));
    std::fs::rename(path, &aside).map_err(|e| crate::files::at(path, "setting aside", e))?;
    Ok(aside)
}
