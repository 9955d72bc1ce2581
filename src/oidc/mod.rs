//! The protocol: OpenID Connect and OAuth 2.0 logic, free of actix types.

pub mod access_token;
pub mod authorize;
pub mod backchannel;
pub mod discovery;
pub mod end_session;
pub mod id_token;
pub mod introspection;
pub mod logout_fanout;
pub mod logout_token;
pub mod params;
pub mod registration;
pub mod resource;
pub mod revocation;
pub mod signer;
pub mod token;
pub mod userinfo;
