//! `GET|POST /userinfo`, with the access token as a Bearer header or, on
//! POST, as a form parameter (RFC 6750 §2.1–2.2).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{extract, respond};
use crate::error::ProtocolError;
use crate::oidc::userinfo;
use crate::startup::Services;

pub async fn get(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    respond_with(&services, bearer_header(&req)).await
}

pub async fn post(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let from_header = bearer_header(&req);
    let from_body = if body.is_empty() {
        Ok(None)
    } else {
        extract::form_params(&req, &body).map(|p| p.get("access_token").map(str::to_string))
    };
    let token = match (from_header, from_body) {
        (Err(e), _) | (_, Err(e)) => Err(e),
        // RFC 6750 §2: clients MUST NOT use more than one method per request.
        (Ok(Some(_)), Ok(Some(_))) => Err(ProtocolError::invalid_request(
            "send the access token in one place: the header or the body",
        )),
        (Ok(header), Ok(body)) => Ok(header.or(body)),
    };
    respond_with(&services, token).await
}

/// `Ok(None)` when there is no Authorization header at all.
fn bearer_header(req: &HttpRequest) -> Result<Option<String>, ProtocolError> {
    extract::bearer(req).map_err(|()| ProtocolError::invalid_request("the Authorization header must be Bearer <token>"))
}

async fn respond_with(services: &Services, token: Result<Option<String>, ProtocolError>) -> HttpResponse {
    match token {
        // RFC 6750 §3.1: with no authentication information, the challenge carries no error code.
        Ok(None) => HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="sesame""#))
            .finish(),
        Ok(Some(token)) => match userinfo::claims(&services.userinfo(), &token).await {
            Ok(claims) => HttpResponse::Ok().json(claims),
            Err(error) => respond::bearer_error(&error),
        },
        Err(error) => respond::bearer_error(&error),
    }
}
