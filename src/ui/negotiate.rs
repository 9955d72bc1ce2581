//! Which language a page is shown in: the app's `ui_locales` (OIDC Core
//! 3.1.2.1, remembered in a cookie for the rest of the sign-in), then the
//! browser's `Accept-Language`, then the operator's default.

use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use fluent_templates::LanguageIdentifier;

/// Remembers the language an app asked for with `ui_locales`.
pub const LANGUAGE_COOKIE: &str = "sesame_lang";

/// The first of the space-separated `ui_locales` tags Sesame offers, if any.
pub fn supported_from_ui_locales(ui_locales: &str, offered: &[LanguageIdentifier]) -> Option<LanguageIdentifier> {
    ui_locales
        .split_whitespace()
        .filter_map(|tag| tag.parse::<LanguageIdentifier>().ok())
        .find_map(|wanted| best_of(std::slice::from_ref(&wanted), offered))
}

/// The language for a request, from the most to the least specific wish.
pub fn negotiate(
    remembered: Option<&str>,
    accept_language: Option<&str>,
    offered: &[LanguageIdentifier],
    default: &LanguageIdentifier,
) -> LanguageIdentifier {
    if let Some(language) = remembered.and_then(|tag| supported_from_ui_locales(tag, offered)) {
        return language;
    }
    let accepted = accept_language.map(by_quality).unwrap_or_default();
    best_of(&accepted, offered).unwrap_or_else(|| default.clone())
}

/// The tags of an `Accept-Language` header (RFC 9110 12.5.4), most wanted
/// first; `q=0` means "not this one", and an unreadable entry is skipped.
fn by_quality(header: &str) -> Vec<LanguageIdentifier> {
    let mut weighted: Vec<(u16, LanguageIdentifier)> = header
        .split(',')
        .filter_map(|entry| {
            let mut parts = entry.split(';');
            let tag = parts.next()?.trim().parse::<LanguageIdentifier>().ok()?;
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            // Thousandths, as the header writes them.
            let quality = (quality.clamp(0.0, 1.0) * 1000.0).round() as u16;
            (quality > 0).then_some((quality, tag))
        })
        .collect();
    // Stable: equal weights keep the header's order.
    weighted.sort_by_key(|(quality, _)| std::cmp::Reverse(*quality));
    weighted.into_iter().map(|(_, tag)| tag).collect()
}

/// The first wish (in the order given) that an offered language meets:
/// `de-AT` is met by `de`.
fn best_of(wishes: &[LanguageIdentifier], offered: &[LanguageIdentifier]) -> Option<LanguageIdentifier> {
    negotiate_languages(wishes, offered, None, NegotiationStrategy::Lookup)
        .first()
        .map(|language| (*language).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered() -> Vec<LanguageIdentifier> {
        vec!["en".parse().expect("tag"), "de".parse().expect("tag")]
    }

    fn tag(text: &str) -> LanguageIdentifier {
        text.parse().expect("tag")
    }

    #[test]
    fn ui_locales_pick_the_first_offered_tag() {
        assert_eq!(supported_from_ui_locales("fr-CA de-AT en", &offered()), Some(tag("de")));
        assert_eq!(supported_from_ui_locales("fr ja", &offered()), None);
        assert_eq!(supported_from_ui_locales("", &offered()), None);
        assert_eq!(supported_from_ui_locales("%%% de", &offered()), Some(tag("de")));
    }

    #[test]
    fn accept_language_is_read_by_quality() {
        let choose = |header| negotiate(None, Some(header), &offered(), &tag("en"));
        assert_eq!(choose("de-DE,de;q=0.9,en;q=0.8"), tag("de"));
        assert_eq!(choose("fr-FR, en;q=0.5, de;q=0.7"), tag("de"));
        assert_eq!(choose("fr, ja"), tag("en"));
        assert_eq!(choose("*"), tag("en"));
        assert_eq!(choose("garbage;;;q=x"), tag("en"));
        assert_eq!(choose("de;q=0, en;q=0.1"), tag("en"));
    }

    #[test]
    fn a_remembered_choice_beats_the_browser_and_the_default_comes_last() {
        assert_eq!(negotiate(Some("de"), Some("en"), &offered(), &tag("en")), tag("de"));
        assert_eq!(negotiate(Some("xx"), Some("de"), &offered(), &tag("en")), tag("de"));
        assert_eq!(negotiate(None, None, &offered(), &tag("de")), tag("de"));
    }
}
