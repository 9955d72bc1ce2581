//! Debian's `slapd`, started by a test from a temporary configuration on a
//! port of its own and seeded with `slapadd` (`bash .ci/services` installs
//! `slapd` and `ldap-utils`): people under `ou=people`, groups under
//! `ou=groups`, an account Sesame searches with. Changes go through the
//! `ldap-utils` commands as the directory's administrator.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::processes::on_a_free_port;

pub const BASE_DN: &str = "dc=example,dc=com";
pub const SEARCH_DN: &str = "cn=sesame,ou=services,dc=example,dc=com";
pub const SEARCH_PASSWORD: &str = "search-secret";
const ADMIN_DN: &str = "cn=admin,dc=example,dc=com";
const ADMIN_PASSWORD: &str = "admin-secret";

/// A person in the directory: `uid`, `cn`, `mail`, password.
pub struct Person<'a> {
    pub uid: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

pub fn person_dn(uid: &str) -> String {
    format!("uid={uid},ou=people,{BASE_DN}")
}

/// A `slapd` of the test's own, killed when dropped.
pub struct Slapd {
    pub port: u16,
    /// With TLS: the `ldaps://` port (StartTLS on `port` too).
    pub tls_port: Option<u16>,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

fn config(dir: &std::path::Path, certificates: Option<&std::path::Path>) -> String {
    let tls = certificates.map_or(String::new(), |c| {
        format!(
            "TLSCACertificateFile {c}/ca.crt\nTLSCertificateFile {c}/server.crt\nTLSCertificateKeyFile {c}/server.key\n",
            c = c.display()
        )
    });
    tls + &format!(
        "include /etc/ldap/schema/core.schema\n\
         include /etc/ldap/schema/cosine.schema\n\
         include /etc/ldap/schema/inetorgperson.schema\n\
         include /etc/ldap/schema/nis.schema\n\
         pidfile {dir}/slapd.pid\n\
         modulepath /usr/lib/ldap\n\
         moduleload back_mdb\n\
         database mdb\n\
         maxsize 10485760\n\
         suffix \"{BASE_DN}\"\n\
         rootdn \"{ADMIN_DN}\"\n\
         rootpw {ADMIN_PASSWORD}\n\
         directory {dir}/data\n\
         access to attrs=userPassword by anonymous auth by * none\n\
         access to * by users read by * none\n",
        dir = dir.display()
    )
}

fn seed(people: &[Person<'_>], groups: &[(&str, &[&str])]) -> String {
    let mut ldif = format!(
        "dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
         dn: ou=people,{BASE_DN}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{BASE_DN}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: ou=services,{BASE_DN}\nobjectClass: organizationalUnit\nou: services\n\n\
         dn: {SEARCH_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: sesame\n\
         userPassword: {SEARCH_PASSWORD}\n\n"
    );
    for p in people {
        ldif.push_str(&format!(
            "dn: {}\nobjectClass: inetOrgPerson\nuid: {}\ncn: {}\nsn: {}\nmail: {}\nuserPassword: {}\n\n",
            person_dn(p.uid),
            p.uid,
            p.name,
            p.uid,
            p.email,
            p.password
        ));
    }
    for (group, members) in groups {
        ldif.push_str(&format!(
            "dn: cn={group},ou=groups,{BASE_DN}\nobjectClass: groupOfNames\ncn: {group}\n"
        ));
        for member in *members {
            ldif.push_str(&format!("member: {}\n", person_dn(member)));
        }
        ldif.push('\n');
    }
    ldif
}

impl Slapd {
    /// A directory with `people` and `groups` (name, member uids).
    pub fn start(people: &[Person<'_>], groups: &[(&str, &[&str])]) -> Slapd {
        Self::start_with(people, groups, None)
    }

    /// The same, also over TLS with the certificates in `certificates`
    /// (`certificates::make_certificates`): StartTLS on `port`, LDAPS on
    /// `tls_port`.
    pub fn start_tls(people: &[Person<'_>], groups: &[(&str, &[&str])], certificates: &std::path::Path) -> Slapd {
        Self::start_with(people, groups, Some(certificates))
    }

    fn start_with(people: &[Person<'_>], groups: &[(&str, &[&str])], certificates: Option<&std::path::Path>) -> Slapd {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let conf = dir.path().join("slapd.conf");
        std::fs::write(&conf, config(dir.path(), certificates)).unwrap();
        std::fs::write(dir.path().join("seed.ldif"), seed(people, groups)).unwrap();
        let added = Command::new("/usr/sbin/slapadd")
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(dir.path().join("seed.ldif"))
            .output()
            .expect("slapadd runs (bash .ci/services installs slapd)");
        assert!(
            added.status.success(),
            "slapadd: {}",
            String::from_utf8_lossy(&added.stderr)
        );
        let mut slapd = Slapd {
            port: 0,
            tls_port: None,
            dir,
            child: None,
        };
        let tls = certificates.is_some();
        let port = on_a_free_port("slapd", |port| {
            slapd.tls_port = tls.then(super::processes::candidate_port);
            slapd.spawn(port).then_some(port)
        });
        slapd.port = port;
        slapd
    }

    /// Starts slapd on `port`; `false` when it exited instead (taken).
    fn spawn(&mut self, port: u16) -> bool {
        let pidfile = self.dir.path().join("slapd.pid");
        let _ = std::fs::remove_file(&pidfile);
        let mut child = Command::new("/usr/sbin/slapd")
            .arg("-f")
            .arg(self.dir.path().join("slapd.conf"))
            .arg("-h")
            .arg(match self.tls_port {
                Some(tls) => format!("ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls}/"),
                None => format!("ldap://127.0.0.1:{port}/"),
            })
            // In the foreground (a debug level of 0 logs nothing).
            .args(["-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("slapd runs (bash .ci/services installs it)");
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if !matches!(child.try_wait(), Ok(None)) {
                return false;
            }
            // Its own pid file: this slapd, not another process, has the port.
            let ours = std::fs::read_to_string(&pidfile).is_ok_and(|pid| pid.trim() == child.id().to_string());
            if ours && self.search_as_admin(port).is_some() {
                self.child = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("slapd did not answer on port {port}");
    }

    fn search_as_admin(&self, port: u16) -> Option<String> {
        let output = Command::new("ldapsearch")
            .args([
                "-x",
                "-H",
                &format!("ldap://127.0.0.1:{port}"),
                "-D",
                ADMIN_DN,
                "-w",
                ADMIN_PASSWORD,
            ])
            .args(["-b", BASE_DN, "-s", "base", "(objectClass=*)"])
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// The administrator sets `uid`'s password.
    pub fn set_password(&self, uid: &str, password: &str) {
        let output = Command::new("ldappasswd")
            .args([
                "-x",
                "-H",
                &self.url(),
                "-D",
                ADMIN_DN,
                "-w",
                ADMIN_PASSWORD,
                "-s",
                password,
            ])
            .arg(person_dn(uid))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }

    /// The administrator applies an LDIF change.
    pub fn modify(&self, ldif: &str) {
        let mut child = Command::new("ldapmodify")
            .args(["-x", "-H", &self.url(), "-D", ADMIN_DN, "-w", ADMIN_PASSWORD])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(ldif.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }

    /// Stops the directory (killed: it answers nothing from now on).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        assert!(self.spawn(self.port), "slapd could not have its port back");
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}
