mod helpers;

mod authorize;
mod browser;
mod cli;
mod discovery;
mod ephemeral_contract;
mod flow;
mod keys;
mod login;
mod logout;
mod private_key_jwt;
mod relying_app;
mod sessions;
mod sso;
mod token;
mod tokens;
mod userinfo;
