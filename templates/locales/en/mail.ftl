# Mail, in English. { $service } is the service's name in mail (the
# issuer's host).

mail-hello = Hello { $name },
mail-hello-anyone = Hello,
mail-reset-subject = Set a new password for { $service }
mail-reset-intro = Someone asked to set a new password for your account on { $service }. If it was you, open this link within { $minutes } minutes:
mail-reset-button = Set a new password
mail-reset-outro = The link works once. If you did not ask, ignore this message: your password stays as it is, and nobody can use the link without your mailbox.
mail-password-changed-subject = Your { $service } password was changed
mail-password-changed = The password of your account on { $service } was changed ({ $how }). Everyone signed in to it was signed out.
mail-password-changed-outro = If this was not you, reset your password now from the sign-in page ("Forgot your password?") and tell the people who run { $service }.
mail-changed-by-link = with a reset link
mail-changed-on-account-page = from your account page
mail-verify-subject = Confirm your email address for { $service }
mail-verify-intro = To confirm that { $address } is your address on { $service }, open this link within { $minutes } minutes:
mail-verify-button = Confirm the address
mail-verify-outro = If you did not ask for this, ignore this message: nothing changes.
mail-email-change-subject = Your { $service } email address is being changed
mail-email-change = Someone signed in to your account on { $service } asked to change its email address. The change takes effect only once the new address is confirmed from the message sent to it; until then this address stays.
mail-email-change-outro = If this was not you, change your password now and end your other sessions from your account page.
mail-invitation-subject = You are invited to { $service }
mail-invitation = You are invited to { $service }. To choose your username and password, open this link within { $days } days:
mail-invitation-button = Accept the invitation
mail-invitation-outro = The link works once. If you did not expect this, ignore this message.
mail-account-exists-subject = You already have a { $service } account
mail-account-exists = Someone asked to create an account on { $service } with this address, which already has one. Nothing was created.
mail-account-exists-outro = If it was you, sign in instead; if you forgot your password, use "Forgot your password?" on the sign-in page. If it was not you, you need not do anything.
mail-account-changed-subject = { $change } on your { $service } account
mail-account-changed = { $change } on your account on { $service }: { $detail }.
mail-account-changed-outro = If this was you, you need not do anything. If it was not, change your password now ("Forgot your password?" on the sign-in page if you cannot sign in), end your other sessions from your account page, and tell the people who run { $service }.
mail-change-factor-added = A second factor was added
mail-change-factor-removed = A second factor was removed
mail-change-new-browser = Someone signed in from a browser not used before
