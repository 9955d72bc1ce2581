//! Sign-in as a pipeline of steps. After the first factor, the account and
//! the request decide what is still needed — a second factor, or setting
//! one up when policy requires a factor the account lacks — before any SSO
//! session exists (or, for a step-up, before the session says more than it
//! did). Progress is a `PendingSignIn` in the ephemeral store (every node
//! sees it) under the digest of an id only the browser's cookie carries; it
//! expires, and abandoning it leaves nothing usable behind. Later steps
//! (email verification, a password change) are further variants of `Step`.

use std::time::Duration;

use uuid::Uuid;

use crate::clock::Clock;
use crate::config::{MfaSettings, SecondFactorPolicy};
use crate::domain::{Level, PendingSignIn, Role, SessionHandle, User};
use crate::store::StoreError;
use crate::store::records::PendingSignIns;

/// What the person must do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Present a second factor the account has.
    SecondFactor,
    /// Set up a second factor: policy requires one and the account has none.
    Enrol,
}

/// What asks for a level: the request, the app, the person's roles, the site.
#[derive(Clone, Copy, Debug, Default)]
pub struct Demands {
    /// `acr_values` of the authorization request.
    pub requested: Option<Level>,
    /// The app requires a second factor.
    pub client_requires: bool,
}

/// The level a sign-in of `user` must reach under `settings` and `demands`.
pub fn required_level(settings: &MfaSettings, user: &User, demands: Demands) -> Level {
    let by_site = settings.second_factor == SecondFactorPolicy::Required;
    let by_role = settings
        .required_for_roles
        .iter()
        .any(|role: &Role| user.has_role(*role));
    let demanded = by_site || by_role || demands.client_requires;
    let floor = if demanded { Level::TwoFactors } else { Level::OneFactor };
    floor.max(demands.requested.unwrap_or(Level::OneFactor))
}

/// The level a fresh sign-in must reach: what is required, and two factors
/// whenever the account has a second factor (an enrolled factor is always
/// asked; it is not optional protection).
pub fn sign_in_level(required: Level, has_second_factor: bool) -> Level {
    if has_second_factor { Level::TwoFactors } else { required }
}

/// The step a pending sign-in needs next; `None` when it is complete.
pub fn next_step(pending: &PendingSignIn, has_second_factor: bool) -> Option<Step> {
    if pending.is_complete() {
        None
    } else if has_second_factor {
        Some(Step::SecondFactor)
    } else {
        Some(Step::Enrol)
    }
}

/// Where a sign-in began, and what it continues.
pub struct Start<'a> {
    pub user_id: Uuid,
    pub amr: Vec<String>,
    pub required: Level,
    pub step_up: Option<SessionHandle>,
    pub request_id: Option<&'a str>,
    pub next: &'a str,
    /// The upstream session the sign-in began with.
    pub upstream: Option<crate::domain::UpstreamSession>,
}

/// Starting, advancing and finishing pending sign-ins.
pub struct SignInSteps<'a> {
    pub pending: PendingSignIns<'a>,
    pub clock: &'a dyn Clock,
    pub settings: &'a MfaSettings,
}

