//! Sign-ins waiting at an upstream identity provider: the `state` Sesame
//! sent names, by its digest, the upstream, the nonce and PKCE verifier to
//! check its answer with, and where the person goes afterwards. Taken once:
//! a replayed answer finds nothing.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{put_json, take_json};
use crate::crypto;
use crate::store::{EphemeralStore, StoreError};

/// How long a person may take at the upstream.
const WAITING: Duration = Duration::from_secs(600);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamSignIn {
    pub upstream: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The authorization request waiting for the sign-in, if any.
    pub request_id: String,
    /// The page of Sesame's own to go to otherwise.
    pub next: String,
    /// The digest of the cookie the browser that began it holds: an answer
    /// brought by another browser (login CSRF) finds no sign-in.
    pub browser: String,
    /// Linking the upstream account to this signed-in account (from the
    /// account page) rather than signing in.
    #[serde(default)]
    pub link_to: Option<uuid::Uuid>,
}

pub struct UpstreamSignIns<'a> {
    store: &'a dyn EphemeralStore,
}

fn key(state: &str) -> String {
    format!("upstream:{}", crypto::digest(state))
}

impl<'a> UpstreamSignIns<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        UpstreamSignIns { store }
    }

    pub async fn wait(&self, state: &str, sign_in: &UpstreamSignIn) -> Result<(), StoreError> {
        put_json(self.store, &key(state), sign_in, WAITING).await
    }

    /// The sign-in `state` names, once.
    pub async fn take(&self, state: &str) -> Result<Option<UpstreamSignIn>, StoreError> {
        take_json(self.store, &key(state)).await
    }
}
