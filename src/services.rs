//! Everything a request needs, built once in `startup` and passed down by
//! reference: configuration, clock, stores and keys. No global statics.

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::keys::KeySet;
use crate::store::{ClientRepository, EphemeralStore, HealthCheck, UserRepository};

pub struct Services {
    pub settings: Settings,
    pub clock: SharedClock,
    pub users: Arc<dyn UserRepository>,
    pub clients: Arc<dyn ClientRepository>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub keys: Arc<KeySet>,
    /// Dependencies `/readyz` checks, by name.
    pub health: Vec<(&'static str, Arc<dyn HealthCheck>)>,
}
