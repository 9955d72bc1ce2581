use uuid::Uuid;

use super::AdminError;
use super::UserAdmin;
use crate::auth::password::{self, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use crate::auth::second_factor::{FactorSummary, SecondFactors};
use crate::clock::Clock;
use crate::domain::{AuditEvent, User, Username};
use crate::store::UserRepository;

fn check_password(password: &str) -> Result<(), AdminError> {
    if password.chars().count() < MIN_PASSWORD_LEN || password.len() > MAX_PASSWORD_LEN {
        return Err(AdminError::Invalid(format!(
            "a password has {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

pub struct NewUser {
    pub username: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub password: String,
}

pub async fn add_user(users: &dyn UserRepository, clock: &dyn Clock, new: NewUser) -> Result<User, AdminError> {
    let username = Username::parse(&new.username).map_err(|e| AdminError::Invalid(e.to_string()))?;
    check_password(&new.password)?;
    if let Some(email) = &new.email
        && !crate::domain::is_email_address(email)
    {
        return Err(AdminError::Invalid(format!("{email:?} is not an email address")));
    }
    if let Some(name) = &new.display_name
        && !crate::domain::is_display_name(name)
    {
        return Err(AdminError::Invalid(
            "a display name has at most 200 characters and no control characters".into(),
        ));
    }
    let now = clock.now();
    let user = User {
        id: Uuid::now_v7(),
        username,
        email: new.email,
        email_verified: false,
        display_name: new.display_name,
        disabled: false,
        roles: Vec::new(),
        created_at: now,
        updated_at: now,
    };
    let hash = password::hash_password(new.password).await?;
    users.create_user(&user, &hash).await?;
    Ok(user)
}

async fn find(admin: &UserAdmin<'_>, username: &str) -> Result<User, AdminError> {
    let name = Username::parse(username).map_err(|e| AdminError::Invalid(e.to_string()))?;
    admin
        .users
        .find_credentials(&name)
        .await?
        .map(|(user, _)| user)
        .ok_or_else(|| AdminError::NotFound(format!("no user {name}")))
}

/// What happens to a person's `offline_access` refresh tokens (those that
/// outlive sessions: a phone app's, say) when an operator ends their access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfflineTokens {
    /// Revoked with everything else: the safe default after a compromise.
    Revoke,
    /// Kept: the person's offline apps go on working.
    Keep,
}

/// What ending a person's access ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ended {
    pub sessions: usize,
    /// Refresh token families revoked beyond those that died with a session.
    pub offline_families: usize,
}

/// Ends every session of a person, telling every app (single logout), and,
/// unless kept, revokes their offline refresh tokens and the access tokens
/// issued from them.
async fn end_access(
    admin: &UserAdmin<'_>,
    user_id: uuid::Uuid,
    reason: &str,
    offline: OfflineTokens,
) -> Result<Ended, AdminError> {
    let sessions = admin.fanout.end_all_sessions(user_id, reason).await?;
    let mut offline_families = 0;
    if offline == OfflineTokens::Revoke {
        let now = admin.clock.now();
        let families = admin.refresh_tokens.revoke_user_tokens(user_id, now, true).await?;
        for family in &families {
            admin.fanout.access_tokens.revoke_grant(*family).await?;
        }
        offline_families = families.len();
    }
    Ok(Ended {
        sessions,
        offline_families,
    })
}

/// Ends every session of the user, notifying every app (single logout), and
/// revokes their offline refresh tokens unless kept.
pub async fn logout_user(admin: &UserAdmin<'_>, username: &str, offline: OfflineTokens) -> Result<Ended, AdminError> {
    let user = find(admin, username).await?;
    end_access(admin, user.id, "ended by an operator", offline).await
}

/// A person's second factors, for an operator.
pub async fn second_factors_of(
    admin: &UserAdmin<'_>,
    factors: &SecondFactors<'_>,
    username: &str,
) -> Result<(User, FactorSummary), AdminError> {
    let user = find(admin, username).await?;
    let summary = factors.summary(user.id).await?;
    Ok((user, summary))
}

/// Removes every second factor of an account (an operator helping someone
/// who lost them) and ends its sessions, with single logout: whoever is
/// signed in now signed in with the old factors.
pub async fn reset_second_factors(
    admin: &UserAdmin<'_>,
    factors: &SecondFactors<'_>,
    username: &str,
) -> Result<Ended, AdminError> {
    let user = find(admin, username).await?;
    factors.remove_all(user.id, "an operator").await?;
    end_access(
        admin,
        user.id,
        "second factors reset by an operator",
        OfflineTokens::Keep,
    )
    .await
}

/// Disables (or enables) an account. Disabling ends its sessions at once,
/// with single logout, and revokes its offline refresh tokens unless kept; a
/// disabled account cannot sign in, redeem codes or refresh.
pub async fn set_user_disabled(
    admin: &UserAdmin<'_>,
    username: &str,
    disabled: bool,
    offline: OfflineTokens,
) -> Result<Ended, AdminError> {
    let user = find(admin, username).await?;
    let now = admin.clock.now();
    admin.users.set_disabled(user.id, disabled, now).await?;
    let event = AuditEvent::new(if disabled { "user_disabled" } else { "user_enabled" }, now).user(user.id);
    crate::audit::record(admin.audit, event).await;
    if !disabled {
        return Ok(Ended::default());
    }
    end_access(admin, user.id, "account disabled", offline).await
}

/// Sets a new password (same rules as at creation). Whoever held the old one
/// is signed out: every session ends (with single logout) and, unless kept,
/// the offline refresh tokens are revoked.
pub async fn set_password(
    admin: &UserAdmin<'_>,
    username: &str,
    new_password: String,
    offline: OfflineTokens,
) -> Result<Ended, AdminError> {
    let user = find(admin, username).await?;
    check_password(&new_password)?;
    let hash = password::hash_password(new_password).await?;
    let now = admin.clock.now();
    admin.users.set_password_hash(user.id, &hash, now).await?;
    crate::audit::record(admin.audit, AuditEvent::new("password_changed", now).user(user.id)).await;
    end_access(admin, user.id, "password changed", offline).await
}

/// Deletes an account for good: its sessions end first (with single
/// logout) and every refresh token it holds is revoked, offline ones too;
/// then the account goes with its consents and second factors. The audit
/// log keeps what happened under its id.
pub async fn delete_user(admin: &UserAdmin<'_>, username: &str) -> Result<Ended, AdminError> {
    let user = find(admin, username).await?;
    let ended = end_access(admin, user.id, "account deleted", OfflineTokens::Revoke).await?;
    if !admin.users.delete_user(user.id).await? {
        return Err(AdminError::NotFound(format!("no user {}", user.username)));
    }
    let event = AuditEvent::new("user_deleted", admin.clock.now())
        .user(user.id)
        .detail(user.username.as_str());
    crate::audit::record(admin.audit, event).await;
    Ok(ended)
}

/// Grants (or takes back) a role; returns the roles the user now holds.
pub async fn set_user_role(
    admin: &UserAdmin<'_>,
    username: &str,
    role: crate::domain::Role,
    granted: bool,
) -> Result<Vec<crate::domain::Role>, AdminError> {
    let user = find(admin, username).await?;
    let mut roles: Vec<_> = user.roles.iter().copied().filter(|r| *r != role).collect();
    if granted {
        roles.push(role);
    }
    let now = admin.clock.now();
    admin.users.set_roles(user.id, &roles, now).await?;
    let event = AuditEvent::new(if granted { "role_granted" } else { "role_revoked" }, now)
        .user(user.id)
        .detail(role.as_str());
    crate::audit::record(admin.audit, event).await;
    Ok(roles)
}

/// What an operator may change of a person's record at once.
pub struct UserEdit {
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// Whether the operator vouches for the address (else it stays
    /// unconfirmed until the person follows a mailed link).
    pub email_verified: bool,
    pub roles: Vec<crate::domain::Role>,
}

/// Changes name, address and roles; audited as `user_updated` with what
/// changed. An address is confirmed only when the operator says so.
pub async fn edit_user(admin: &UserAdmin<'_>, username: &str, edit: UserEdit) -> Result<User, AdminError> {
    let user = find(admin, username).await?;
    if let Some(email) = &edit.email
        && !crate::domain::is_email_address(email)
    {
        return Err(AdminError::Invalid(format!("{email:?} is not an email address")));
    }
    if let Some(name) = &edit.display_name
        && !crate::domain::is_display_name(name)
    {
        return Err(AdminError::Invalid(
            "a name has at most 200 characters and no control characters".into(),
        ));
    }
    let now = admin.clock.now();
    let mut changed = Vec::new();
    if edit.display_name != user.display_name {
        admin
            .users
            .set_display_name(user.id, edit.display_name.as_deref(), now)
            .await?;
        changed.push("name");
    }
    let verified = edit.email.is_some() && edit.email_verified;
    if edit.email != user.email || verified != user.email_verified {
        admin
            .users
            .set_email(user.id, edit.email.as_deref(), verified, now)
            .await?;
        changed.push("email");
    }
    let mut roles = edit.roles.clone();
    roles.sort_by_key(|r| r.as_str());
    roles.dedup();
    let mut before = user.roles.clone();
    before.sort_by_key(|r| r.as_str());
    if roles != before {
        admin.users.set_roles(user.id, &roles, now).await?;
        changed.push("roles");
    }
    if !changed.is_empty() {
        let event = AuditEvent::new("user_updated", now)
            .user(user.id)
            .detail(changed.join(", "));
        crate::audit::record(admin.audit, event).await;
    }
    find(admin, username).await
}
