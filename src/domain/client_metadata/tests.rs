use super::*;

fn web(redirect: &str) -> NewClient {
    NewClient {
        name: "App".into(),
        redirect_uris: vec![redirect.into()],
        ..NewClient::default()
    }
}

fn native(redirect: &str) -> NewClient {
    NewClient {
        application_type: Some(ApplicationType::Native),
        public: true,
        ..web(redirect)
    }
}

fn code(result: Result<ValidMetadata, MetadataError>) -> Option<(&'static str, &'static str)> {
    result.err().map(|e| (e.code.as_str(), e.field))
}

#[test]
fn web_redirects_are_https_with_loopback_http_by_configuration() {
    assert!(validate(HttpUris::None, &web("https://app.example/cb")).is_ok());
    for loopback in ["http://localhost:3000/cb", "http://127.0.0.1/cb", "http://[::1]:8/cb"] {
        assert!(validate(HttpUris::Loopback, &web(loopback)).is_ok(), "{loopback}");
        assert_eq!(
            code(validate(HttpUris::None, &web(loopback))),
            Some(("invalid_redirect_uri", "redirect_uris"))
        );
    }
    assert!(validate(HttpUris::Loopback, &web("http://app.example/cb")).is_err());
    assert!(validate(HttpUris::Any, &web("http://app.example/cb")).is_ok());
    for bad in [
        "com.example.app:/cb",
        "https://app.example/cb#frag",
        "/relative",
        "javascript:alert(1)",
    ] {
        assert_eq!(
            code(validate(HttpUris::Any, &web(bad))),
            Some(("invalid_redirect_uri", "redirect_uris")),
            "{bad}"
        );
    }
}

#[test]
fn native_apps_use_reverse_domain_schemes_or_loopback_ip_literals() {
    for good in [
        "com.example.app:/cb",
        "http://127.0.0.1/cb",
        "http://[::1]/cb",
        "https://app.example/cb",
    ] {
        assert!(validate(HttpUris::None, &native(good)).is_ok(), "{good}");
    }
    for bad in ["myapp:/cb", "http://localhost/cb", "http://app.example/cb"] {
        assert_eq!(
            code(validate(HttpUris::None, &native(bad))),
            Some(("invalid_redirect_uri", "redirect_uris")),
            "{bad}"
        );
    }
}

#[test]
fn grant_and_response_types_must_agree() {
    let with = |grants: &[&str], responses: &[&str]| NewClient {
        grant_types: grants.iter().map(|s| s.to_string()).collect(),
        response_types: responses.iter().map(|s| s.to_string()).collect(),
        ..web("https://app.example/cb")
    };
    assert!(validate(HttpUris::None, &with(&["authorization_code"], &["code"])).is_ok());
    assert!(validate(HttpUris::None, &with(&["client_credentials"], &[])).is_ok());
    for (grants, responses, field) in [
        (&["client_credentials"][..], &["code"][..], "response_types"),
        (&["authorization_code"], &["token"], "response_types"),
        (&["implicit"], &[], "grant_types"),
        (&["refresh_token"], &[], "grant_types"),
    ] {
        assert_eq!(
            code(validate(HttpUris::None, &with(grants, responses))),
            Some(("invalid_client_metadata", field))
        );
    }
    let public_service = NewClient {
        public: true,
        ..with(&["client_credentials"], &[])
    };
    assert!(validate(HttpUris::None, &public_service).is_err());
}

#[test]
fn code_flow_needs_a_redirect_uri_and_a_service_does_not() {
    let none = NewClient {
        redirect_uris: vec![],
        ..web("https://x.example")
    };
    assert_eq!(
        code(validate(HttpUris::None, &none)),
        Some(("invalid_redirect_uri", "redirect_uris"))
    );
    let service = NewClient {
        grant_types: vec!["client_credentials".into()],
        ..none
    };
    assert!(validate(HttpUris::None, &service).is_ok());
}

#[test]
fn logout_and_page_uris_are_https_and_contacts_are_addresses() {
    let cases: Vec<(NewClient, &str)> = vec![
        (
            NewClient {
                backchannel_logout_uri: Some("http://app.example/bc".into()),
                ..web("https://app.example/cb")
            },
            "backchannel_logout_uri",
        ),
        (
            NewClient {
                frontchannel_logout_uri: Some("https://app.example/fc#x".into()),
                ..web("https://app.example/cb")
            },
            "frontchannel_logout_uri",
        ),
        (
            NewClient {
                post_logout_redirect_uris: vec!["ftp://app.example/bye".into()],
                ..web("https://app.example/cb")
            },
            "post_logout_redirect_uris",
        ),
        (
            NewClient {
                info: ClientInfo {
                    logo_uri: Some("not a uri".into()),
                    ..ClientInfo::default()
                },
                ..web("https://app.example/cb")
            },
            "logo_uri",
        ),
        (
            NewClient {
                info: ClientInfo {
                    contacts: vec!["nobody".into()],
                    ..ClientInfo::default()
                },
                ..web("https://app.example/cb")
            },
            "contacts",
        ),
        (
            NewClient {
                name: " ".into(),
                ..web("https://app.example/cb")
            },
            "client_name",
        ),
        (
            NewClient {
                backchannel_logout_session_required: true,
                ..web("https://app.example/cb")
            },
            "backchannel_logout_session_required",
        ),
    ];
    for (new, field) in cases {
        assert_eq!(
            code(validate(HttpUris::Loopback, &new)),
            Some(("invalid_client_metadata", field))
        );
    }
    let full = NewClient {
        backchannel_logout_uri: Some("https://app.example/bc".into()),
        backchannel_logout_session_required: true,
        frontchannel_logout_uri: Some("http://localhost/fc".into()),
        info: ClientInfo {
            client_uri: Some("https://app.example".into()),
            logo_uri: Some("https://app.example/logo.png".into()),
            policy_uri: Some("https://app.example/privacy".into()),
            tos_uri: Some("https://app.example/terms".into()),
            contacts: vec!["dev@app.example".into()],
        },
        ..web("https://app.example/cb")
    };
    let valid = validate(HttpUris::Loopback, &full).unwrap();
    assert_eq!(valid.info, full.info);
    assert_eq!(valid.auth_method, AuthMethod::ClientSecretBasic);
}
