//! A validated authorization request waits in the ephemeral store while the
//! person signs in; the browser carries only an opaque id to it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::AuthorizationRequest;
use crate::crypto;
use crate::services::Services;
use crate::store::StoreError;
use crate::store::ephemeral::{get_json, put_json, take_json};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParkedRequest {
    pub request: AuthorizationRequest,
    pub expires_at: i64,
}

fn key(id: &str) -> String {
    format!("authreq:{}", crypto::digest(id))
}

/// Stores the request and returns the id the login page carries.
pub async fn park(services: &Services, request: AuthorizationRequest) -> Result<String, StoreError> {
    let id = crypto::random_token();
    let ttl = services.settings.authorize.request_ttl_secs;
    let parked = ParkedRequest {
        request,
        expires_at: services.clock.now() + ttl as i64,
    };
    put_json(&*services.ephemeral, &key(&id), &parked, Duration::from_secs(ttl)).await?;
    Ok(id)
}

pub async fn load_parked(services: &Services, id: &str) -> Result<Option<ParkedRequest>, StoreError> {
    let parked: Option<ParkedRequest> = get_json(&*services.ephemeral, &key(id)).await?;
    Ok(parked.filter(|p| p.expires_at > services.clock.now()))
}

/// Removes the request atomically, so that it completes at most once.
pub async fn take_parked(services: &Services, id: &str) -> Result<Option<ParkedRequest>, StoreError> {
    let parked: Option<ParkedRequest> = take_json(&*services.ephemeral, &key(id)).await?;
    Ok(parked.filter(|p| p.expires_at > services.clock.now()))
}
