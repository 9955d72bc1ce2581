//! `POST /revoke` (RFC 7009) and `POST /introspect` (RFC 7662).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::respond;
use crate::startup::Services;

fn authorization(req: &HttpRequest) -> Option<&str> {
    req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

pub async fn revoke(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let result = match super::form_params(&req, &body) {
        Ok(params) => {
            services
                .revocation()
                .revoke(&params, authorization(&req), &super::flow::client_ip(&req))
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
    let result = match super::form_params(&req, &body) {
        Ok(params) => {
            services
                .introspection()
                .introspect(&params, authorization(&req), &super::flow::client_ip(&req))
                .await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(claims) => HttpResponse::Ok().json(claims),
        Err(error) => respond::json_error(&error),
    }
}
