# Was Seiten sagen, wenn etwas abgelehnt wird oder schiefgeht, und Wörter
# für Zeiten, auf Deutsch.

## Zeiten
duration-seconds = { $count ->
    [one] 1 Sekunde
   *[other] { $count } Sekunden
}
duration-minutes = { $count ->
    [one] 1 Minute
   *[other] { $count } Minuten
}
duration-hours = { $count ->
    [one] 1 Stunde
   *[other] { $count } Stunden
}
duration-days = { $count ->
    [one] 1 Tag
   *[other] { $count } Tage
}
time-just-now = gerade eben
time-minutes-ago = vor { $count } Min.
time-hours-ago = vor { $count } Std.
time-days-ago = { $count ->
    [one] vor 1 Tag
   *[other] vor { $count } Tagen
}

## Ablehnungen
the-application = die Anwendung
not-available = Nicht verfügbar
not-possible = Nicht möglich
not-sent = Nicht gesendet
did-not-work = Das hat nicht funktioniert
link-gone = Dieser Link funktioniert nicht mehr
too-many-from-network = Zu viele Anfragen aus Ihrem Netz. Versuchen Sie es in einer Stunde erneut.
page-out-of-date = Diese Seite ist veraltet. Laden Sie sie neu und versuchen Sie es erneut.
password-weak = Ein Passwort hat 8 bis 1024 Zeichen.
password-mismatch = Die beiden Passwörter unterscheiden sich.
password-wrong = Das Passwort ist falsch.
email-invalid = Das ist keine E-Mail-Adresse.
name-invalid = Ein Name hat höchstens 200 Zeichen und keine Steuerzeichen.
username-invalid = Ein Benutzername hat 1 bis 64 Zeichen: Buchstaben, Ziffern und . _ - @
username-taken = Dieser Benutzername ist vergeben: wählen Sie einen anderen.
wrong-code = Dieser Code stimmt nicht. Jeder Code funktioniert einmal: Haben Sie ihn gerade benutzt, warten Sie auf den nächsten.
too-many-codes = Zu viele falsche Codes. Versuchen Sie es in { $wait } erneut.
totp-wrong-code = Dieser Code stimmt nicht. Prüfen Sie, dass die App dieses Konto zeigt, und geben Sie den Code ein, den sie jetzt anzeigt.
second-factor-expired = Diese Anmeldung wurde nicht rechtzeitig abgeschlossen oder ist schon abgeschlossen. Kehren Sie zur Anwendung zurück und melden Sie sich erneut an.
second-factor-throttled = Zu viele falsche Codes für dieses Konto. Warten Sie { $wait } und versuchen Sie es dann erneut.
second-factor-too-many = Zu viele falsche Codes. Zu Ihrer Sicherheit wurde diese Anmeldung beendet; beginnen Sie erneut mit Ihrem Passwort.
sign-in-expired-start-again = Diese Anmeldung ist abgelaufen. Beginnen Sie neu.
factor-last-title = Dieser Faktor kann nicht entfernt werden
key-last-title = Dieser Schlüssel kann nicht entfernt werden
factor-last = Ihr Konto muss einen zweiten Faktor haben, und dies ist sein einziger.
key-choose-kind = Wählen Sie einen Passkey oder einen Sicherheitsschlüssel.
key-name-invalid = Geben Sie ihm einen Namen mit höchstens 64 Zeichen.
webauthn-unavailable = Passkeys und Sicherheitsschlüssel sind auf diesem Server nicht verfügbar.
webauthn-expired = Dieser Versuch ist abgelaufen oder wurde in einem anderen Browser begonnen. Versuchen Sie es erneut.
webauthn-rejected = Die Antwort des Authentifikators wurde nicht angenommen.
webauthn-duplicate = Dieser Schlüssel ist bereits registriert.
webauthn-too-many = Dieses Konto hat so viele Schlüssel, wie es haben darf.
webauthn-server = Bei uns ist etwas schiefgegangen.
webauthn-server-retry = Bei uns ist etwas schiefgegangen. Versuchen Sie es erneut.
reset-not-available = Passwörter werden hier nicht per E-Mail zurückgesetzt: wenden Sie sich an die Betreiber dieses Dienstes.
reset-link-gone = Er ist abgelaufen, wurde schon benutzt, oder ein neuerer Link wurde gesendet. Fordern Sie auf der Anmeldeseite einen neuen an („Passwort vergessen?“).
reset-code-needed = Geben Sie den Code aus Ihrer Authenticator-App oder einen Wiederherstellungscode ein.
reset-key-only-short = Der zweite Schritt dieses Kontos ist ein Sicherheitsschlüssel oder Passkey.
profile-link-gone = Er ist abgelaufen, wurde schon benutzt, oder ein neuerer Link wurde gesendet. Fordern Sie in Ihrem Profil einen neuen an.
profile-password-in-directory = Ihr Passwort wird im Verzeichnis Ihrer Organisation verwaltet. Ändern Sie es dort; es gilt hier bei der nächsten Anmeldung.
profile-current-needed-error = Geben Sie Ihr aktuelles Passwort ein.
profile-current-wrong = Ihr aktuelles Passwort stimmt nicht.
profile-name-saved = Ihr Name ist gespeichert.
profile-email-sent = Ein Bestätigungslink ist an diese Adresse unterwegs. Sie wird Ihre, sobald Sie ihn öffnen.
profile-password-changed = Ihr Passwort ist geändert.
signup-not-available = Konten werden hier nicht auf diese Weise erstellt: wenden Sie sich an die Betreiber dieses Dienstes.
signup-link-gone = Er ist abgelaufen oder wurde schon benutzt.
signup-taken-title = Dieser Benutzername wurde inzwischen vergeben
signup-taken = Jemand hat damit ein Konto erstellt, bevor Sie Ihres bestätigt haben. Registrieren Sie sich erneut mit einem anderen Benutzernamen.
developer-no-such-title = Keine solche Anwendung
developer-no-such = Diese Anwendung gibt es nicht, oder sie gehört nicht Ihnen.
developer-deleted = Die Anwendung wurde gelöscht; ihre Tokens funktionieren nicht mehr.
delete-tick = Setzen Sie das Häkchen, um das Löschen zu bestätigen.
grace-ended = Das alte Secret funktioniert nicht mehr.
grace-note = Das alte Secret funktioniert noch { $duration }; setzen Sie das neue vorher ein.

