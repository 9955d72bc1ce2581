# What pages say when something is refused or goes wrong, and words for
# times, in English.

## Times
duration-seconds = { $count ->
    [one] 1 second
   *[other] { $count } seconds
}
duration-minutes = { $count ->
    [one] 1 minute
   *[other] { $count } minutes
}
duration-hours = { $count ->
    [one] 1 hour
   *[other] { $count } hours
}
duration-days = { $count ->
    [one] 1 day
   *[other] { $count } days
}
time-just-now = just now
time-minutes-ago = { $count } min ago
time-hours-ago = { $count } h ago
time-days-ago = { $count ->
    [one] 1 day ago
   *[other] { $count } days ago
}

## Refusals
the-application = the application
not-available = Not available
not-possible = Not possible
not-sent = Not sent
did-not-work = That did not work
link-gone = This link no longer works
too-many-from-network = Too many requests from your network. Try again in an hour.
page-out-of-date = This page is out of date. Reload it and try again.
password-weak = A password has 8 to 1024 characters.
password-mismatch = The two passwords differ.
password-wrong = The password is incorrect.
email-invalid = That is not an email address.
name-invalid = A name has at most 200 characters and no control characters.
username-invalid = A username has 1 to 64 characters: letters, digits and . _ - @
username-taken = This username is taken: choose another.
wrong-code = That code is not right. Each code works once: if you just used it, wait for the next one.
too-many-codes = Too many wrong codes. Try again in { $wait }.
totp-wrong-code = That code is not right. Check the app shows this account, and try the code it shows now.
second-factor-expired = This sign-in was not finished in time, or was finished already. Go back to the application and sign in again.
second-factor-throttled = Too many wrong codes for this account. Wait { $wait }, then try again.
second-factor-too-many = Too many wrong codes. For your safety this sign-in has ended; start again with your password.
sign-in-expired-start-again = This sign-in expired. Start again.
factor-last-title = This factor cannot be removed
key-last-title = This key cannot be removed
factor-last = Your account must have a second factor, and this is its only one.
key-choose-kind = Choose a passkey or a security key.
key-name-invalid = Give it a name of at most 64 characters.
webauthn-unavailable = Passkeys and security keys are not available on this server.
webauthn-expired = This attempt expired or was made in another browser. Try again.
webauthn-rejected = The authenticator's answer was not accepted.
webauthn-duplicate = This key is registered already.
webauthn-too-many = This account has as many keys as it may.
webauthn-server = Something went wrong on our side.
webauthn-server-retry = Something went wrong on our side. Try again.
reset-not-available = Passwords are not reset by mail here: ask whoever runs this service.
reset-link-gone = It has expired, was used already, or a newer link was sent. Ask for a new one from the sign-in page ("Forgot your password?").
reset-code-needed = Enter the code from your authenticator app, or a recovery code.
reset-key-only-short = This account's second step is a security key or passkey.
profile-link-gone = It has expired, was used already, or a newer link was sent. Ask for a new one from your profile.
profile-password-in-directory = Your password is kept in your organisation's directory. Change it there; it counts here at your next sign-in.
profile-current-needed-error = Enter your current password.
profile-current-wrong = Your current password is not right.
profile-name-saved = Your name is saved.
profile-email-sent = A confirmation link is on its way to that address. It becomes yours once you open it.
profile-password-changed = Your password is changed.
signup-not-available = Accounts are not created this way here: ask whoever runs this service.
signup-link-gone = It has expired or was used already.
signup-taken-title = This username was taken meanwhile
signup-taken = Someone created an account with it before you confirmed yours. Sign up again with another username.
developer-no-such-title = No such application
developer-no-such = This application does not exist, or it is not one of yours.
developer-deleted = The application was deleted; its tokens no longer work.
delete-tick = Tick the box to confirm the deletion.
grace-ended = The old secret no longer works.
grace-note = The old secret keeps working for { $duration }; deploy the new one before then.

## Error pages
error-sign-in-server = { $product } could not handle this sign-in request right now. Please try again in a moment.
error-invalid-request-title = This sign-in request is not valid
error-invalid-request = The application that sent you here made a request { $product } cannot accept, so you cannot be sent back to it safely.
error-expired-title = This sign-in has expired
error-expired = This sign-in page is no longer valid: it waited too long, or the link is incomplete.
error-answered-title = This sign-in is already complete
error-answered = The application already has its answer. Go back to it to carry on, or open your account page.
error-logout-invalid-title = This sign-out request is not valid
error-logout-invalid = The application asked { $product } to sign you out in a way it cannot accept, so you were not signed out here and are not sent back to it. You can sign out from your account page.
