//! The messages: Fluent catalogues built into the binary, and an operator's
//! overrides read from their theme folder at start.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use fluent_templates::LanguageIdentifier;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{ArcLoader, StaticLoader};

fluent_templates::static_loader! {
    static BUILT_IN = {
        locales: "./templates/locales",
        fallback_language: "en",
        // Fluent wraps arguments in Unicode isolation marks for
        // right-to-left text; none of the shipped languages needs them and
        // they would land inside HTML attributes and mail subjects.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages Sesame ships complete (a test fails when one misses a
/// message the default has).
pub const BUILT_IN_LANGUAGES: &[&str] = &["en", "de"];

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("ui.default_language {0:?} is not one Sesame ships ({shipped})", shipped = BUILT_IN_LANGUAGES.join(", "))]
    UnknownDefault(String),
    #[error("cannot read the theme's messages in {path}: {reason}")]
    Theme { path: PathBuf, reason: String },
}

pub struct Catalogue {
    theme: Option<ArcLoader>,
    default: LanguageIdentifier,
    offered: Vec<LanguageIdentifier>,
}

impl Catalogue {
    /// The shipped messages with English as the default: for text written
    /// outside a request, and for tests.
    pub fn built_in() -> Catalogue {
        Catalogue {
            theme: None,
            default: fluent_templates::langid!("en"),
            offered: offered_languages(),
        }
    }

    /// The shipped messages, overridden by `<theme>/locales/<language>/*.ftl`
    /// when the theme folder has them.
    pub fn load(default_language: &str, theme: Option<&Path>) -> Result<Catalogue, CatalogueError> {
        let default: LanguageIdentifier = default_language
            .parse()
            .ok()
            .filter(|tag: &LanguageIdentifier| BUILT_IN_LANGUAGES.contains(&tag.to_string().as_str()))
            .ok_or_else(|| CatalogueError::UnknownDefault(default_language.to_string()))?;
        let theme = match theme.map(|folder| folder.join("locales")) {
            Some(folder) if folder.is_dir() => Some(
                ArcLoader::builder(&folder, default.clone())
                    .customize(|bundle| bundle.set_use_isolating(false))
                    .build()
                    .map_err(|e| CatalogueError::Theme {
                        path: folder.clone(),
                        reason: e.to_string(),
                    })?,
            ),
            _ => None,
        };
        Ok(Catalogue {
            theme,
            default,
            offered: offered_languages(),
        })
    }

    pub fn default_language(&self) -> &LanguageIdentifier {
        &self.default
    }

    /// The languages pages can be shown in.
    pub fn offered(&self) -> &[LanguageIdentifier] {
        &self.offered
    }

    /// The message `id` in `language`: the theme's, then the shipped one,
    /// then the same in the default language. A missing message shows its id
    /// (and is logged), never an empty page.
    pub fn message(&self, language: &LanguageIdentifier, id: &str, args: &[(&str, &str)]) -> String {
        let args: Option<HashMap<Cow<'static, str>, FluentValue>> = (!args.is_empty()).then(|| {
            args.iter()
                .map(|(name, value)| (Cow::Owned((*name).to_string()), fluent_value(value)))
                .collect()
        });
        for lang in [language, &self.default] {
            if let Some(theme) = &self.theme
                && let Ok(text) = theme.lookup_single_language(lang, id, args.as_ref())
            {
                return text;
            }
            if let Ok(text) = built_in().lookup_single_language(lang, id, args.as_ref()) {
                return text;
            }
        }
        tracing::warn!(message_id = id, language = %language, "no such message");
        id.to_string()
    }
}

/// Numbers stay numbers, so plurals (`{ $count -> [one] … *[other] … }`) work.
fn fluent_value(value: &str) -> FluentValue<'static> {
    match value.parse::<i64>() {
        Ok(number) => FluentValue::from(number),
        Err(_) => FluentValue::from(value.to_string()),
    }
}

fn built_in() -> &'static StaticLoader {
    &BUILT_IN
}

fn offered_languages() -> Vec<LanguageIdentifier> {
    BUILT_IN_LANGUAGES.iter().filter_map(|tag| tag.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message id the default language has, per language.
    fn ids(language: &str) -> std::collections::BTreeSet<String> {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("templates/locales")
            .join(language);
        let mut ids = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(&folder).expect("locale folder") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("ftl");
            for line in text.lines() {
                if let Some((id, _)) = line.split_once(" =")
                    && !id.starts_with([' ', '#', '-', '.'])
                    && !id.is_empty()
                {
                    ids.insert(id.trim().to_string());
                }
            }
        }
        ids
    }

    #[test]
    fn every_shipped_language_has_every_message() {
        let english = ids("en");
        assert!(english.len() > 100, "{} messages", english.len());
        for language in BUILT_IN_LANGUAGES {
            let theirs = ids(language);
            let missing: Vec<_> = english.difference(&theirs).collect();
            let extra: Vec<_> = theirs.difference(&english).collect();
            assert!(missing.is_empty(), "{language} lacks {missing:?}");
            assert!(extra.is_empty(), "{language} has messages English lacks: {extra:?}");
        }
    }

    #[test]
    fn every_message_a_template_or_source_file_names_exists() {
        let english = ids("en");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        let mut files = Vec::new();
        for folder in ["templates", "src"] {
            collect(&root.join(folder), &mut files);
        }
        for file in files {
            let text = std::fs::read_to_string(&file).expect("file");
            for call in [
                "t(\"",
                "t_with(\"",
                "t_with2(\"",
                "t_args(\"",
                "html_with(\"",
                "html_with2(\"",
            ] {
                for (at, _) in text.match_indices(call) {
                    // A call of ours, not the tail of another name (`put`).
                    let before = text[..at].chars().next_back().unwrap_or(' ');
                    if before.is_alphanumeric() || before == '_' {
                        continue;
                    }
                    let id = text[at + call.len()..].split('"').next().unwrap_or_default();
                    if !english.contains(id) {
                        missing.push(format!("{}: {id}", file.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "messages named but not in templates/locales/en: {missing:#?}"
        );
    }

    fn collect(folder: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect(&path, files);
            } else if path.extension().is_some_and(|e| e == "html" || e == "txt" || e == "rs") {
                files.push(path);
            }
        }
    }

    #[test]
    fn a_theme_overrides_a_message_in_its_language_only() {
        let theme = std::env::temp_dir().join(format!("sesame-theme-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(theme.join("locales/en")).expect("folder");
        std::fs::write(theme.join("locales/en/brand.ftl"), "sign-in = Enter Acme\n").expect("ftl");
        let catalogue = Catalogue::load("en", Some(&theme)).expect("catalogue");
        let en: LanguageIdentifier = "en".parse().expect("tag");
        let de: LanguageIdentifier = "de".parse().expect("tag");
        assert_eq!(catalogue.message(&en, "sign-in", &[]), "Enter Acme");
        assert_eq!(catalogue.message(&de, "sign-in", &[]), "Anmelden");
        std::fs::remove_dir_all(&theme).ok();
    }

    #[test]
    fn an_unshipped_default_language_is_refused() {
        assert!(matches!(
            Catalogue::load("xx", None),
            Err(CatalogueError::UnknownDefault(_))
        ));
    }
}