## Fehlerseiten
error-sign-in-server = { $product } konnte diese Anmeldeanfrage gerade nicht bearbeiten. Bitte versuchen Sie es gleich noch einmal.
error-invalid-request-title = Diese Anmeldeanfrage ist ungültig
error-invalid-request = Die Anwendung, die Sie hierher geschickt hat, hat eine Anfrage gestellt, die { $product } nicht annehmen kann; Sie können daher nicht sicher zu ihr zurückgeschickt werden.
error-expired-title = Diese Anmeldung ist abgelaufen
error-expired = Diese Anmeldeseite ist nicht mehr gültig: sie hat zu lange gewartet, oder der Link ist unvollständig.
error-answered-title = Diese Anmeldung ist bereits abgeschlossen
error-answered = Die Anwendung hat ihre Antwort schon. Kehren Sie zu ihr zurück, um weiterzumachen, oder öffnen Sie Ihre Kontoseite.
error-logout-invalid-title = Diese Abmeldeanfrage ist ungültig
error-logout-invalid = Die Anwendung hat { $product } auf eine Weise um Ihre Abmeldung gebeten, die es nicht annehmen kann; Sie wurden hier daher nicht abgemeldet und werden nicht zu ihr zurückgeschickt. Sie können sich auf Ihrer Kontoseite abmelden.
