# Sesame's pages, in English. Every message may use { $product }, the
# product's name as the operator set it (ui.product_name).

## Shared words
sign-in = Sign in
sign-out = Sign out
username = Username
password = Password
password-again = Password, again
new-password = New password
new-password-again = New password, again
current-password = Current password
password-length-help = At least 8 characters.
email-address = Email address
username-or-email = Username or email address
code = Code
continue = Continue
cancel = Cancel
confirm = Confirm
done = Done
verify = Verify
remove = Remove
remove-named = Remove { $name }
delete = Delete
switch = Switch
allow = Allow
deny = Deny
confirmed = confirmed
not-confirmed = not confirmed
create-account = Create an account
your-account = Your account
back-to-account = Back to your account
back-to-sign-in = Back to sign in
back-to-app = Back to the application
continue-to-app = Continue to the application
return-to-app = Return to { $app }
cancel-back-to-app = Cancel and go back to the application
cancel-start-again = Cancel and start again
to-continue-to = to continue to <strong>{ $app }</strong>
for-account = for <strong>{ $account }</strong>
signed-in-as = Signed in as <strong>{ $account }</strong>
signed-in-as-admin = Signed in as <strong>{ $account }</strong> (admin)
continue-as = Continue as { $account }
switch-to = Switch to { $account }
switch-account = Act as another account on this browser
use-another-account = Use another account
sign-in-another-account = Sign in with another account
sign-in-instead = Sign in instead
sign-in-again = Sign in again
stay-signed-in = Stay signed in
nothing-came = Nothing came? Look in your spam folder, or try again in a few minutes.
send-link = Send the link
what-next = What next
privacy-policy = Privacy policy
terms-of-service = Terms of service
about-app = About { $app }

## Home
home-lede = One sign-in for the applications of { $service }.
home-account = Sign in, or see your account
home-developer = For developers: register an application
home-discovery = Applications find this service at <code>{ $issuer }/.well-known/openid-configuration</code>.

## Sign-in
login-to-your-account = to your { $product } account
forgot-password-link = Forgot your password?
sign-in-with-passkey = Sign in with a passkey
login-wrong = The username or password is incorrect.
login-throttled = Too many sign-in attempts. Wait { $wait }, then try again.
login-missing = Enter your username and password.
login-disabled = This account is disabled. Ask whoever runs { $product } to enable it.
webauthn-prompt = Follow your browser's prompt…
webauthn-creating = Follow your browser's prompt to create the key…
webauthn-cancelled = Cancelled. You can try again.
webauthn-failed = That did not work. Try again.

## Choosing an account
choose-account = Choose an account
forget-account = Sign out and forget
forget-account-label = Sign out { $account } and forget it on this browser

## Consent
consent-title = Allow access
consent-heading = Allow { $app }?
consent-lede = Signed in as <strong>{ $account }</strong>. { $app } asks to:
consent-not-you = Not { $account }?
scope-openid = Know who you are when you sign in
scope-profile = See your name and username
scope-email = See your email address
scope-offline-access = Stay connected to your account when you are not using it
scope-other = Use a permission of this server

## Second factor
two-step-verification = Two-step verification
second-factor-totp = Enter the six-digit code your authenticator app shows for this account.
second-factor-key = Use your security key or passkey to finish signing in.
second-factor-codes = Enter one of your recovery codes to finish signing in.
second-factor-unusable = This account's second step is a security key or passkey, which this server cannot use at its current address. Ask whoever runs it to reset your second factors.
second-factor-use-key = Use your security key or passkey
second-factor-lost-phone = Lost your phone? Enter one of your recovery codes instead.
second-factor-code-help = A recovery code, as it was shown to you.
set-up-authenticator = Set up an authenticator app
totp-required = Your account needs a second step at sign-in. Set it up now to continue.
totp-scan = Scan this code with an authenticator app (for example a password manager, Google Authenticator or FreeOTP):
totp-type-key = Or type this key into the app:
totp-enter-code = Enter the six-digit code the app now shows, to confirm it works.
turn-on = Turn on
recovery-title = Your recovery codes
recovery-lede = If you lose your authenticator app, each of these codes signs you in once, in its place. Keep them somewhere safe. They are shown only now.
recovery-saved-continue = I have saved them, continue

## Signing out
logout-title = Sign out?
logout-app-asks = <strong>{ $app }</strong> asks to sign out <strong>{ $account }</strong>: from { $product } on this browser, and from every application signed in with it.
logout-question = Sign out <strong>{ $account }</strong> from { $product } on this browser, and from every application signed in with it?
logout-this-account = Sign out { $account }
logout-others-signed-in = Also signed in on this browser: { $accounts }.
logout-every-account = Sign out of every account on this browser
signed-out-title = Signed out
signed-out-heading = You are signed out
signed-out-frame = Signing out of an application
signed-out-go-to-other = Go to the account still signed in
signed-out-nobody = Nobody was signed in to { $product } on this browser.
signed-out-one = { $accounts } is signed out of { $product } on this browser, and of the applications used with it.
signed-out-many = { $accounts } are signed out of { $product } on this browser, and of the applications used with them.
signed-out-still = Still signed in on this browser: { $accounts }.
returning-title = Returning to the application
returning-heading = Returning to the application…

