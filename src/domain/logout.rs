use serde::Serialize;
use uuid::Uuid;

use super::{ClientId, Sid};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Given up: the notice stopped being meaningful before the app took it.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        match s {
            "pending" => Some(DeliveryStatus::Pending),
            "delivered" => Some(DeliveryStatus::Delivered),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// A back-channel logout notice Sesame owes an app (Back-Channel Logout 1.0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogoutDelivery {
    pub id: Uuid,
    pub client_id: ClientId,
    pub uri: String,
    /// The user (`sub`).
    pub subject: String,
    /// The app's session id (`sid`).
    pub sid: Option<Sid>,
    pub created_at: i64,
    pub give_up_at: i64,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}
