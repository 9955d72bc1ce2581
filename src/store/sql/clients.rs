use async_trait::async_trait;

use super::{SqlStore, conflict_as, on_pool};
use uuid::Uuid;

use crate::domain::{
    Alg, ApplicationType, AuthMethod, Client, ClientAccess, ClientId, ClientInfo, ClientType, ManagementAccess,
    PreviousSecret, RedirectUri, Scopes,
};
use crate::store::{ClientRepository, StoreError};

#[derive(sqlx::FromRow)]
struct ClientRow {
    client_id: String,
    secret_hash: Option<String>,
    client_type: String,
    token_endpoint_auth_method: String,
    name: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    allowed_scopes: String,
    grant_types: String,
    first_party: bool,
    id_token_signed_response_alg: String,
    backchannel_logout_uri: Option<String>,
    backchannel_logout_session_required: bool,
    frontchannel_logout_uri: Option<String>,
    frontchannel_logout_session_required: bool,
    jwks: Option<String>,
    jwks_uri: Option<String>,
    jwt_access_tokens: bool,
    application_type: String,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    policy_uri: Option<String>,
    tos_uri: Option<String>,
    contacts: String,
    owner_id: Option<Uuid>,
    registration_token_hash: Option<String>,
    previous_secret_hash: Option<String>,
    previous_secret_expires_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    access_token_audiences: String,
    resource_server: bool,
    require_second_factor: bool,
    require_verified_email: bool,
    management_access: Option<String>,
}

/// Every column of a client, in `ClientRow` order.
const COLUMNS: &str = "client_id, secret_hash, client_type, token_endpoint_auth_method, name, redirect_uris, \
     post_logout_redirect_uris, allowed_scopes, grant_types, first_party, id_token_signed_response_alg, \
     backchannel_logout_uri, backchannel_logout_session_required, frontchannel_logout_uri, \
     frontchannel_logout_session_required, jwks, jwks_uri, jwt_access_tokens, application_type, client_uri, \
     logo_uri, policy_uri, tos_uri, contacts, owner_id, registration_token_hash, previous_secret_hash, \
     previous_secret_expires_at, created_at, updated_at, access_token_audiences, resource_server, \
     require_second_factor, require_verified_email, management_access";

impl ClientRow {
    fn into_client(self) -> Result<Client, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("client {}: bad {what}", self.client_id));
        let uris = |json: &str| -> Option<Vec<RedirectUri>> {
            let raw: Vec<String> = serde_json::from_str(json).ok()?;
            raw.iter().map(|u| RedirectUri::parse(u).ok()).collect()
        };
        Ok(Client {
            secret_hash: self.secret_hash.clone(),
            client_type: ClientType::parse(&self.client_type).ok_or_else(|| corrupt("client_type"))?,
            auth_method: AuthMethod::parse(&self.token_endpoint_auth_method)
                .ok_or_else(|| corrupt("token_endpoint_auth_method"))?,
            name: self.name.clone(),
            redirect_uris: uris(&self.redirect_uris).ok_or_else(|| corrupt("redirect_uris"))?,
            post_logout_redirect_uris: uris(&self.post_logout_redirect_uris)
                .ok_or_else(|| corrupt("post_logout_redirect_uris"))?,
            allowed_scopes: Scopes::parse(&self.allowed_scopes).map_err(|_| corrupt("allowed_scopes"))?,
            grant_types: self.grant_types.split_whitespace().map(str::to_string).collect(),
            first_party: self.first_party,
            id_token_alg: Alg::parse_jws(&self.id_token_signed_response_alg)
                .ok_or_else(|| corrupt("id_token_signed_response_alg"))?,
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            frontchannel_logout_uri: self.frontchannel_logout_uri.clone(),
            frontchannel_logout_session_required: self.frontchannel_logout_session_required,
            jwks: self.jwks.clone(),
            jwks_uri: self.jwks_uri.clone(),
            jwt_access_tokens: self.jwt_access_tokens,
            audiences: serde_json::from_str(&self.access_token_audiences)
                .map_err(|_| corrupt("access_token_audiences"))?,
            resource_server: self.resource_server,
            // Read by `find_client`, from `client_access_groups`.
            access_groups: Vec::new(),
            require_second_factor: self.require_second_factor,
            require_verified_email: self.require_verified_email,
            management: match &self.management_access {
                Some(access) => Some(ManagementAccess::parse(access).ok_or_else(|| corrupt("management_access"))?),
                None => None,
            },
            application_type: ApplicationType::parse(&self.application_type)
                .ok_or_else(|| corrupt("application_type"))?,
            info: ClientInfo {
                client_uri: self.client_uri.clone(),
                logo_uri: self.logo_uri.clone(),
                policy_uri: self.policy_uri.clone(),
                tos_uri: self.tos_uri.clone(),
                contacts: serde_json::from_str(&self.contacts).map_err(|_| corrupt("contacts"))?,
            },
            owner_id: self.owner_id,
            registration_token_hash: self.registration_token_hash.clone(),
            previous_secret: match (&self.previous_secret_hash, self.previous_secret_expires_at) {
                (Some(hash), Some(expires_at)) => Some(PreviousSecret {
                    hash: hash.clone(),
                    expires_at,
                }),
                _ => None,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
            client_id: ClientId::parse(&self.client_id).map_err(|_| corrupt("client_id"))?,
        })
    }
}

