//! The protocol: OpenID Connect and OAuth 2.0 logic, free of actix types.

pub mod access_token;
pub mod authorize;
pub mod discovery;
pub mod id_token;
pub mod id_token_hint;
pub mod introspection;
pub mod logout;
pub mod params;
pub mod registration;
pub mod resource;
pub mod revocation;
pub mod signer;
pub mod token;
pub mod userinfo;
