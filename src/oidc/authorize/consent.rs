//! The person's answer on the consent page (OIDC Core 3.1.2.4): allowing
//! adds the requested scopes to what they allowed this app before, so that
//! they are asked again only for something new; denying tells the app
//! `access_denied`. Both are audited.

use super::{AuthorizationRequest, Authorizer, Outcome};
use crate::domain::{AuditEvent, Scopes};
use crate::error::{ErrorCode, InternalError, ProtocolError};
use crate::session::{BrowserAccounts, LiveSession};
use crate::store::AuditLog;

impl Authorizer<'_> {
    /// Records what `live`'s person allowed and answers the request.
    pub async fn consented(
        &self,
        audit: &dyn AuditLog,
        request: &AuthorizationRequest,
        parked_id: &str,
        live: &LiveSession,
        accounts: &mut BrowserAccounts,
    ) -> Result<Outcome, InternalError> {
        let user_id = live.session.user_id;
        let previous = self.consents.granted_scopes(user_id, &request.client_id).await?;
        let mut all: Vec<String> = previous.unwrap_or_default().iter().map(str::to_string).collect();
        all.extend(request.scopes.iter().map(str::to_string));
        self.consents
            .grant(user_id, &request.client_id, &Scopes::from_list(all), self.now())
            .await?;
        let event = self
            .event("consent_granted", request, live)
            .detail(request.scopes.to_string());
        crate::audit::record(audit, event).await;
        super::proceed(
            self,
            request,
            Some(parked_id),
            accounts,
            super::policy::Stage::Consented,
        )
        .await
    }

    /// The person declined: the app hears `access_denied`, once.
    pub async fn declined(
        &self,
        audit: &dyn AuditLog,
        request: &AuthorizationRequest,
        parked_id: &str,
        live: &LiveSession,
    ) -> Result<Outcome, InternalError> {
        if !self.parking.complete(parked_id).await? {
            return Ok(Outcome::Answered);
        }
        crate::audit::record(audit, self.event("consent_denied", request, live)).await;
        let error = ProtocolError::new(ErrorCode::AccessDenied, "the user denied the request");
        Ok(Outcome::Error(request.target.clone(), error))
    }

    fn event(&self, name: &str, request: &AuthorizationRequest, live: &LiveSession) -> AuditEvent {
        AuditEvent::new(name, self.now())
            .user(live.session.user_id)
            .client(&request.client_id)
            .session(&live.handle)
    }
}
