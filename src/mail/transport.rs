//! Handing a message to the SMTP server (lettre), or, with none configured,
//! to the log (development).

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::Body;
use crate::config::{MailSettings, SmtpSecurity};

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("mail.from {0:?} is not a mailbox (\"Name <address@example.com>\")")]
    From(String),
    #[error("mail: {0}")]
    Smtp(String),
    #[error("mail.smtp_tls_ca_file {path}: {cause}")]
    CaFile { path: String, cause: String },
}

pub enum Transport {
    Smtp {
        smtp: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    /// Development: the message is written to the log, not sent.
    Log { from: Mailbox },
}

impl Transport {
    pub fn from_settings(settings: &MailSettings) -> Result<Transport, TransportError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|_| TransportError::From(settings.from.clone()))?;
        if settings.logs_only() {
            return Ok(Transport::Log { from });
        }
        let host = settings.smtp_host.as_str();
        let tls = tls_parameters(settings)?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .tls(match settings.smtp_security {
                // Required, not opportunistic: a server (or a man in the
                // middle) that does not offer STARTTLS gets nothing.
                SmtpSecurity::Starttls => Tls::Required(tls),
                SmtpSecurity::Tls => Tls::Wrapper(tls),
                SmtpSecurity::None => Tls::None,
            })
            .port(settings.smtp_port)
            .timeout(Some(Duration::from_secs(settings.timeout_secs.max(1))));
        if !settings.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.smtp_username.clone(),
                settings.smtp_password.expose().to_string(),
            ));
        }
        Ok(Transport::Smtp {
            smtp: builder.build(),
            from,
        })
    }

    /// Sends one message; the error says why it did not leave.
    pub async fn send(&self, to: &str, subject: &str, body: Body) -> Result<(), String> {
        match self {
            Transport::Log { from } => {
                tracing::info!(
                    %from,
                    to,
                    subject,
                    text = %body.text,
                    "mail (development mode, no mail.smtp_host: written here, not sent)"
                );
                Ok(())
            }
            Transport::Smtp { smtp, from } => {
                let message = compose(from, to, subject, body)?;
                smtp.send(message).await.map(|_| ()).map_err(|e| e.to_string())
            }
        }
    }
}

/// How the server's certificate is checked: for `smtp_host`, against the
/// system's CAs and `smtp_tls_ca_file`'s.
fn tls_parameters(settings: &MailSettings) -> Result<TlsParameters, TransportError> {
    let smtp = |e: lettre::transport::smtp::Error| TransportError::Smtp(e.to_string());
    let mut parameters = TlsParameters::builder(settings.smtp_host.clone());
    if !settings.smtp_tls_ca_file.is_empty() {
        let ca_file = |cause: String| TransportError::CaFile {
            path: settings.smtp_tls_ca_file.clone(),
            cause,
        };
        let pem = std::fs::read(&settings.smtp_tls_ca_file).map_err(|e| ca_file(e.to_string()))?;
        let certificate = Certificate::from_pem(&pem).map_err(|e| ca_file(e.to_string()))?;
        parameters = parameters.add_root_certificate(certificate);
    }
    parameters.build_native().map_err(smtp)
}

/// A multipart/alternative message: plain text first, HTML preferred.
fn compose(from: &Mailbox, to: &str, subject: &str, body: Body) -> Result<lettre::Message, String> {
    let to: Mailbox = to.parse().map_err(|_| format!("{to:?} is not an address"))?;
    let part = |content_type: ContentType, text: String| {
        SinglePart::builder()
            .header(content_type)
            .header(ContentTransferEncoding::QuotedPrintable)
            .body(text)
    };
    lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .message_id(None)
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, body.text))
                .singlepart(part(ContentType::TEXT_HTML, body.html)),
        )
        .map_err(|e| e.to_string())
}
