//! Sesame: an OpenID Connect identity provider with single sign-on.
//!
//! Dependencies point one way: `http` → `oidc` (protocol) → `store` traits ←
//! `store` implementations; `domain` types are used by all. Only `startup`
//! knows every concrete type.

pub mod account;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod control;
pub mod crypto;
pub mod directory;
pub mod domain;
pub mod error;
pub mod federation;
pub mod files;
pub mod gateway;
pub mod http;
pub mod keys;
pub mod mail;
pub mod manage;
pub mod observability;
pub mod oidc;
pub mod outbound;
pub mod session;
pub mod startup;
pub mod store;
pub mod ui;
