//! Version marks of records cached in each process (clients, accounts):
//! every write replaces the mark, so a cached copy whose mark changed is
//! read again, on every node.

use std::time::Duration;

use crate::crypto;
use crate::store::{EphemeralStore, StoreError};

/// How long a mark is kept (longer than any cache entry lives).
const MARK_TTL: Duration = Duration::from_secs(86_400);

/// The kinds of cached record.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Client,
    User,
}

pub struct VersionMarks<'a> {
    store: &'a dyn EphemeralStore,
    kind: Kind,
}

impl<'a> VersionMarks<'a> {
    pub fn new(store: &'a dyn EphemeralStore, kind: Kind) -> Self {
        VersionMarks { store, kind }
    }

    fn key(&self, id: &str) -> String {
        let kind = match self.kind {
            Kind::Client => "client-version",
            Kind::User => "user-version",
        };
        format!("{kind}:{}", crypto::digest(id))
    }

    pub async fn get(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get(&self.key(id)).await
    }

    /// A new mark: every cached copy elsewhere is stale.
    pub async fn bump(&self, id: &str) -> Result<(), StoreError> {
        self.store
            .put(&self.key(id), crypto::random_token().as_bytes(), MARK_TTL)
            .await
    }
}
