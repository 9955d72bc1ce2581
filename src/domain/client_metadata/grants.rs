//! Which grant types, response types and authentication method go together.

use super::{GRANT_TYPES, MetadataError, NewClient, invalid};
use crate::domain::AuthMethod;

pub(super) fn auth_method(new: &NewClient) -> Result<AuthMethod, MetadataError> {
    match (new.public, new.auth_method) {
        (true, None | Some(AuthMethod::None)) => Ok(AuthMethod::None),
        (true, Some(_)) => Err(invalid(
            "token_endpoint_auth_method",
            "a public client has no secret to authenticate with",
        )),
        (false, method) => Ok(method.unwrap_or(AuthMethod::ClientSecretBasic)),
    }
}

pub(super) fn grant_types(new: &NewClient, auth_method: AuthMethod) -> Result<Vec<String>, MetadataError> {
    let mut grant_types: Vec<String> = if new.grant_types.is_empty() {
        vec!["authorization_code".into(), "refresh_token".into()]
    } else {
        new.grant_types.clone()
    };
    grant_types.dedup();
    if let Some(unknown) = grant_types.iter().find(|g| !GRANT_TYPES.contains(&g.as_str())) {
        return Err(invalid(
            "grant_types",
            format!(
                "grant type {unknown:?} is not supported (use {})",
                GRANT_TYPES.join(", ")
            ),
        ));
    }
    if auth_method == AuthMethod::None && grant_types.iter().any(|g| g == "client_credentials") {
        return Err(invalid("grant_types", "a public client cannot use client_credentials"));
    }
    if grant_types.iter().all(|g| g == "refresh_token") {
        return Err(invalid("grant_types", "refresh_token needs a grant that issues tokens"));
    }
    Ok(grant_types)
}

/// RFC 7591 §2.1: response types and grant types must agree.
pub(super) fn response_types(new: &NewClient, code_flow: bool) -> Result<(), MetadataError> {
    if let Some(other) = new.response_types.iter().find(|r| r.as_str() != "code") {
        return Err(invalid(
            "response_types",
            format!("response type {other:?} is not supported (only \"code\")"),
        ));
    }
    match (new.response_types.is_empty(), code_flow) {
        (false, false) => Err(invalid(
            "response_types",
            "response type \"code\" needs the authorization_code grant type",
        )),
        _ => Ok(()),
    }
}
