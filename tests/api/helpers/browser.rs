//! A browser whose steps a test takes one by one: its own cookies, no
//! redirect followed, and, when a test needs several people or devices,
//! connections from an address of its choosing in 127.0.0.0/8 (what the
//! server's throttles see as "where the request comes from").

use std::ops::Deref;
use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};

use super::{PASSWORD, TestClient, hidden_field, location, redirect_params};

pub struct Browser {
    /// The server it talks to: `http://127.0.0.1:port`.
    origin: String,
    http: reqwest::Client,
    jar: Arc<Jar>,
}

/// A browser is an HTTP client with a cookie jar: `browser.get(url)` and
/// the like are reqwest's.
impl Deref for Browser {
    type Target = reqwest::Client;

    fn deref(&self) -> &reqwest::Client {
        &self.http
    }
}

impl Browser {
    /// A browser with no cookies, talking to the server at `origin`.
    pub fn new(origin: &str) -> Browser {
        Self::build(origin, None)
    }

    /// A browser whose connections come from `address` (any of 127.0.0.0/8).
    pub fn from_address(origin: &str, address: &str) -> Browser {
        Self::build(origin, Some(address))
    }

    fn build(origin: &str, address: Option<&str>) -> Browser {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .local_address(address.map(|a| a.parse().expect("an IP address")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            origin: origin.to_string(),
            http,
            jar,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.origin, path)
    }

    /// The value of one of its cookies for the server.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let header = self.jar.cookies(&self.origin.parse().unwrap())?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_string))
    }

    /// Stores a cookie (`name=value; attributes`) as if the server had set it.
    pub fn plant_cookie(&self, set_cookie: &str) {
        self.jar.add_cookie_str(set_cookie, &self.origin.parse().unwrap());
    }

    /// GET /authorize with these parameters.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        self.get(self.url("/authorize")).query(params).send().await.unwrap()
    }

    /// Follows an authorize redirect to the login page and returns
    /// `(request id, csrf token)` from its form.
    pub async fn open_login(&self, authorize_response: reqwest::Response) -> (String, String) {
        assert_eq!(
            authorize_response.status(),
            303,
            "authorize should send the browser to login"
        );
        let login_path = location(&authorize_response);
        assert!(login_path.starts_with("/login?req="), "{login_path}");
        let page = self.get(self.url(&login_path)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        (hidden_field(&html, "req"), hidden_field(&html, "csrf"))
    }

    pub async fn submit_login(
        &self,
        request_id: &str,
        csrf: &str,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post(self.url("/login"))
            .form(&[
                ("req", request_id),
                ("csrf", csrf),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Starts a plain `openid` request for `client` and returns the login
    /// form's `(req, csrf)`.
    pub async fn login_page(&self, client: &TestClient) -> (String, String) {
        self.open_login(self.authorize(&minimal_request(client)).await).await
    }

    /// Signs `username` in with the test password on the login form of
    /// `login_page`; returns the response that goes back to the app.
    pub async fn sign_in_for(&self, client: &TestClient, username: &str) -> reqwest::Response {
        let (request_id, csrf) = self.login_page(client).await;
        self.submit_login(&request_id, &csrf, username, PASSWORD).await
    }

    /// Signs in on the plain login page (no app); returns the status.
    pub async fn sign_in(&self, username: &str, password: &str) -> u16 {
        let page = self.get(self.url("/login")).send().await.unwrap().text().await.unwrap();
        let csrf = hidden_field(&page, "csrf");
        self.post(self.url("/login"))
            .form(&[("csrf", csrf.as_str()), ("username", username), ("password", password)])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Whether a `prompt=none` request from this browser gets a code.
    pub async fn has_session(&self, client: &TestClient) -> bool {
        let mut params = minimal_request(client);
        params.push(("prompt", "none"));
        redirect_params(&self.authorize(&params).await).contains_key("code")
    }
}

fn minimal_request(client: &TestClient) -> Vec<(&str, &str)> {
    vec![
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", "openid"),
    ]
}
