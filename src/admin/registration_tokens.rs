use uuid::Uuid;

use super::AdminError;
use super::RegistrationTokenAdmin;
use crate::crypto;
use crate::domain::{AuditEvent, RegistrationToken};

/// A new initial access token for the registration API, shown once.
pub async fn create_registration_token(
    admin: &RegistrationTokenAdmin<'_>,
    label: Option<String>,
    ttl_secs: u64,
    uses: u32,
) -> Result<(RegistrationToken, String), AdminError> {
    if ttl_secs == 0 || uses == 0 {
        return Err(AdminError::Invalid(
            "a registration token needs a lifetime and at least one use".into(),
        ));
    }
    let token = crypto::random_token();
    let now = admin.clock.now();
    let record = RegistrationToken {
        id: Uuid::now_v7(),
        token_hash: crypto::digest(&token),
        label,
        created_at: now,
        expires_at: now.saturating_add(ttl_secs.min(i64::MAX as u64) as i64),
        uses_left: i64::from(uses),
    };
    admin.tokens.create_registration_token(&record).await?;
    crate::audit::record(
        admin.audit,
        AuditEvent::new("registration_token_created", now).detail(record.id.to_string()),
    )
    .await;
    Ok((record, token))
}

pub async fn revoke_registration_token(admin: &RegistrationTokenAdmin<'_>, id: Uuid) -> Result<(), AdminError> {
    if !admin.tokens.delete_registration_token(id).await? {
        return Err(AdminError::NotFound(format!("no registration token {id}")));
    }
    crate::audit::record(
        admin.audit,
        AuditEvent::new("registration_token_revoked", admin.clock.now()).detail(id.to_string()),
    )
    .await;
    Ok(())
}