## Errors
error-details-for-developers = Details for the application's developers:
error-go-back = Go back to the application you came from and sign in again, or
error-start-again = start again from your account page.
error-reference = Reference:
error-not-found-title = Page not found
error-not-found = There is nothing at this address. Sign in from the application you were using, or go to your account.
error-method-title = Not available this way
error-method = This address does not answer that kind of request. Go back and try again from the page you came from.
error-unavailable-title = { $product } is briefly unavailable
error-unavailable = { $product } cannot reach its storage right now. Nothing you did was lost; please try again in a moment.
error-server-title = Something went wrong
error-server = { $product } could not finish this. Nothing you did was lost; please try again. If it keeps happening, tell whoever runs { $product } the reference below.
error-form-title = The form could not be accepted
error-form = The form was not sent from this site's page, or your browser did not keep its cookie. Make sure cookies are allowed for this site, then try again.

## Account
account-profile-link = Name, email and password
your-applications = Your applications
kind-passkey = Passkey
kind-security-key = Security key
added-when = Added { $when }
last-used-when = last used { $when }
not-used-yet = not used yet
authenticator-app = Authenticator app
required-for-account = required for your account
only-password = Only your password protects this account.
recovery-codes = Recovery codes
recovery-left = { $left } of { $total } left
recovery-used-when = one was used { $when }
recovery-new = Get new recovery codes
key-name = Name of the new key
key-name-help = For example "work laptop" or "blue key": how you will recognise it in this list.
key-kind = Kind
key-kind-passkey = Passkey (signs you in on its own)
key-kind-security-key = Security key (after your password)
key-add = Add a passkey or security key
key-needs-javascript = Adding a passkey or security key needs JavaScript.
where-signed-in = Where you are signed in
this-browser = this browser
near-place = Near { $place }
signed-in-when = signed in { $when }
last-seen-when = last seen { $when }
no-applications-yet = No applications yet
applications = Applications:
sign-out-here = Sign out here
end-session = End this session
end-other-sessions = End all other sessions
other-accounts = Other accounts on this browser
confirm-identity-title = Confirm it is you
confirm-identity-lede = Changing how you sign in needs a recent sign-in. Enter your password to continue.

## Profile
profile-title = Your profile
profile-name = Name
profile-name-label = Name shown to applications
profile-name-save = Save the name
profile-send-confirmation = Send a confirmation link to this address
profile-no-address = No address yet.
profile-new-address = New address
profile-new-address-help = We send a link to the new address; it becomes yours once you open it.
profile-change-address = Change the address
profile-current-recent = You signed in a moment ago: you may leave this empty.
profile-current-needed = Needed to change it.
profile-end-others = Sign out everywhere else
profile-change-password = Change the password

## Password reset
forgot-lede = Enter your username or email address. If an account matches, we send a link to set a new password to the address it has.
forgot-sent = If an account matches, a message with a link to set a new password is on its way to the address it has. The link works once, for { $minutes } minutes.
reset-title = Set a new password
reset-key-only = This account's second step is a security key or passkey, which this page cannot ask for. Sign in with your passkey and change your password from your account, or ask whoever runs this service to reset your second factors.
reset-password-help = At least 8 characters. Everyone signed in to your account is signed out.
reset-code = Code from your authenticator app, or a recovery code
reset-submit = Set the new password
reset-done-title = Password changed
reset-done-heading = Your password was changed
reset-done-lede = Everyone who was signed in to your account has been signed out. Sign in with your new password.

## Sign-up
signup-sent = Almost there: open the link we mailed to your address to finish. Your account exists once you do.
signup-invited = You were invited as <strong>{ $address }</strong>. Choose how you sign in.
signup-name = Your name (optional)
signup-submit = Create the account
signup-confirm-title = Your new account
signup-ready = Your account is ready
signup-sign-in-as = Sign in as <strong>{ $account }</strong>.
signup-confirm-heading = Confirm your new account
signup-confirm-lede = Create the account <strong>{ $account }</strong> for <strong>{ $address }</strong>?

## Email confirmation
confirm-email-title = Confirm your email address
confirm-email-done = Your address is confirmed
confirm-email-done-lede = <strong>{ $address }</strong> is the address of your account <strong>{ $account }</strong>.
confirm-email-lede = Make <strong>{ $address }</strong> the address of your account <strong>{ $account }</strong>?
verify-email-lede = <strong>{ $app }</strong> needs a confirmed email address for your account <strong>{ $account }</strong>.
verify-email-sent = A link is on its way to { $address }. Open it (in any browser), confirm, then continue here.
verify-email-continue = I have confirmed it: continue
verify-email-send = Send a link to { $address }
verify-email-send-another = Send another link to { $address }
verify-email-no-address = Your account has no email address yet.
verify-email-add-address = Add one on your profile, confirm it from the message we send, then come back to this page.

