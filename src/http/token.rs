//! `POST /token`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{extract, respond};
use crate::oidc::token;
use crate::startup::Services;

pub async fn exchange(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let authorization = extract::authorization(&req);
    let params = match extract::form_params(&req, &body) {
        Ok(params) => params,
        Err(error) => return respond::json_error(&error),
    };
    let result = token::exchange(
        &services.token_endpoint(),
        &params,
        authorization,
        &extract::client_ip(&req),
    )
    .await;
    match result {
        // RFC 6749 §5.1: Cache-Control: no-store (the default header) and Pragma: no-cache.
        Ok(response) => HttpResponse::Ok()
            .insert_header((header::PRAGMA, "no-cache"))
            .json(response),
        Err(error) => respond::json_error(&error),
    }
}
