//! OpenID Provider metadata (OIDC Discovery 1.0 §3, RFC 8414), built with the
//! openidconnect crate's types. It advertises only what is implemented.

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthUrl, AuthenticationContextClass, IssuerUrl, JsonWebKeySetUrl, ProviderMetadata,
    RegistrationUrl, ResponseTypes, Scope, TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};

use crate::config::Settings;

/// Metadata the openidconnect crate does not model.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, Serialize)]
pub struct SesameMetadata {
    /// RFC 8414 / RFC 7636.
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207.
    pub authorization_response_iss_parameter_supported: bool,
    /// RFC 7009.
    pub revocation_endpoint: String,
    /// RFC 7662.
    pub introspection_endpoint: String,
    /// RP-Initiated Logout 1.0.
    pub end_session_endpoint: String,
    /// Front-Channel Logout 1.0.
    pub frontchannel_logout_supported: bool,
    pub frontchannel_logout_session_supported: bool,
    /// Back-Channel Logout 1.0.
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
}
impl AdditionalProviderMetadata for SesameMetadata {}

pub type SesameProviderMetadata = ProviderMetadata<
    SesameMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

const SUPPORTED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "azp",
    "sid",
    "amr",
    "acr",
    "name",
    "preferred_username",
    "updated_at",
    "email",
    "email_verified",
    "groups",
];

pub fn metadata(settings: &Settings) -> Result<SesameProviderMetadata, url::ParseError> {
    let url = |path: &str| settings.endpoint(path);
    let metadata = ProviderMetadata::new(
        IssuerUrl::new(settings.issuer.clone())?,
        AuthUrl::new(url("/authorize"))?,
        JsonWebKeySetUrl::new(url("/jwks"))?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        ],
        SesameMetadata {
            code_challenge_methods_supported: vec!["S256".into()],
            authorization_response_iss_parameter_supported: true,
            revocation_endpoint: url("/revoke"),
            introspection_endpoint: url("/introspect"),
            end_session_endpoint: url("/end_session"),
            frontchannel_logout_supported: true,
            frontchannel_logout_session_supported: true,
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
        },
    )
    .set_token_endpoint(Some(TokenUrl::new(url("/token"))?))
    .set_userinfo_endpoint(Some(UserInfoUrl::new(url("/userinfo"))?))
    .set_registration_endpoint(Some(RegistrationUrl::new(url("/register"))?))
    .set_scopes_supported(Some(
        crate::domain::scope::supported()
            .map(|s| Scope::new(s.to_string()))
            .collect(),
    ))
    .set_response_modes_supported(Some(vec![CoreResponseMode::Query, CoreResponseMode::FormPost]))
    .set_grant_types_supported(Some(vec![
        CoreGrantType::AuthorizationCode,
        CoreGrantType::RefreshToken,
        CoreGrantType::ClientCredentials,
    ]))
    .set_token_endpoint_auth_methods_supported(Some(vec![
        CoreClientAuthMethod::ClientSecretBasic,
        CoreClientAuthMethod::ClientSecretPost,
        CoreClientAuthMethod::PrivateKeyJwt,
        CoreClientAuthMethod::None,
    ]))
    .set_token_endpoint_auth_signing_alg_values_supported(Some(vec![
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    ]))
    .set_claims_supported(Some(
        SUPPORTED_CLAIMS
            .iter()
            .map(|c| CoreClaimName::new(c.to_string()))
            .collect(),
    ))
    .set_acr_values_supported(Some(
        crate::domain::Level::ALL
            .iter()
            .map(|level| AuthenticationContextClass::new(level.acr().to_string()))
            .collect(),
    ))
    .set_claims_parameter_supported(Some(false))
    .set_request_parameter_supported(Some(false))
    .set_request_uri_parameter_supported(Some(false));
    Ok(metadata)
}

/// The document served at `/.well-known/openid-configuration`, serialised once.
pub fn document(settings: &Settings) -> Result<Vec<u8>, url::ParseError> {
    Ok(serde_json::to_vec(&metadata(settings)?).unwrap_or_default())
}
