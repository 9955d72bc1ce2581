//! The admin console's users page with 100,000 people: what the query
//! behind each page costs on the default database (SQLite, a file). Pages
//! are keyset-paged by username (the unique index), so a page deep in the
//! list costs what the first does; a substring search reads every row.
//! `cargo bench --bench console`.

use std::sync::Arc;
use std::time::Instant;

use sesame::clock::{SharedClock, SystemClock};
use sesame::config::{Secret, Settings};
use sesame::domain::{User, Username};
use sesame::startup;

const USERS: usize = 100_000;
const PAGE: u32 = 51;
const ROUNDS: usize = 200;

fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::defaults();
    settings.database_url = Secret::new(format!("sqlite://{}", dir.path().join("console.db").display()));
    settings.keys_dir = dir.path().join("keys");
    settings.store_journal = dir.path().join("store.journal");
    settings.admin_socket = dir.path().join("admin.sock");
    let clock: SharedClock = Arc::new(SystemClock);
    let services = startup::build_services(settings, clock).await.expect("services");
    let started = Instant::now();
    for i in 0..USERS {
        let user = User {
            id: uuid::Uuid::now_v7(),
            username: Username::parse(&format!("user{i:06}")).expect("name"),
            email: Some(format!("person{i}@example.com")),
            email_verified: true,
            display_name: Some(format!("Person {i}")),
            disabled: false,
            roles: Vec::new(),
            created_at: 0,
            updated_at: 0,
        };
        services
            .users
            .create_user(&user, "$argon2id$bench")
            .await
            .expect("user");
    }
    println!("seeded {USERS} users in {:.1} s", started.elapsed().as_secs_f64());
    for (label, query, after) in [
        ("first page", "", ""),
        ("page after user050000", "", "user050000"),
        ("last page", "", "user099990"),
        ("search 'person99999'", "person99999", ""),
        ("search 'example.com' (every row matches)", "example.com", ""),
    ] {
        let mut samples = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let found = services.users.search_users(query, after, PAGE).await.expect("page");
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(!found.is_empty(), "{label}");
        }
        println!("{label:<45} median {:>7.3} ms", median_ms(samples));
    }
}