/// A list of strings as stored (contacts, audiences).
fn contacts_json(contacts: &[String]) -> String {
    serde_json::to_string(contacts).unwrap_or_else(|_| "[]".into())
}

fn uris_json(uris: &[RedirectUri]) -> String {
    serde_json::to_string(uris).unwrap_or_else(|_| "[]".into())
}

#[async_trait]
impl ClientRepository for SqlStore {
    async fn create_client(&self, client: &Client) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO clients ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35)"
        );
        on_pool!(self, pool => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(client.client_id.as_str())
            .bind(client.secret_hash.as_deref())
            .bind(client.client_type.as_str())
            .bind(client.auth_method.as_str())
            .bind(&client.name)
            .bind(uris_json(&client.redirect_uris))
            .bind(uris_json(&client.post_logout_redirect_uris))
            .bind(client.allowed_scopes.to_string())
            .bind(client.grant_types.join(" "))
            .bind(client.first_party)
            .bind(client.id_token_alg.as_str())
            .bind(client.backchannel_logout_uri.as_deref())
            .bind(client.backchannel_logout_session_required)
            .bind(client.frontchannel_logout_uri.as_deref())
            .bind(client.frontchannel_logout_session_required)
            .bind(client.jwks.as_deref())
            .bind(client.jwks_uri.as_deref())
            .bind(client.jwt_access_tokens)
            .bind(client.application_type.as_str())
            .bind(client.info.client_uri.as_deref())
            .bind(client.info.logo_uri.as_deref())
            .bind(client.info.policy_uri.as_deref())
            .bind(client.info.tos_uri.as_deref())
            .bind(contacts_json(&client.info.contacts))
            .bind(client.owner_id)
            .bind(client.registration_token_hash.as_deref())
            .bind(client.previous_secret.as_ref().map(|p| p.hash.as_str()))
            .bind(client.previous_secret.as_ref().map(|p| p.expires_at))
            .bind(client.created_at)
            .bind(client.updated_at)
            .bind(contacts_json(&client.audiences))
            .bind(client.resource_server)
            .bind(client.require_second_factor)
            .bind(client.require_verified_email)
            .bind(client.management.map(ManagementAccess::as_str))
            .execute(pool)
            .await
            .map(|_| ()))
        .map_err(conflict_as("a client with this client_id"))?;
        Ok(())
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "UPDATE clients SET secret_hash = $2, client_type = $3, token_endpoint_auth_method = $4, name = $5, \
             redirect_uris = $6, post_logout_redirect_uris = $7, grant_types = $8, id_token_signed_response_alg = $9, \
             backchannel_logout_uri = $10, backchannel_logout_session_required = $11, frontchannel_logout_uri = $12, \
             frontchannel_logout_session_required = $13, jwks = $14, jwks_uri = $15, application_type = $16, \
             client_uri = $17, logo_uri = $18, policy_uri = $19, tos_uri = $20, contacts = $21, \
             previous_secret_hash = $22, previous_secret_expires_at = $23, updated_at = $24 WHERE client_id = $1",
        )
        .bind(client.client_id.as_str())
        .bind(client.secret_hash.as_deref())
        .bind(client.client_type.as_str())
        .bind(client.auth_method.as_str())
        .bind(&client.name)
        .bind(uris_json(&client.redirect_uris))
        .bind(uris_json(&client.post_logout_redirect_uris))
        .bind(client.grant_types.join(" "))
        .bind(client.id_token_alg.as_str())
        .bind(client.backchannel_logout_uri.as_deref())
        .bind(client.backchannel_logout_session_required)
        .bind(client.frontchannel_logout_uri.as_deref())
        .bind(client.frontchannel_logout_session_required)
        .bind(client.jwks.as_deref())
        .bind(client.jwks_uri.as_deref())
        .bind(client.application_type.as_str())
        .bind(client.info.client_uri.as_deref())
        .bind(client.info.logo_uri.as_deref())
        .bind(client.info.policy_uri.as_deref())
        .bind(client.info.tos_uri.as_deref())
        .bind(contacts_json(&client.info.contacts))
        .bind(client.previous_secret.as_ref().map(|p| p.hash.as_str()))
        .bind(client.previous_secret.as_ref().map(|p| p.expires_at))
        .bind(client.updated_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        let rows: Vec<ClientRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM clients ORDER BY created_at, client_id")))
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter().map(ClientRow::into_client).collect()
    }

    async fn list_clients_by_owner(&self, owner_id: Uuid) -> Result<Vec<Client>, StoreError> {
        let rows: Vec<ClientRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM clients WHERE owner_id = $1 ORDER BY created_at, client_id"
            )))
            .bind(owner_id)
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter().map(ClientRow::into_client).collect()
    }

    async fn set_client_secret(
        &self,
        client_id: &ClientId,
        secret_hash: &str,
        previous: Option<&PreviousSecret>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "UPDATE clients SET secret_hash = $2, previous_secret_hash = $3, previous_secret_expires_at = $4, \
             updated_at = $5 WHERE client_id = $1 AND secret_hash IS NOT NULL",
        )
        .bind(client_id.as_str())
        .bind(secret_hash)
        .bind(previous.map(|p| p.hash.as_str()))
        .bind(previous.map(|p| p.expires_at))
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn set_client_access(
        &self,
        client_id: &ClientId,
        access: &ClientAccess,
        now: i64,
    ) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "UPDATE clients SET access_token_audiences = $2, resource_server = $3, require_second_factor = $4, \
             updated_at = $5, require_verified_email = $6, first_party = $7, management_access = $8 \
             WHERE client_id = $1",
        )
        .bind(client_id.as_str())
        .bind(contacts_json(&access.audiences))
        .bind(access.resource_server)
        .bind(access.require_second_factor)
        .bind(now)
        .bind(access.require_verified_email)
        .bind(access.first_party)
        .bind(access.management.map(ManagementAccess::as_str))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn set_access_groups(&self, client_id: &ClientId, groups: &[Uuid]) -> Result<(), StoreError> {
        self.replace_access_groups(client_id, groups).await
    }

    async fn delete_client(&self, client_id: &ClientId) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query("DELETE FROM clients WHERE client_id = $1")
            .bind(client_id.as_str())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn find_client(&self, client_id: &ClientId) -> Result<Option<Client>, StoreError> {
        let row: Option<ClientRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM clients WHERE client_id = $1")))
            .bind(client_id.as_str())
            .fetch_optional(pool)
            .await
        })?;
        let Some(mut client) = row.map(ClientRow::into_client).transpose()? else {
            return Ok(None);
        };
        client.access_groups = self.access_groups(client_id.as_str()).await?;
        Ok(Some(client))
    }
}
