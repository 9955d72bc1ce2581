mod helpers;

mod authorize;
mod cli;
mod discovery;
mod ephemeral_contract;
mod flow;
mod login;
mod token;
mod userinfo;
