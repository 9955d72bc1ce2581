use async_trait::async_trait;

use super::{SqlStore, conflict_as, on_pool};
use crate::domain::{Alg, AuthMethod, Client, ClientType, RedirectUri, Scopes};
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
    created_at: i64,
    updated_at: i64,
}

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
            id_token_alg: Alg::parse(&self.id_token_signed_response_alg)
                .ok_or_else(|| corrupt("id_token_signed_response_alg"))?,
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            frontchannel_logout_uri: self.frontchannel_logout_uri.clone(),
            frontchannel_logout_session_required: self.frontchannel_logout_session_required,
            jwks: self.jwks.clone(),
            jwks_uri: self.jwks_uri.clone(),
            jwt_access_tokens: self.jwt_access_tokens,
            created_at: self.created_at,
            updated_at: self.updated_at,
            client_id: self.client_id,
        })
    }
}

fn uris_json(uris: &[RedirectUri]) -> String {
    serde_json::to_string(uris).unwrap_or_else(|_| "[]".into())
}

#[async_trait]
impl ClientRepository for SqlStore {
    async fn create_client(&self, client: &Client) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO clients (client_id, secret_hash, client_type, token_endpoint_auth_method, name, \
             redirect_uris, post_logout_redirect_uris, allowed_scopes, grant_types, first_party, id_token_signed_response_alg, backchannel_logout_uri, \
             backchannel_logout_session_required, frontchannel_logout_uri, frontchannel_logout_session_required, \
             jwks, jwks_uri, jwt_access_tokens, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        )
        .bind(&client.client_id)
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
        .bind(client.created_at)
        .bind(client.updated_at)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(conflict_as("a client with this client_id"))?;
        Ok(())
    }

    async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        let rows: Vec<ClientRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT client_id, secret_hash, client_type, token_endpoint_auth_method, name, redirect_uris, \
                 post_logout_redirect_uris, allowed_scopes, grant_types, first_party, id_token_signed_response_alg, backchannel_logout_uri, \
                 backchannel_logout_session_required, frontchannel_logout_uri, \
                 frontchannel_logout_session_required, jwks, jwks_uri, jwt_access_tokens, created_at, updated_at \
                 FROM clients ORDER BY created_at, client_id",
            )
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter().map(ClientRow::into_client).collect()
    }

    async fn set_client_secret(&self, client_id: &str, secret_hash: &str, now: i64) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "UPDATE clients SET secret_hash = $2, updated_at = $3 WHERE client_id = $1 AND secret_hash IS NOT NULL",
        )
        .bind(client_id)
        .bind(secret_hash)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query("DELETE FROM clients WHERE client_id = $1")
            .bind(client_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn find_client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        let row: Option<ClientRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT client_id, secret_hash, client_type, token_endpoint_auth_method, name, redirect_uris, \
                 post_logout_redirect_uris, allowed_scopes, grant_types, first_party, id_token_signed_response_alg, backchannel_logout_uri, \
                 backchannel_logout_session_required, frontchannel_logout_uri, \
                 frontchannel_logout_session_required, jwks, jwks_uri, jwt_access_tokens, created_at, updated_at \
                 FROM clients WHERE client_id = $1",
            )
            .bind(client_id)
            .fetch_optional(pool)
            .await
        })?;
        row.map(ClientRow::into_client).transpose()
    }
}
