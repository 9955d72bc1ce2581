use uuid::Uuid;

use super::AdminError;
use crate::auth::password::{self, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use crate::clock::Clock;
use crate::domain::{User, Username};
use crate::store::UserRepository;

pub struct NewUser {
    pub username: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub password: String,
}

pub async fn add_user(users: &dyn UserRepository, clock: &dyn Clock, new: NewUser) -> Result<User, AdminError> {
    let username = Username::parse(&new.username).map_err(AdminError::Invalid)?;
    let length = new.password.chars().count();
    if length < MIN_PASSWORD_LEN || new.password.len() > MAX_PASSWORD_LEN {
        return Err(AdminError::Invalid(format!(
            "a password has {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters"
        )));
    }
    if let Some(email) = &new.email
        && (!email.contains('@') || email.len() > 254 || email.chars().any(char::is_whitespace))
    {
        return Err(AdminError::Invalid(format!("{email:?} is not an email address")));
    }
    let now = clock.now();
    let user = User {
        id: Uuid::now_v7(),
        username,
        email: new.email,
        email_verified: false,
        display_name: new.display_name,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    let hash = password::hash_password(new.password).await?;
    users.create_user(&user, &hash).await?;
    Ok(user)
}
