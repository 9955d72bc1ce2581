//! The one protocol error type, shaped like RFC 6749 §4.1.2.1 / §5.2: a
//! registered error code and a description safe to show the client. How it is
//! rendered (JSON, redirect, page, `WWW-Authenticate`) is decided in `http`.

use std::borrow::Cow;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // RFC 6749
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    TemporarilyUnavailable,
    // OIDC Core 3.1.2.6
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    // RFC 6750
    InvalidToken,
    InsufficientScope,
    // RFC 7591 §3.2.2
    InvalidRedirectUri,
    InvalidClientMetadata,
    // RFC 8707 §2
    InvalidTarget,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
            ErrorCode::InvalidTarget => "invalid_target",
        }
    }

    /// The HTTP status for this error in a direct (non-redirect) response.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::InsufficientScope | ErrorCode::AccessDenied => 403,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtocolError {
    #[serde(rename = "error")]
    pub code: ErrorCode,
    #[serde(rename = "error_description")]
    pub description: Cow<'static, str>,
    /// Set when the caller must wait before trying again: answered 429 with
    /// `Retry-After` (a limit reached), whatever the code.
    #[serde(skip)]
    pub retry_after: Option<std::time::Duration>,
    /// What went wrong inside (a store's error, a signing failure): for the
    /// log only, written once where the error is rendered, never shown.
    #[serde(skip)]
    detail: Option<String>,
}

impl ProtocolError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        ProtocolError {
            code,
            description: description.into(),
            retry_after: None,
            detail: None,
        }
    }
    /// This error, with a private detail for the log.
    pub fn with_detail(mut self, cause: &dyn std::fmt::Display) -> Self {
        self.detail = Some(cause.to_string());
        self
    }
    /// The private detail, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
    /// Writes the private detail to the log: called once, by whatever
    /// renders the error (a JSON body, a redirect, a page).
    pub fn log(&self) {
        let Some(detail) = &self.detail else {
            return;
        };
        match self.code {
            ErrorCode::ServerError => tracing::error!(error = %detail, "internal error"),
            ErrorCode::TemporarilyUnavailable => tracing::warn!(error = %detail, "a dependency is unavailable"),
            code => tracing::info!(error = %detail, code = code.as_str(), "request refused"),
        }
    }
    /// This error, answered 429 with `Retry-After: wait`.
    pub fn wait(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait.max(std::time::Duration::from_secs(1)));
        self
    }
    /// A volume limit was reached.
    pub fn too_many_requests(wait: std::time::Duration) -> Self {
        let seconds = wait.as_secs().max(1);
        Self::invalid_request(format!("too many requests; try again in {seconds} s")).wait(wait)
    }
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }
    pub fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }
    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }
    pub fn invalid_token(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidToken, description)
    }
    /// A dependency (database, Redis) is unreachable: the client is told to
    /// try again (RFC 6749 §4.1.2.1 `temporarily_unavailable`); the cause is
    /// the private detail.
    pub fn unavailable(cause: &dyn std::fmt::Display) -> Self {
        Self::new(
            ErrorCode::TemporarilyUnavailable,
            "the service is briefly unavailable; try again in a moment",
        )
        .with_detail(cause)
    }
    /// An internal failure: the cause is the private detail, never shown.
    pub fn server_error(cause: &dyn std::fmt::Display) -> Self {
        Self::new(ErrorCode::ServerError, "the server could not complete the request").with_detail(cause)
    }
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl std::error::Error for ProtocolError {}

impl From<crate::domain::client_metadata::MetadataError> for ProtocolError {
    fn from(error: crate::domain::client_metadata::MetadataError) -> Self {
        use crate::domain::client_metadata::MetadataErrorCode;
        let code = match error.code {
            MetadataErrorCode::InvalidRedirectUri => ErrorCode::InvalidRedirectUri,
            MetadataErrorCode::InvalidClientMetadata => ErrorCode::InvalidClientMetadata,
        };
        ProtocolError::new(code, error.to_string())
    }
}

impl From<crate::store::StoreError> for ProtocolError {
    fn from(e: crate::store::StoreError) -> Self {
        if e.is_unavailable() {
            return ProtocolError::unavailable(&e);
        }
        ProtocolError::server_error(&e)
    }
}

/// A failure inside Sesame while serving a request: storage (which may come
/// back by itself) or key material (which will not).
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyError),
    #[error("password hashing: {0}")]
    Password(String),
}

impl From<InternalError> for ProtocolError {
    fn from(e: InternalError) -> Self {
        if e.is_unavailable() {
            return ProtocolError::unavailable(&e);
        }
        ProtocolError::server_error(&e)
    }
}

impl Availability for InternalError {
    fn is_unavailable(&self) -> bool {
        match self {
            InternalError::Store(e) => e.is_unavailable(),
            InternalError::Keys(crate::keys::KeyError::Store(e)) => e.is_unavailable(),
            InternalError::Keys(_) | InternalError::Password(_) => false,
        }
    }
}

/// Whether an error means a dependency is unreachable for now (503) rather
/// than something that will not go away by itself (500).
pub trait Availability {
    fn is_unavailable(&self) -> bool;
}

impl Availability for crate::store::StoreError {
    fn is_unavailable(&self) -> bool {
        crate::store::StoreError::is_unavailable(self)
    }
}

impl Availability for ProtocolError {
    fn is_unavailable(&self) -> bool {
        self.code == ErrorCode::TemporarilyUnavailable
    }
}
