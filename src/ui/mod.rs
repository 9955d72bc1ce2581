//! What people read and see: page and mail text in their language, under
//! the operator's name, logo and colours.
//!
//! Every sentence lives in a Fluent catalogue (`templates/locales/<language>/
//! *.ftl`, built into the binary); an operator's theme folder may override
//! any message (`<theme>/locales/…`). Each request's language is negotiated
//! once (`negotiate`) and held for the request like its id (`http::language`
//! sets it); templates, and the use cases that queue mail, read it through
//! [`t`] and its siblings. The CLI and the admin socket speak the
//! operator's default language; text written with no voice at all (unit
//! tests) is the shipped English.

mod brand;
mod catalogue;
mod negotiate;

use std::fmt::Display;
use std::sync::{Arc, OnceLock};

pub use brand::{Brand, BrandError, BrandSettings, StaticFile, StaticFiles};
pub use catalogue::{BUILT_IN_LANGUAGES, Catalogue, CatalogueError};
pub use fluent_templates::LanguageIdentifier;
pub use negotiate::{LANGUAGE_COOKIE, negotiate, supported_from_ui_locales};

/// The catalogue and branding of this installation.
pub struct Look {
    pub catalogue: Catalogue,
    pub brand: Brand,
}

impl Look {
    /// Shipped messages and Sesame's own look, English by default: for text
    /// written outside a request, and for tests.
    pub fn built_in() -> Arc<Look> {
        static LOOK: OnceLock<Arc<Look>> = OnceLock::new();
        LOOK.get_or_init(|| {
            Arc::new(Look {
                catalogue: Catalogue::built_in(),
                brand: Brand::built_in(),
            })
        })
        .clone()
    }
}

/// The look and the language text is written in.
#[derive(Clone)]
pub struct Voice {
    pub look: Arc<Look>,
    pub language: LanguageIdentifier,
}

impl Voice {
    pub fn new(look: Arc<Look>, language: LanguageIdentifier) -> Self {
        Voice { look, language }
    }

    /// The installation's default language.
    pub fn default_for(look: Arc<Look>) -> Self {
        let language = look.catalogue.default_language().clone();
        Voice { look, language }
    }

    /// The voice text is being written in now (to carry it into a spawned
    /// task): the request's, or the default outside one.
    pub fn current() -> Voice {
        with_voice(Voice::clone)
    }

    /// Runs `work` (a future) with this voice as the one text is written in.
    pub async fn speak<F: std::future::Future>(self, work: F) -> F::Output {
        VOICE.scope(self, work).await
    }

    /// Runs `work` with this voice, synchronously.
    pub fn speak_now<R>(self, work: impl FnOnce() -> R) -> R {
        VOICE.sync_scope(self, work)
    }

    fn message(&self, id: &str, args: &[(&str, &str)]) -> String {
        // Every message may name the product (`{ $product }`).
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(("product", self.look.brand.product.as_str()));
        all.extend_from_slice(args);
        self.look.catalogue.message(&self.language, id, &all)
    }
}

tokio::task_local! {
    static VOICE: Voice;
}

/// The message `id` in the current language.
pub fn t(id: &str) -> String {
    with_voice(|voice| voice.message(id, &[]))
}

/// The message `id` with one argument. Arguments are text, never markup: a
/// message that wraps one in markup is rendered through [`html_with`].
pub fn t_with(id: &str, name: &str, value: impl Display) -> String {
    let value = value.to_string();
    with_voice(|voice| voice.message(id, &[(name, value.as_str())]))
}

/// The message `id` with two arguments.
pub fn t_with2(id: &str, first: &str, a: impl Display, second: &str, b: impl Display) -> String {
    let (a, b) = (a.to_string(), b.to_string());
    with_voice(|voice| voice.message(id, &[(first, a.as_str()), (second, b.as_str())]))
}

/// The message `id` with any number of arguments (from Rust code).
pub fn t_args(id: &str, args: &[(&str, &dyn Display)]) -> String {
    let values: Vec<String> = args.iter().map(|(_, value)| value.to_string()).collect();
    let pairs: Vec<(&str, &str)> = args
        .iter()
        .zip(&values)
        .map(|((name, _), value)| (*name, value.as_str()))
        .collect();
    with_voice(|voice| voice.message(id, &pairs))
}

/// A message whose text holds markup (`<strong>`), for a template's `|safe`:
/// the catalogue's text is trusted, the argument is escaped.
pub fn html_with(id: &str, name: &str, value: impl Display) -> String {
    let escaped = escape_html(&value.to_string());
    with_voice(|voice| voice.message(id, &[(name, escaped.as_str())]))
}

/// [`html_with`] with two arguments, both escaped.
pub fn html_with2(id: &str, first: &str, a: impl Display, second: &str, b: impl Display) -> String {
    let (a, b) = (escape_html(&a.to_string()), escape_html(&b.to_string()));
    with_voice(|voice| voice.message(id, &[(first, a.as_str()), (second, b.as_str())]))
}

/// The current language's tag (`en`, `de`), for `<html lang>` and
/// `Content-Language`.
pub fn language_tag() -> String {
    with_voice(|voice| voice.language.to_string())
}

/// The product's name as the operator set it.
pub fn product() -> String {
    with_voice(|voice| voice.look.brand.product.clone())
}

/// The address of the operator's logo, if they set one.
pub fn logo() -> Option<String> {
    with_voice(|voice| voice.look.brand.logo_url())
}

/// The stylesheets every page links, fingerprinted: Sesame's own, then the
/// theme's (colours and the operator's extra CSS).
pub fn stylesheets() -> Vec<String> {
    with_voice(|voice| voice.look.brand.stylesheets())
}

/// A fingerprinted link to a file under `/static/` (scripts, images).
pub fn asset(name: &str) -> String {
    with_voice(|voice| voice.look.brand.files.url(name)).unwrap_or_else(|| format!("/static/{name}"))
}

/// The operator's footer (raw HTML from the theme folder), if any.
pub fn footer() -> Option<String> {
    with_voice(|voice| voice.look.brand.footer.clone())
}

fn with_voice<R>(read: impl FnOnce(&Voice) -> R) -> R {
    match VOICE.try_with(|voice| voice.clone()) {
        Ok(voice) => read(&voice),
        Err(_) => read(&Voice::default_for(Look::built_in())),
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_inside_markup_messages_are_escaped() {
        let html = html_with("to-continue-to", "app", "<script>x</script>");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("<strong>"), "{html}");
    }

    #[test]
    fn text_outside_a_request_is_in_the_default_language() {
        assert_eq!(t("sign-in"), "Sign in");
        assert_eq!(language_tag(), "en");
    }

    #[test]
    fn a_voice_speaks_its_language() {
        let german = Voice::new(Look::built_in(), "de".parse().expect("tag"));
        assert_eq!(german.speak_now(|| t("sign-in")), "Anmelden");
    }
}
