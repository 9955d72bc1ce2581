//! ID token signing throughput on one core: the ceiling of the token endpoint.
//! Run with `cargo bench --bench signing`; compare with `openssl speed rsa2048`.

use std::time::{Duration, Instant};

use sesame::config::Secret;
use sesame::domain::StoredKey;
use sesame::keys::{Alg, KekRing, KeyMaterial, KeySet};

fn key_set() -> KeySet {
    let dir = tempfile::tempdir().expect("temp dir");
    let kek = KekRing::load(dir.path(), &Secret::default()).expect("kek");
    let stored = Alg::ALL
        .iter()
        .enumerate()
        .map(|(i, alg)| {
            let material = KeyMaterial::generate(*alg).expect("key");
            let (kek_id, private_key) = kek.encrypt(&material.kid, &material.private_pem).expect("encrypt");
            StoredKey {
                kid: material.kid.clone(),
                alg: *alg,
                generation: i as i64 + 1,
                private_key,
                kek_id,
                public_jwk: serde_json::to_string(&material.public_jwk).expect("jwk"),
                created_at: 0,
                activates_at: 0,
                revoked_at: None,
            }
        })
        .collect();
    KeySet::build(stored, Some(&kek), 0, 3600).expect("key set")
}

/// Claims the size of a real ID token.
fn claims(i: u64) -> serde_json::Value {
    serde_json::json!({
        "iss": "https://login.example.com",
        "sub": "0192b3c4-5d6e-7f80-91a2-b3c4d5e6f708",
        "aud": "web-app",
        "exp": 1_800_000_000u64 + i,
        "iat": 1_799_996_400u64 + i,
        "auth_time": 1_799_990_000u64,
        "nonce": "n-0S6_WzA2Mj",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
        "azp": "web-app",
        "sid": "k2Xq8mP3vB7nR1tY6wE9uI4oA0sD5fG2hJ8kL3zC1xV",
        "amr": ["pwd"],
    })
}

fn measure(keys: &KeySet, alg: Alg) -> f64 {
    let run_for = Duration::from_secs(3);
    let started = Instant::now();
    let mut signed = 0u64;
    while started.elapsed() < run_for {
        for _ in 0..50 {
            let token = keys.sign(&claims(signed), "JWT", alg, 1).expect("sign");
            std::hint::black_box(token);
            signed += 1;
        }
    }
    signed as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let keys = key_set();
    for alg in Alg::ALL {
        let per_second = measure(&keys, alg);
        println!(
            "{} ID tokens signed on one core: {:.0}/s ({:.1} µs each)",
            alg.as_str(),
            per_second,
            1e6 / per_second
        );
    }
}
