//! `GET|POST /authorize`: validate, then park the request and send the
//! person to the login page.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::respond;
use crate::error::{ErrorCode, ProtocolError};
use crate::oidc::authorize::{self, AuthorizeError};
use crate::oidc::params::Params;
use crate::services::Services;

pub async fn get(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    handle(&services, Params::parse(req.query_string())).await
}

pub async fn post(
    req: HttpRequest,
    body: web::Bytes,
    services: web::Data<Services>,
) -> HttpResponse {
    handle(&services, super::form_params(&req, &body)).await
}

async fn handle(services: &Services, params: Result<Params, ProtocolError>) -> HttpResponse {
    let issuer = &services.settings.issuer;
    let params = match params {
        Ok(params) => params,
        Err(error) => return respond::authorize_error_page(&error),
    };
    let request = match authorize::validate(services, &params).await {
        Ok(request) => request,
        Err(AuthorizeError::Page(error)) => return respond::authorize_error_page(&error),
        Err(AuthorizeError::Redirect(target, error)) => {
            return respond::authorization_error(&target, issuer, &error);
        }
    };
    // OIDC Core 3.1.2.1: with prompt=none the server MUST NOT show any UI; it
    // has no session to reuse without showing the login page.
    if request.prompt.none {
        let error = ProtocolError::new(ErrorCode::LoginRequired, "the user must sign in");
        return respond::authorization_error(&request.target, issuer, &error);
    }
    let target = request.target.clone();
    match authorize::park(services, request).await {
        Ok(id) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/login?req={id}")))
            .finish(),
        Err(e) => respond::authorization_error(&target, issuer, &ProtocolError::server_error(&e)),
    }
}
