//! What signs tokens as this issuer: the key ring, the clock and the issuer
//! identifier, which every token Sesame signs (ID, access, logout) needs.

use serde::Serialize;

use crate::clock::Clock;
use crate::keys::{Alg, KeyError, KeyRing};

#[derive(Clone, Copy)]
pub struct TokenSigner<'a> {
    pub keys: &'a KeyRing,
    pub clock: &'a dyn Clock,
    pub issuer: &'a str,
}

impl TokenSigner<'_> {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Signs `claims` as a compact JWS of type `typ` with the key active for `alg`.
    pub fn sign(&self, claims: &impl Serialize, typ: &str, alg: Alg) -> Result<String, KeyError> {
        self.keys.sign(claims, typ, alg, self.clock.now())
    }
}