## Access needed
access-needed-title = Developer access needed
access-needed-lede = You are signed in as <strong>{ $account }</strong>, who cannot register applications. Ask whoever runs this service to give this account developer access.
access-needed-others = Also signed in on this browser, with developer access:

## No access
no-access-title = No access
no-access-heading = You have no access to { $app }
no-access-lede = <strong>{ $account }</strong> is not in a group that <strong>{ $app }</strong> admits. If you need it, ask whoever runs { $product } to add you; or sign in with another account.
scope-groups = See which groups you are in

## Admin console
admin-console = Admin console
admin-users = Users
admin-groups = Groups
admin-audit = Audit log
admin-forbidden-title = Admin access needed
admin-forbidden = This account cannot use the admin console. Sign in with an account that has the admin or auditor role.
admin-not-found-title = Not found
admin-no-user = There is no user { $name }.
admin-no-group = There is no group { $name }.
admin-search-users = Search by username or email
admin-search = Search
admin-state = State
admin-active = active
admin-disabled = disabled
admin-no-users = No users match.
admin-next-page = Next page
admin-new-user = New user
admin-create-user = Create the user
admin-roles = Roles
admin-created = Created
admin-sessions = Sessions
admin-leave-group = Remove from { $group }
admin-add-to-group = Add to a group
admin-add = Add
admin-account = Account
admin-enable = Enable the account
admin-disable = Disable the account (ends its sessions)
admin-delete-confirm = Delete this user: their sessions end, every app is told, their tokens stop working
admin-delete-user = Delete the user
admin-delete-tick = Tick the box to confirm the deletion.
admin-their-audit = What happened to this account
admin-last-admin = This is the last enabled admin: give another account the admin role first.
admin-unknown-action = That is not something this page does.
admin-user-deleted = { $name } was deleted; their apps are being told.
admin-done-created = Created.
admin-done-disabled = The account is disabled and its sessions ended.
admin-done-enabled = The account is enabled.
admin-done-joined = Added to the group.
admin-done-left = Removed from the group.
admin-done-deleted = Deleted.
admin-done-restricted = The app now admits only members of its groups.
admin-done-unrestricted = The app no longer names this group.
admin-group = Group
admin-members = Members
admin-no-groups = No groups yet.
admin-new-group = New group
admin-group-name = Name
admin-group-name-help = Letters, digits and . _ - : / — apps see it in the groups claim.
admin-create-group = Create the group
admin-no-members = Nobody is in this group.
admin-group-apps = Apps for members of this group
admin-group-apps-help = An app listed here admits only people in one of its groups; anyone else is told they have no access.
admin-unrestrict = Stop naming this group
admin-restrict-app = Admit only this group's members to
admin-restrict = Restrict
admin-delete-group = Delete the group
admin-event = Event
admin-filter = Filter
admin-export = Export these as JSON lines
admin-when = When
admin-details = Details
admin-no-events = No events match.
admin-older = Older events
admin-edit = Name, address and roles
admin-email-verified = The address is confirmed (you vouch for it)
admin-send-reset = Mail a link to set a new password
admin-reset-factors = Remove their second factors
admin-logout = Sign them out everywhere
admin-done-saved = Saved.
admin-done-logged-out = Every session of the account has ended; its apps are being told.
admin-done-factors-reset = Their second factors are removed and their sessions ended.
admin-done-reset-sent = A link to set a new password is on its way to their address (if they have one).
admin-no-sessions = Not signed in anywhere.
admin-no-session = That session has ended already.
admin-done-session-ended = The session has ended; its apps are being told.
admin-keys = Signing keys
admin-keys-help = A new key is published at once and signs once every app's cached key set has it; a revoked key stops verifying as soon as apps refetch the key set.
admin-key-signs-from = Signs from
admin-key-until = Published until
admin-key-revoke = Revoke
admin-key-revoke-named = Revoke { $kid }
admin-key-rotate = Rotate
admin-key-alg = Algorithm of the new key
admin-done-rotated = A new key is published; it signs once apps' caches have it.
admin-done-revoked = The key is revoked.
admin-clients = Apps
admin-clients-help = What only operators set. Registration details (redirect URIs, logos, secrets) are on the developer portal, which admins see for every app; the groups an app admits are set on each group's page.
admin-first-party = first-party (no consent page)
admin-resource-server = may introspect every access token
admin-require-second-factor = everyone signing in needs a second factor
admin-require-verified-email = people need a confirmed address
admin-admits = Admits
admin-anyone = anyone
admin-portal = Registration
admin-no-clients = No apps yet.
