//! Everything kept in the ephemeral store, as typed records: the one place
//! that names a key, sets a time to live and (de)serialises a value. Code
//! above it calls these typed stores and never formats a key.
//!
//! | record | keys | lives |
//! | --- | --- | --- |
//! | authorization codes ([`Codes`]) | `code:<digest>`, `code-used:<digest>` | the code's lifetime; the use mark an access-token lifetime |
//! | access tokens ([`AccessTokenRecords`]) | `at:<digest>`, `grant:<id>:tokens:<bucket>`, `grant:<id>:revoked`, `session:<handle>:tokens`, `client:<id>:revoked` | an access-token lifetime (grant indexes two) |
//! | SSO sessions ([`SessionRecords`]) | `sso:<handle>`, `user-sessions:<user>`; `upstream-sid:<digest>` (an upstream's session id to the person) | until the session's idle or absolute end |
//! | refresh responses in their grace window ([`RefreshGrace`]) | `refresh-grace:<digest>` | `tokens.refresh_grace_secs` |
//! | refresh tokens as issued ([`IssuedRefreshTokens`]: the next rotation's read) | `refresh-issued:<digest>` | twice the access-token lifetime, at most the token's |
//! | replay guards ([`AssertionIds`]) | `assertion-jti:<client>:<digest>` | until the assertion expires |
//! | completed sign-ins ([`Completions`]) | `authreq-done:<digest>` | until the request would have expired |
//! | rate and throttle counters ([`Counters`]) | `rate:<digest>`, `throttle:<kind>:<digest>:failures`, `…:wait`, `throttle:account:<digest>` | their window or wait |
//! | sign-ins waiting for a second step ([`PendingSignIns`]) | `signin:<digest>` | `mfa.pending_sign_in_secs` |
//! | WebAuthn ceremonies in flight ([`Ceremonies`]) | `webauthn:<digest>`; `webauthn-done:<digest>` for a finished sealed one | five minutes; ten |
//! | mailed links ([`MailedLinks`]: password reset, email verification) | `link:<purpose>:<digest>`, `link-newest:<purpose>:<digest of the account>` | the link's lifetime |
//! | cache version marks ([`VersionMarks`]) | `client-version:<digest>`, `user-version:<digest>` | a day |
//! | gateway passes ([`GatewayPasses`]: the portal cookie's token) | `gateway:<digest>` | until its session's idle or absolute end |
//! | verified HTTP Basic credentials at the gateway ([`GatewayCredentials`]) | `gateway-basic:<keyed digest>` | `gateway.basic_cache_secs` |
//! | answers and logout tokens of upstream providers already used ([`UpstreamAnswers`]) | `upstream-used:<digest of state>`, `upstream-logout:<digest of upstream and jti>` | ten minutes |
//!
//! Secrets (codes, tokens, session ids) and personal values (addresses,
//! account names) appear in keys only as digests.

mod access_tokens;
mod ceremonies;
mod codes;
mod completions;
mod counters;
mod gateway_credentials;
mod gateway_passes;
mod grace;
mod mailed_links;
mod marks;
mod replay;
mod sessions;
mod sign_ins;
mod upstream_sign_ins;

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use self::access_tokens::AccessTokenRecords;
pub use self::ceremonies::Ceremonies;
pub use self::codes::Codes;
pub use self::completions::Completions;
pub use self::counters::{Counters, RateSubject, ThrottleSubject};
pub use self::gateway_credentials::{GatewayCredentials, VerifiedCredential};
pub use self::gateway_passes::{GatewayIdentity, GatewayPass, GatewayPasses};
pub use self::grace::{IssuedRefreshTokens, RefreshGrace};
pub use self::mailed_links::{LinkPurpose, LinkTarget, MailedLinks, PendingAccount};
pub use self::marks::{Kind as CachedKind, VersionMarks};
pub use self::replay::AssertionIds;
pub use self::sessions::SessionRecords;
pub use self::sign_ins::PendingSignIns;
pub use self::upstream_sign_ins::{UPSTREAM_SIGN_IN_TTL, UpstreamAnswers};
use super::{EphemeralStore, StoreError};

async fn put_json<T: Serialize>(
    store: &dyn EphemeralStore,
    key: &str,
    value: &T,
    ttl: Duration,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store.put(key, &bytes, ttl).await
}

async fn get_json<T: DeserializeOwned>(store: &dyn EphemeralStore, key: &str) -> Result<Option<T>, StoreError> {
    decode(store.get(key).await?)
}

async fn take_json<T: DeserializeOwned>(store: &dyn EphemeralStore, key: &str) -> Result<Option<T>, StoreError> {
    decode(store.take(key).await?)
}

fn decode<T: DeserializeOwned>(bytes: Option<Vec<u8>>) -> Result<Option<T>, StoreError> {
    bytes
        .map(|b| serde_json::from_slice(&b).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}
