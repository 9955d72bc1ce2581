//! The operator's branding: the product's name, a logo, an accent colour,
//! extra CSS and static files from a theme folder, read once at start.
//!
//! Page structure stays compiled (askama checks every template against the
//! values it is given, so a theme can never break a page); what a theme
//! changes is text (`locales/`), styles and images (`static/`, `extra.css`)
//! and a footer (`footer.html`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum BrandError {
    #[error("ui.accent_colour {0:?} is not a colour like #2f5bd3")]
    Colour(String),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: Sesame serves only .css, .js, .png, .svg, .jpg, .webp, .ico, .woff and .woff2 files")]
    Kind { path: PathBuf },
}

/// One file under `/static/`, with the fingerprint pages link it by.
#[derive(Clone)]
pub struct StaticFile {
    pub body: Vec<u8>,
    pub content_type: &'static str,
    /// A digest of the body: the `ETag` and the `?v=` of links to it.
    pub version: String,
}

impl StaticFile {
    fn new(body: Vec<u8>, content_type: &'static str) -> StaticFile {
        let digest = Sha256::digest(&body);
        let version = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        StaticFile {
            body,
            content_type,
            version,
        }
    }
}

/// Every file `/static/` serves, by name.
#[derive(Clone, Default)]
pub struct StaticFiles {
    files: HashMap<String, StaticFile>,
}

impl StaticFiles {
    pub fn get(&self, name: &str) -> Option<&StaticFile> {
        self.files.get(name)
    }

    /// `/static/<name>?v=<version>`, for a link that may be cached for good.
    pub fn url(&self, name: &str) -> Option<String> {
        self.files
            .get(name)
            .map(|file| format!("/static/{name}?v={}", file.version))
    }

    fn built_in() -> StaticFiles {
        let mut files = HashMap::new();
        let mut add = |name: &str, body: &str, kind| {
            files.insert(name.to_string(), StaticFile::new(body.as_bytes().to_vec(), kind));
        };
        add("sesame.css", include_str!("../../static/sesame.css"), CSS);
        add("form_post.js", include_str!("../../static/form_post.js"), JS);
        add("logout.js", include_str!("../../static/logout.js"), JS);
        add("webauthn.js", include_str!("../../static/webauthn.js"), JS);
        StaticFiles { files }
    }
}

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// The `[ui]` settings the brand is made of.
pub struct BrandSettings<'a> {
    pub product_name: &'a str,
    pub logo: Option<&'a Path>,
    pub accent_colour: Option<&'a str>,
    pub theme_dir: Option<&'a Path>,
}

pub struct Brand {
    pub product: String,
    pub files: StaticFiles,
    /// The logo's name under `/static/`.
    logo: Option<String>,
    /// The theme's stylesheet (`theme.css`): colours, then the theme's `extra.css`.
    themed: bool,
    pub footer: Option<String>,
}

impl Brand {
    pub fn built_in() -> Brand {
        Brand {
            product: "Sesame".to_string(),
            files: StaticFiles::built_in(),
            logo: None,
            themed: false,
            footer: None,
        }
    }

    pub fn load(settings: &BrandSettings<'_>) -> Result<Brand, BrandError> {
        let mut brand = Brand::built_in();
        if !settings.product_name.trim().is_empty() {
            brand.product = settings.product_name.trim().to_string();
        }
        let mut theme_css = String::new();
        if let Some(colour) = settings.accent_colour {
            theme_css.push_str(&format!(":root {{ --accent: {}; }}\n", parse_colour(colour)?));
        }
        if let Some(folder) = settings.theme_dir {
            let statics = folder.join("static");
            if statics.is_dir() {
                for entry in std::fs::read_dir(&statics).map_err(|source| read_error(&statics, source))? {
                    let path = entry.map_err(|source| read_error(&statics, source))?.path();
                    if path.is_file() {
                        let (name, file) = read_file(&path)?;
                        brand.files.files.insert(name, file);
                    }
                }
            }
            let extra = folder.join("extra.css");
            if extra.is_file() {
                theme_css.push_str(&std::fs::read_to_string(&extra).map_err(|source| read_error(&extra, source))?);
            }
            let footer = folder.join("footer.html");
            if footer.is_file() {
                brand.footer = Some(std::fs::read_to_string(&footer).map_err(|source| read_error(&footer, source))?);
            }
        }
        if let Some(path) = settings.logo {
            let (name, file) = read_file(path)?;
            let name = format!("brand-logo.{}", name.rsplit('.').next().unwrap_or("png"));
            brand.files.files.insert(name.clone(), file);
            brand.logo = Some(name);
        }
        if !theme_css.is_empty() {
            brand
                .files
                .files
                .insert("theme.css".to_string(), StaticFile::new(theme_css.into_bytes(), CSS));
            brand.themed = true;
        }
        Ok(brand)
    }

