//! `POST /revoke` (RFC 7009) and `POST /introspect` (RFC 7662).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{extract, respond};
use crate::startup::Services;

pub async fn revoke(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let result = match extract::form_params(&req, &body) {
        Ok(params) => {
            services
                .revocation()
                .revoke(&params, extract::authorization(&req), &extract::client_ip(&req))
                .await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(error) => respond::json_error(&error),
    }
}

pub async fn introspect(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let result = match extract::form_params(&req, &body) {
        Ok(params) => {
            services
                .introspection()
                .introspect(&params, extract::authorization(&req), &extract::client_ip(&req))
                .await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(claims) => HttpResponse::Ok().json(claims),
        Err(error) => respond::json_error(&error),
    }
}
