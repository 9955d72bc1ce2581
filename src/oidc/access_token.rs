//! Access tokens: opaque (256-bit random) or RFC 9068 JWTs, recorded by the
//! digest of their value either way, so that revocation, logout and
//! introspection treat both alike; grouped per grant so that a replayed code
//! can revoke what its first use issued (RFC 6749 §4.1.2, RFC 9700 §4.2.4).

use serde::Serialize;

use crate::crypto;
use crate::domain::{AccessTokenRecord, Client, ClientId, FamilyId, GroupName, SessionHandle, Sid, User};
use crate::error::InternalError;
use crate::keys::KeyError;
use crate::oidc::signer::TokenSigner;
use crate::store::records::AccessTokenRecords;
use crate::store::{StoreError, UserRepository};

/// How the token travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// 256-bit random, meaningful only to this server.
    Opaque,
    /// RFC 9068: a JWT (`typ: at+jwt`) resource servers validate locally.
    Jwt,
}

impl Format {
    /// The format a client registered for.
    pub fn of(client: &Client) -> Format {
        if client.jwt_access_tokens {
            Format::Jwt
        } else {
            Format::Opaque
        }
    }
}

/// RFC 9068 §2.2.
#[derive(Serialize)]
struct JwtClaims<'a> {
    iss: &'a str,
    exp: i64,
    aud: serde_json::Value,
    sub: &'a str,
    client_id: &'a str,
    iat: i64,
    jti: String,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    /// §2.2.3.1, when the `groups` scope was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<&'a [GroupName]>,
}

/// Issuing, finding and revoking access tokens.
pub struct AccessTokens<'a> {
    pub records: AccessTokenRecords<'a>,
    pub signer: TokenSigner<'a>,
}

impl AccessTokens<'_> {
    fn jwt(&self, token: &AccessTokenRecord, groups: Option<&[GroupName]>) -> Result<String, KeyError> {
        let subject = token.user_id.map(|u| u.to_string());
        let claims = JwtClaims {
            iss: self.signer.issuer,
            exp: token.expires_at,
            aud: crate::oidc::resource::aud_claim(&token.audience_or(self.signer.issuer)),
            // §2.2: without a person, sub names the client.
            sub: subject.as_deref().unwrap_or(token.client_id.as_str()),
            client_id: token.client_id.as_str(),
            iat: token.issued_at,
            jti: crypto::random_token(),
            scope: token.scopes.to_string(),
            sid: token.sid.as_ref().map(Sid::as_str),
            groups,
        };
        self.signer.sign(&claims, "at+jwt", crate::keys::Alg::RS256)
    }

    /// Makes the token's value (a JWT or 256 random bits) and its digest.
    fn mint(
        &self,
        token: &AccessTokenRecord,
        format: Format,
        groups: Option<&[GroupName]>,
    ) -> Result<(String, String), KeyError> {
        let value = match format {
            Format::Opaque => crypto::random_token(),
            Format::Jwt => self.jwt(token, groups)?,
        };
        let digest = crypto::digest(&value);
        Ok((value, digest))
    }

    /// A new token under a person's grant (a code and its refresh family),
    /// indexed by the grant; `Ok(None)` when the grant was revoked meanwhile
    /// (a replay raced this issuance). A JWT names the person's `groups`
    /// when given (the scope was granted).
    pub async fn issue(
        &self,
        grant_id: FamilyId,
        token: AccessTokenRecord,
        format: Format,
        groups: Option<&[GroupName]>,
    ) -> Result<Option<String>, InternalError> {
        let (value, digest) = self.mint(&token, format, groups)?;
        // The grant index is written before the revocation check;
        // `revoke_grant` writes its mark before reading the index, so either
        // side sees the other.
        let bucket = self.records.bucket(self.signer.now());
        let ((), revoked) = tokio::try_join!(
            self.records.record(&token, &digest),
            self.records
                .index_in_grant_then_read_revocation(grant_id, bucket, &digest)
        )?;
        if revoked {
            self.records.delete(&digest).await?;
            return Ok(None);
        }
        Ok(Some(value))
    }

    /// A client's own token (`client_credentials`). No grant index: a
    /// service may take thousands of tokens a minute, and nothing revokes
    /// them as a group; they end one by one (RFC 7009), by expiry, or with
    /// the client.
    pub async fn issue_for_client(&self, token: AccessTokenRecord, format: Format) -> Result<String, InternalError> {
        let (value, digest) = self.mint(&token, format, None)?;
        self.records.record(&token, &digest).await?;
        Ok(value)
    }

    /// Revokes every token issued under `grant_id`.
    pub async fn revoke_grant(&self, grant_id: FamilyId) -> Result<(), StoreError> {
        self.records.mark_grant_revoked(grant_id).await?;
        let current = self.records.bucket(self.signer.now());
        for bucket in [current - 1, current] {
            for digest in self.records.grant_tokens(grant_id, bucket).await? {
                self.records.delete(&digest).await?;
            }
        }
        Ok(())
    }

    /// Revokes one token (RFC 7009); `false` when there is no such live token.
    pub async fn revoke(&self, value: &str) -> Result<bool, StoreError> {
        self.records.take(&crypto::digest(value)).await
    }

    /// Revokes every access token issued within the SSO session `session`.
    pub async fn revoke_session(&self, session: &SessionHandle) -> Result<(), StoreError> {
        for digest in self.records.session_tokens(session).await? {
            self.records.delete(&digest).await?;
        }
        self.records.forget_session(session).await
    }

    /// Ends every access token of a deleted client: a mark, kept as long as
    /// any of its tokens could live, that `find` honours.
    pub async fn revoke_client(&self, client_id: &ClientId) -> Result<(), StoreError> {
        self.records.mark_client_revoked(client_id).await
    }

    /// The live token for `value`, if any.
    pub async fn find(&self, value: &str) -> Result<Option<AccessTokenRecord>, StoreError> {
        Ok(self.find_with_holder(value, None).await?.map(|(token, _)| token))
    }

    /// The live token for `value` and, with `users`, the account it was
    /// issued to (`None`: a client's own token, or the account is gone).
    /// The client's revocation mark and the account are read together: one
    /// round trip on Redis instead of two.
    pub async fn find_with_holder(
        &self,
        value: &str,
        users: Option<&dyn UserRepository>,
    ) -> Result<Option<(AccessTokenRecord, Option<User>)>, StoreError> {
        let token = self.records.find(&crypto::digest(value)).await?;
        let Some(token) = token.filter(|t| t.expires_at > self.signer.now()) else {
            return Ok(None);
        };
        let holder = async {
            match (users, token.user_id) {
                (Some(users), Some(user_id)) => users.find_user(user_id).await,
                _ => Ok(None),
            }
        };
        let (client_revoked, holder) = tokio::try_join!(self.records.is_client_revoked(&token.client_id), holder)?;
        if client_revoked {
            return Ok(None);
        }
        Ok(Some((token, holder)))
    }
}