    pub fn logo_url(&self) -> Option<String> {
        self.logo.as_deref().and_then(|name| self.files.url(name))
    }

    pub fn stylesheets(&self) -> Vec<String> {
        let mut sheets: Vec<String> = self.files.url("sesame.css").into_iter().collect();
        if self.themed {
            sheets.extend(self.files.url("theme.css"));
        }
        sheets
    }
}

/// A colour the theme stylesheet can hold without being able to end the
/// rule it sits in: `#rgb` or `#rrggbb`.
fn parse_colour(colour: &str) -> Result<String, BrandError> {
    let hex = colour.trim().strip_prefix('#').unwrap_or_default();
    if matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(format!("#{hex}"))
    } else {
        Err(BrandError::Colour(colour.to_string()))
    }
}

fn read_error(path: &Path, source: std::io::Error) -> BrandError {
    BrandError::Read {
        path: path.to_path_buf(),
        source,
    }
}

fn read_file(path: &Path) -> Result<(String, StaticFile), BrandError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let content_type = match extension.as_str() {
        "css" => CSS,
        "js" => JS,
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        _ => {
            return Err(BrandError::Kind {
                path: path.to_path_buf(),
            });
        }
    };
    let body = std::fs::read(path).map_err(|source| read_error(path, source))?;
    Ok((name, StaticFile::new(body, content_type)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_cannot_carry_css() {
        assert_eq!(parse_colour("#2F5bd3").expect("colour"), "#2F5bd3");
        assert_eq!(parse_colour(" #abc ").expect("colour"), "#abc");
        for bad in ["red", "#12345", "#zzz", "#fff; } body { display:none", ""] {
            assert!(parse_colour(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_carry_a_fingerprint_that_follows_the_content() {
        let files = StaticFiles::built_in();
        let url = files.url("sesame.css").expect("css");
        assert!(url.starts_with("/static/sesame.css?v="), "{url}");
        let other = StaticFile::new(b"body{}".to_vec(), CSS);
        assert_ne!(files.get("sesame.css").expect("css").version, other.version);
    }

    #[test]
    fn a_theme_folder_adds_files_styles_and_a_footer() {
        let theme = std::env::temp_dir().join(format!("sesame-brand-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(theme.join("static")).expect("folder");
        std::fs::write(theme.join("static/acme.svg"), "<svg/>").expect("svg");
        std::fs::write(theme.join("extra.css"), ".brand { color: teal; }").expect("css");
        std::fs::write(theme.join("footer.html"), "<a href=\"/imprint\">Imprint</a>").expect("footer");
        let brand = Brand::load(&BrandSettings {
            product_name: "Acme ID",
            logo: Some(&theme.join("static/acme.svg")),
            accent_colour: Some("#0a7"),
            theme_dir: Some(&theme),
        })
        .expect("brand");
        assert_eq!(brand.product, "Acme ID");
        assert!(brand.files.get("acme.svg").is_some());
        assert!(brand.logo_url().expect("logo").starts_with("/static/brand-logo.svg?v="));
        let css = String::from_utf8(brand.files.get("theme.css").expect("theme").body.clone()).expect("utf8");
        assert!(css.contains("--accent: #0a7") && css.contains("teal"), "{css}");
        assert_eq!(brand.stylesheets().len(), 2);
        assert!(brand.footer.expect("footer").contains("Imprint"));
        std::fs::remove_dir_all(&theme).ok();
    }
}
