//! Request parameters from a query string or a form body.

use std::collections::HashMap;

use crate::error::ProtocolError;

/// Largest number of parameters accepted in one request.
const MAX_PARAMS: usize = 64;

/// `application/x-www-form-urlencoded` parameters. RFC 6749 §3.1: parameters
/// sent without a value are treated as omitted, and request and response
/// parameters MUST NOT be included more than once; repeated names are kept
/// aside so each endpoint can answer them as its spec says.
#[derive(Debug, Default, Clone)]
pub struct Params {
    values: HashMap<String, String>,
    repeated: Vec<String>,
}

impl Params {
    pub fn parse(encoded: &str) -> Result<Params, ProtocolError> {
        let mut params = Params::default();
        for (count, (name, value)) in url::form_urlencoded::parse(encoded.as_bytes()).enumerate() {
            if count >= MAX_PARAMS {
                return Err(ProtocolError::invalid_request("too many parameters"));
            }
            if value.is_empty() {
                continue;
            }
            if params.values.contains_key(name.as_ref()) {
                if !params.repeated.iter().any(|r| r == name.as_ref()) {
                    params.repeated.push(name.into_owned());
                }
                continue;
            }
            params.values.insert(name.into_owned(), value.into_owned());
        }
        Ok(params)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.iter().any(|r| r == name)
    }

    /// Fails with `invalid_request` naming the first repeated parameter.
    pub fn reject_repeated(&self) -> Result<(), ProtocolError> {
        match self.repeated.first() {
            Some(name) => Err(ProtocolError::invalid_request(format!(
                "parameter {name} is included more than once"
            ))),
            None => Ok(()),
        }
    }

    /// A parameter that must be present, for `invalid_request` otherwise.
    pub fn require(&self, name: &str) -> Result<&str, ProtocolError> {
        self.get(name)
            .ok_or_else(|| ProtocolError::invalid_request(format!("missing parameter {name}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_absent_and_repeats_are_noted() {
        let p = Params::parse("a=1&b=&a=2&c=x%20y").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y"));
        assert!(p.is_repeated("a"));
        assert_eq!(
            p.reject_repeated().unwrap_err().description,
            "parameter a is included more than once"
        );
    }

    #[test]
    fn too_many_parameters_are_refused() {
        let query: Vec<String> = (0..100).map(|i| format!("p{i}=v")).collect();
        assert!(Params::parse(&query.join("&")).is_err());
    }
}
