//! Domain types shared by every layer. Each has one way in (`parse`), so a
//! value of the type is valid by construction.

mod audit;
mod authn;
mod client;
mod client_id;
pub mod client_metadata;
mod grant;
mod group;
mod ids;
mod linked_identity;
mod logout;
mod mail;
mod pkce;
mod refresh_token;
mod registration_token;
pub mod scope;
mod second_factor;
mod session;
mod signing_key;
mod user;

pub use audit::AuditEvent;
pub use authn::{
    AMR_FED, AMR_HWK, AMR_MFA, AMR_OTP, AMR_PASSWORD, AMR_SWK, AMR_USER, Level, federated_amr, with_second_factor,
};
pub use client::{
    ApplicationType, AuthMethod, Client, ClientAccess, ClientInfo, ClientType, InvalidRedirectUri, ManagementAccess,
    PreviousSecret, RedirectUri, is_loopback_ip_host, valid_resource_indicator,
};
pub use client_id::{ClientId, InvalidClientId};
pub use grant::{AccessTokenRecord, CodeGrant, StoredGrant};
pub use group::{Group, GroupName, InvalidGroupName};
pub use ids::{FamilyId, SessionHandle, Sid};
pub use linked_identity::{DIRECTORY_ISSUER, DIRECTORY_UPSTREAM, LinkedIdentity};
pub use logout::{DeliveryStatus, LogoutDelivery};
pub use mail::QueuedMail;
pub use pkce::{CodeChallenge, CodeVerifier, InvalidPkce};
pub use refresh_token::RefreshToken;
pub use registration_token::RegistrationToken;
pub use scope::{InvalidScope, Scopes};
pub use second_factor::{CredentialKind, PendingSignIn, RecoveryCode, TotpFactor, WebauthnCredential};
pub use session::{RpSession, SessionLifetime, SsoSession, UpstreamSession};
pub use signing_key::{Alg, StoredKey};
pub use user::{InvalidUsername, Role, User, Username, is_display_name, is_email_address};

/// Values for unit tests of other modules.
#[cfg(test)]
pub mod tests_support {
    use super::*;

    /// A public web client with no URIs, allowed `openid`.
    pub fn client() -> Client {
        Client {
            client_id: ClientId::parse("c").unwrap(),
            secret_hash: None,
            client_type: ClientType::Public,
            auth_method: AuthMethod::None,
            name: "App".into(),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            allowed_scopes: Scopes::parse("openid").unwrap(),
            grant_types: vec!["authorization_code".into()],
            first_party: false,
            id_token_alg: Alg::RS256,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            frontchannel_logout_uri: None,
            frontchannel_logout_session_required: false,
            jwks: None,
            jwks_uri: None,
            jwt_access_tokens: false,
            audiences: Vec::new(),
            resource_server: false,
            access_groups: Vec::new(),
            management: None,
            application_type: ApplicationType::Web,
            info: ClientInfo::default(),
            owner_id: None,
            registration_token_hash: None,
            require_second_factor: false,
            require_verified_email: false,
            previous_secret: None,
            created_at: 0,
            updated_at: 0,
        }
    }
}
