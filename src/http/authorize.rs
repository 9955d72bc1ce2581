//! `GET|POST /authorize`: validate, then answer from the SSO session or send
//! the person to the page they must see first. `GET /authorize/cancel`: the
//! person declines; the app hears `access_denied`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{cookies, extract, outcome, pages, respond};
use crate::error::{ErrorCode, InternalError, ProtocolError};
use crate::oidc::authorize::{self, AuthorizeError, policy::Stage};
use crate::oidc::params::Params;
use crate::startup::Services;

pub async fn get(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    handle(&req, &services, Params::parse(req.query_string())).await
}

pub async fn post(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    handle(&req, &services, extract::form_params(&req, &body)).await
}

async fn handle(req: &HttpRequest, services: &Services, params: Result<Params, ProtocolError>) -> HttpResponse {
    let issuer = &services.settings.issuer;
    let params = match params {
        Ok(params) => params,
        Err(error) => return pages::authorize_error_page(&error),
    };
    // The browser's sessions are read while the request is validated (its
    // client read): independent reads, one round trip on Redis.
    let authorizer = services.authorizer();
    let (request, accounts) = tokio::join!(
        authorize::validate(&authorizer, &params),
        cookies::browser_accounts(req, services)
    );
    let request = match request {
        Ok(request) => request,
        Err(AuthorizeError::Page(error)) => return pages::authorize_error_page(&error),
        Err(AuthorizeError::Redirect(target, error)) => {
            return respond::authorization_error(&target, issuer, &error);
        }
    };
    let outcome = async {
        let mut accounts = accounts.map_err(InternalError::from)?;
        let outcome = authorize::proceed(&authorizer, &request, None, &mut accounts, Stage::Start).await?;
        Ok::<_, crate::error::InternalError>((outcome, accounts))
    };
    match outcome.await {
        Ok((outcome, accounts)) => outcome::render(services, outcome, &accounts),
        Err(e) => respond::authorization_error(&request.target, issuer, &ProtocolError::from(e)),
    }
}

pub async fn cancel(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let params = Params::parse(req.query_string()).unwrap_or_default();
    let handle = params.get("req").unwrap_or("");
    let parked = match pages::waiting_request(&services, handle).await {
        Ok(parked) => parked,
        Err(page) => return page,
    };
    match services.parking().complete(handle).await {
        Ok(true) => {
            let error = ProtocolError::new(ErrorCode::AccessDenied, "the user cancelled the sign-in");
            respond::authorization_error(&parked.request.target, &services.settings.issuer, &error)
        }
        Ok(false) => pages::answered_page(),
        Err(e) => pages::server_error_page(&e),
    }
}
