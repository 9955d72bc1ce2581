//! Domain types shared by every layer. Each has one way in (`parse`), so a
//! value of the type is valid by construction.

mod audit;
mod client;
mod client_id;
mod logout;
mod pkce;
mod refresh_token;
mod registration_token;
mod scope;
mod signing_key;
mod user;

pub use audit::AuditEvent;
pub use client::{
    ApplicationType, AuthMethod, Client, ClientInfo, ClientType, PreviousSecret, RedirectUri, is_loopback_ip_host,
};
pub use client_id::{ClientId, InvalidClientId};
pub use logout::{DeliveryStatus, LogoutDelivery};
pub use pkce::{CodeChallenge, CodeVerifier};
pub use refresh_token::RefreshToken;
pub use registration_token::RegistrationToken;
pub use scope::Scopes;
pub use signing_key::{Alg, StoredKey};
pub use user::{Role, User, Username};