impl SignInSteps<'_> {
    fn lifetime(&self) -> Duration {
        Duration::from_secs(self.settings.pending_sign_in_secs.max(1))
    }

    fn left(&self, pending: &PendingSignIn) -> Option<Duration> {
        let ends = pending
            .started_at
            .saturating_add(self.settings.pending_sign_in_secs as i64);
        let left = ends - self.clock.now();
        (left > 0).then(|| Duration::from_secs(left as u64))
    }

    /// Records a sign-in that needs more steps; returns the browser's id.
    pub async fn start(&self, start: Start<'_>) -> Result<(String, PendingSignIn), StoreError> {
        let pending = PendingSignIn {
            user_id: start.user_id,
            amr: start.amr,
            required: start.required,
            started_at: self.clock.now(),
            step_up: start.step_up,
            request_id: start.request_id.map(str::to_string),
            next: start.next.to_string(),
            failures: 0,
            upstream: start.upstream,
        };
        let id = self.pending.start(&pending, self.lifetime()).await?;
        Ok((id, pending))
    }

    /// The live sign-in the browser's id names, if it continues `request_id`
    /// (a sign-in for one request is not finished by another's page).
    pub async fn find(&self, id: &str, request_id: Option<&str>) -> Result<Option<PendingSignIn>, StoreError> {
        let Some(pending) = self.pending.get(id).await? else {
            return Ok(None);
        };
        let same_request = pending.request_id.as_deref() == request_id;
        Ok((same_request && self.left(&pending).is_some()).then_some(pending))
    }

    /// Saves progress (a factor presented, a failure); the sign-in keeps its end.
    pub async fn save(&self, id: &str, pending: &PendingSignIn) -> Result<(), StoreError> {
        match self.left(pending) {
            Some(left) => self.pending.update(id, pending, left).await,
            None => self.pending.abandon(id).await,
        }
    }

    /// Counts a wrong code; `false` (and the sign-in is over) when it was
    /// the last one allowed.
    pub async fn failed(&self, id: &str, pending: &mut PendingSignIn) -> Result<bool, StoreError> {
        pending.failures += 1;
        if pending.failures >= self.settings.totp_failures_per_sign_in.max(1) {
            self.pending.abandon(id).await?;
            return Ok(false);
        }
        self.save(id, pending).await?;
        Ok(true)
    }

    /// Takes the sign-in to finish it, once: `None` when it is gone, expired,
    /// or not complete.
    pub async fn finish(&self, id: &str) -> Result<Option<PendingSignIn>, StoreError> {
        let Some(pending) = self.pending.take(id).await? else {
            return Ok(None);
        };
        Ok((pending.is_complete() && self.left(&pending).is_some()).then_some(pending))
    }

    pub async fn abandon(&self, id: &str) -> Result<(), StoreError> {
        self.pending.abandon(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AMR_MFA, AMR_OTP, AMR_PASSWORD, Username};

    fn settings(policy: SecondFactorPolicy, roles: Vec<Role>) -> MfaSettings {
        MfaSettings {
            second_factor: policy,
            required_for_roles: roles,
            totp_skew_steps: 1,
            totp_failures_per_sign_in: 5,
            totp_failures_per_account: 10,
            pending_sign_in_secs: 600,
            recent_authentication_secs: 600,
        }
    }

    fn user(roles: Vec<Role>) -> User {
        User {
            id: Uuid::nil(),
            username: Username::parse("alice").unwrap(),
            email: None,
            email_verified: false,
            display_name: None,
            disabled: false,
            roles,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_policy_matrix() {
        use SecondFactorPolicy::*;
        let two = Level::TwoFactors;
        let one = Level::OneFactor;
        let none = Demands::default();
        let app = Demands {
            client_requires: true,
            ..Demands::default()
        };
        let asked = Demands {
            requested: Some(two),
            ..Demands::default()
        };
        let plain = user(vec![]);
        let admin = user(vec![Role::Admin]);
        assert_eq!(required_level(&settings(Optional, vec![]), &plain, none), one);
        assert_eq!(required_level(&settings(Required, vec![]), &plain, none), two);
        assert_eq!(required_level(&settings(Optional, vec![]), &plain, app), two);
        assert_eq!(required_level(&settings(Optional, vec![]), &plain, asked), two);
        assert_eq!(
            required_level(&settings(Optional, vec![Role::Admin]), &plain, none),
            one
        );
        assert_eq!(
            required_level(&settings(Optional, vec![Role::Admin]), &admin, none),
            two
        );
        // An enrolled factor is always asked.
        assert_eq!(sign_in_level(one, true), two);
        assert_eq!(sign_in_level(one, false), one);
    }

    #[test]
    fn the_next_step_follows_the_factors_the_account_has() {
        let mut pending = PendingSignIn {
            user_id: Uuid::nil(),
            amr: vec![AMR_PASSWORD.into()],
            required: Level::TwoFactors,
            started_at: 0,
            step_up: None,
            request_id: None,
            next: "/account".into(),
            failures: 0,
            upstream: None,
        };
        assert_eq!(next_step(&pending, true), Some(Step::SecondFactor));
        assert_eq!(next_step(&pending, false), Some(Step::Enrol));
        pending.amr = vec![AMR_PASSWORD.into(), AMR_OTP.into(), AMR_MFA.into()];
        assert_eq!(next_step(&pending, true), None);
    }
}
