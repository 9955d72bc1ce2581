# Die Seiten von Sesame, auf Deutsch. Jede Nachricht darf { $product }
# verwenden, den vom Betreiber gesetzten Produktnamen (ui.product_name).

## Gemeinsame Wörter
sign-in = Anmelden
sign-out = Abmelden
username = Benutzername
password = Passwort
password-again = Passwort wiederholen
new-password = Neues Passwort
new-password-again = Neues Passwort wiederholen
current-password = Aktuelles Passwort
password-length-help = Mindestens 8 Zeichen.
email-address = E-Mail-Adresse
username-or-email = Benutzername oder E-Mail-Adresse
code = Code
continue = Weiter
cancel = Abbrechen
confirm = Bestätigen
done = Fertig
verify = Prüfen
remove = Entfernen
remove-named = { $name } entfernen
delete = Löschen
switch = Wechseln
allow = Erlauben
deny = Ablehnen
confirmed = bestätigt
not-confirmed = nicht bestätigt
create-account = Konto erstellen
your-account = Ihr Konto
back-to-account = Zurück zu Ihrem Konto
back-to-sign-in = Zurück zur Anmeldung
back-to-app = Zurück zur Anwendung
continue-to-app = Weiter zur Anwendung
return-to-app = Zurück zu { $app }
cancel-back-to-app = Abbrechen und zur Anwendung zurückkehren
cancel-start-again = Abbrechen und neu beginnen
to-continue-to = um mit <strong>{ $app }</strong> fortzufahren
for-account = für <strong>{ $account }</strong>
signed-in-as = Angemeldet als <strong>{ $account }</strong>
signed-in-as-admin = Angemeldet als <strong>{ $account }</strong> (Administration)
continue-as = Weiter als { $account }
switch-to = Zu { $account } wechseln
switch-account = Als anderes Konto in diesem Browser handeln
use-another-account = Anderes Konto verwenden
sign-in-another-account = Mit einem anderen Konto anmelden
sign-in-instead = Stattdessen anmelden
sign-in-again = Erneut anmelden
stay-signed-in = Angemeldet bleiben
nothing-came = Nichts angekommen? Sehen Sie im Spam-Ordner nach, oder versuchen Sie es in ein paar Minuten erneut.
send-link = Link senden
what-next = Wie weiter
privacy-policy = Datenschutzerklärung
terms-of-service = Nutzungsbedingungen
about-app = Über { $app }

## Startseite
home-lede = Eine Anmeldung für die Anwendungen von { $service }.
home-account = Anmelden oder Ihr Konto ansehen
home-developer = Für Entwickler: eine Anwendung registrieren
home-discovery = Anwendungen finden diesen Dienst unter <code>{ $issuer }/.well-known/openid-configuration</code>.

## Anmeldung
login-to-your-account = bei Ihrem { $product }-Konto
forgot-password-link = Passwort vergessen?
sign-in-with-passkey = Mit einem Passkey anmelden
login-wrong = Benutzername oder Passwort ist falsch.
login-throttled = Zu viele Anmeldeversuche. Warten Sie { $wait } und versuchen Sie es dann erneut.
login-missing = Geben Sie Benutzername und Passwort ein.
login-disabled = Dieses Konto ist gesperrt. Bitten Sie die Betreiber von { $product }, es freizuschalten.
webauthn-prompt = Folgen Sie der Aufforderung Ihres Browsers …
webauthn-creating = Folgen Sie der Aufforderung Ihres Browsers, um den Schlüssel zu erstellen …
webauthn-cancelled = Abgebrochen. Sie können es erneut versuchen.
webauthn-failed = Das hat nicht funktioniert. Versuchen Sie es erneut.

## Konto wählen
choose-account = Konto wählen
forget-account = Abmelden und vergessen
forget-account-label = { $account } abmelden und in diesem Browser vergessen

## Zustimmung
consent-title = Zugriff erlauben
consent-heading = { $app } erlauben?
consent-lede = Angemeldet als <strong>{ $account }</strong>. { $app } möchte:
consent-not-you = Nicht { $account }?
scope-openid = Wissen, wer Sie bei der Anmeldung sind
scope-profile = Ihren Namen und Benutzernamen sehen
scope-email = Ihre E-Mail-Adresse sehen
scope-offline-access = Mit Ihrem Konto verbunden bleiben, während Sie es nicht nutzen
scope-other = Eine Berechtigung dieses Servers nutzen

## Zweiter Faktor
two-step-verification = Bestätigung in zwei Schritten
second-factor-totp = Geben Sie den sechsstelligen Code ein, den Ihre Authenticator-App für dieses Konto anzeigt.
second-factor-key = Verwenden Sie Ihren Sicherheitsschlüssel oder Passkey, um die Anmeldung abzuschließen.
second-factor-codes = Geben Sie einen Ihrer Wiederherstellungscodes ein, um die Anmeldung abzuschließen.
second-factor-unusable = Der zweite Schritt dieses Kontos ist ein Sicherheitsschlüssel oder Passkey, den dieser Server unter seiner jetzigen Adresse nicht verwenden kann. Bitten Sie die Betreiber, Ihre zweiten Faktoren zurückzusetzen.
second-factor-use-key = Sicherheitsschlüssel oder Passkey verwenden
second-factor-lost-phone = Telefon verloren? Geben Sie stattdessen einen Ihrer Wiederherstellungscodes ein.
second-factor-code-help = Ein Wiederherstellungscode, so wie er Ihnen angezeigt wurde.
set-up-authenticator = Authenticator-App einrichten
totp-required = Ihr Konto verlangt bei der Anmeldung einen zweiten Schritt. Richten Sie ihn jetzt ein, um fortzufahren.
totp-scan = Scannen Sie diesen Code mit einer Authenticator-App (zum Beispiel einem Passwortmanager, Google Authenticator oder FreeOTP):
totp-type-key = Oder geben Sie diesen Schlüssel in der App ein:
totp-enter-code = Geben Sie den sechsstelligen Code ein, den die App jetzt anzeigt, um zu bestätigen, dass es funktioniert.
turn-on = Einschalten
recovery-title = Ihre Wiederherstellungscodes
recovery-lede = Wenn Sie Ihre Authenticator-App verlieren, meldet Sie jeder dieser Codes einmal an ihrer Stelle an. Bewahren Sie sie sicher auf. Sie werden nur jetzt angezeigt.
recovery-saved-continue = Ich habe sie gespeichert, weiter

## Abmelden
logout-title = Abmelden?
logout-app-asks = <strong>{ $app }</strong> möchte <strong>{ $account }</strong> abmelden: von { $product } in diesem Browser und von jeder damit angemeldeten Anwendung.
logout-question = <strong>{ $account }</strong> von { $product } in diesem Browser und von jeder damit angemeldeten Anwendung abmelden?
logout-this-account = { $account } abmelden
logout-others-signed-in = In diesem Browser ebenfalls angemeldet: { $accounts }.
logout-every-account = Alle Konten in diesem Browser abmelden
signed-out-title = Abgemeldet
signed-out-heading = Sie sind abgemeldet
signed-out-frame = Abmeldung von einer Anwendung
signed-out-go-to-other = Zum noch angemeldeten Konto
signed-out-nobody = In diesem Browser war niemand bei { $product } angemeldet.
signed-out-one = { $accounts } ist in diesem Browser von { $product } abgemeldet, und von den damit genutzten Anwendungen.
signed-out-many = { $accounts } sind in diesem Browser von { $product } abgemeldet, und von den damit genutzten Anwendungen.
signed-out-still = In diesem Browser noch angemeldet: { $accounts }.
returning-title = Zurück zur Anwendung
returning-heading = Zurück zur Anwendung …

## Fehler
error-details-for-developers = Einzelheiten für die Entwickler der Anwendung:
error-go-back = Kehren Sie zur Anwendung zurück, von der Sie kamen, und melden Sie sich erneut an, oder
error-start-again = beginnen Sie neu auf Ihrer Kontoseite.
error-reference = Referenz:
error-not-found-title = Seite nicht gefunden
error-not-found = Unter dieser Adresse gibt es nichts. Melden Sie sich in der Anwendung an, die Sie benutzt haben, oder gehen Sie zu Ihrem Konto.
error-method-title = Auf diese Weise nicht verfügbar
error-method = Diese Adresse beantwortet diese Art von Anfrage nicht. Gehen Sie zurück und versuchen Sie es von der Seite aus, von der Sie kamen.
error-unavailable-title = { $product } ist kurz nicht erreichbar
error-unavailable = { $product } erreicht gerade seinen Speicher nicht. Nichts, was Sie getan haben, ging verloren; bitte versuchen Sie es gleich noch einmal.
error-server-title = Etwas ist schiefgegangen
error-server = { $product } konnte dies nicht abschließen. Nichts, was Sie getan haben, ging verloren; bitte versuchen Sie es erneut. Wenn es wieder passiert, nennen Sie den Betreibern von { $product } die Referenz unten.
error-form-title = Das Formular wurde nicht angenommen
error-form = Das Formular wurde nicht von der Seite dieser Website gesendet, oder Ihr Browser hat dessen Cookie nicht behalten. Erlauben Sie Cookies für diese Website und versuchen Sie es erneut.

## Konto
account-profile-link = Name, E-Mail und Passwort
your-applications = Ihre Anwendungen
kind-passkey = Passkey
kind-security-key = Sicherheitsschlüssel
added-when = Hinzugefügt { $when }
last-used-when = zuletzt benutzt { $when }
not-used-yet = noch nicht benutzt
authenticator-app = Authenticator-App
required-for-account = für Ihr Konto verlangt
only-password = Nur Ihr Passwort schützt dieses Konto.
recovery-codes = Wiederherstellungscodes
recovery-left = { $left } von { $total } übrig
recovery-used-when = einer wurde { $when } benutzt
recovery-new = Neue Wiederherstellungscodes erzeugen
key-name = Name des neuen Schlüssels
key-name-help = Zum Beispiel „Arbeitslaptop“ oder „blauer Schlüssel“: woran Sie ihn in dieser Liste erkennen.
key-kind = Art
key-kind-passkey = Passkey (meldet Sie allein an)
key-kind-security-key = Sicherheitsschlüssel (nach Ihrem Passwort)
key-add = Passkey oder Sicherheitsschlüssel hinzufügen
key-needs-javascript = Zum Hinzufügen eines Passkeys oder Sicherheitsschlüssels wird JavaScript benötigt.
where-signed-in = Wo Sie angemeldet sind
this-browser = dieser Browser
near-place = In der Nähe von { $place }
signed-in-when = angemeldet { $when }
last-seen-when = zuletzt gesehen { $when }
no-applications-yet = Noch keine Anwendungen
applications = Anwendungen:
sign-out-here = Hier abmelden
end-session = Diese Sitzung beenden
end-other-sessions = Alle anderen Sitzungen beenden
other-accounts = Weitere Konten in diesem Browser
confirm-identity-title = Bestätigen Sie, dass Sie es sind
confirm-identity-lede = Um zu ändern, wie Sie sich anmelden, ist eine frische Anmeldung nötig. Geben Sie Ihr Passwort ein, um fortzufahren.

## Profil
profile-title = Ihr Profil
profile-name = Name
profile-name-label = Name, den Anwendungen sehen
profile-name-save = Namen speichern
profile-send-confirmation = Bestätigungslink an diese Adresse senden
profile-no-address = Noch keine Adresse.
profile-new-address = Neue Adresse
profile-new-address-help = Wir senden einen Link an die neue Adresse; sie wird Ihre, sobald Sie ihn öffnen.
profile-change-address = Adresse ändern
profile-current-recent = Sie haben sich gerade angemeldet: Sie können dieses Feld leer lassen.
profile-current-needed = Zum Ändern nötig.
profile-end-others = Überall sonst abmelden
profile-change-password = Passwort ändern

## Passwort zurücksetzen
forgot-lede = Geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein. Passt ein Konto, senden wir einen Link zum Setzen eines neuen Passworts an dessen Adresse.
forgot-sent = Passt ein Konto, ist eine Nachricht mit einem Link zum Setzen eines neuen Passworts an dessen Adresse unterwegs. Der Link funktioniert einmal, { $minutes } Minuten lang.
reset-title = Neues Passwort setzen
reset-key-only = Der zweite Schritt dieses Kontos ist ein Sicherheitsschlüssel oder Passkey, den diese Seite nicht abfragen kann. Melden Sie sich mit Ihrem Passkey an und ändern Sie Ihr Passwort in Ihrem Konto, oder bitten Sie die Betreiber, Ihre zweiten Faktoren zurückzusetzen.
reset-password-help = Mindestens 8 Zeichen. Alle, die bei Ihrem Konto angemeldet sind, werden abgemeldet.
reset-code = Code aus Ihrer Authenticator-App oder ein Wiederherstellungscode
reset-submit = Neues Passwort setzen
reset-done-title = Passwort geändert
reset-done-heading = Ihr Passwort wurde geändert
reset-done-lede = Alle, die bei Ihrem Konto angemeldet waren, wurden abgemeldet. Melden Sie sich mit Ihrem neuen Passwort an.

## Registrierung
signup-sent = Fast geschafft: Öffnen Sie den Link, den wir an Ihre Adresse geschickt haben. Ihr Konto entsteht, sobald Sie das tun.
signup-invited = Sie wurden als <strong>{ $address }</strong> eingeladen. Wählen Sie, wie Sie sich anmelden.
signup-name = Ihr Name (freiwillig)
signup-submit = Konto erstellen
signup-confirm-title = Ihr neues Konto
signup-ready = Ihr Konto ist bereit
signup-sign-in-as = Melden Sie sich als <strong>{ $account }</strong> an.
signup-confirm-heading = Neues Konto bestätigen
signup-confirm-lede = Das Konto <strong>{ $account }</strong> für <strong>{ $address }</strong> erstellen?

## E-Mail-Bestätigung
confirm-email-title = E-Mail-Adresse bestätigen
confirm-email-done = Ihre Adresse ist bestätigt
confirm-email-done-lede = <strong>{ $address }</strong> ist die Adresse Ihres Kontos <strong>{ $account }</strong>.
confirm-email-lede = <strong>{ $address }</strong> zur Adresse Ihres Kontos <strong>{ $account }</strong> machen?
verify-email-lede = <strong>{ $app }</strong> braucht eine bestätigte E-Mail-Adresse für Ihr Konto <strong>{ $account }</strong>.
verify-email-sent = Ein Link ist an { $address } unterwegs. Öffnen Sie ihn (in einem beliebigen Browser), bestätigen Sie, und fahren Sie dann hier fort.
verify-email-continue = Ich habe bestätigt: weiter
verify-email-send = Link an { $address } senden
verify-email-send-another = Noch einen Link an { $address } senden
verify-email-no-address = Ihr Konto hat noch keine E-Mail-Adresse.
verify-email-add-address = Fügen Sie in Ihrem Profil eine hinzu, bestätigen Sie sie über die Nachricht, die wir senden, und kehren Sie dann zu dieser Seite zurück.

## Zugang nötig
access-needed-title = Entwicklerzugang nötig
access-needed-lede = Sie sind als <strong>{ $account }</strong> angemeldet; dieses Konto kann keine Anwendungen registrieren. Bitten Sie die Betreiber dieses Dienstes, ihm Entwicklerzugang zu geben.
access-needed-others = In diesem Browser ebenfalls angemeldet, mit Entwicklerzugang:

## No access
no-access-title = Kein Zugang
no-access-heading = Sie haben keinen Zugang zu { $app }
no-access-lede = <strong>{ $account }</strong> ist in keiner Gruppe, die <strong>{ $app }</strong> zulässt. Wenn Sie Zugang brauchen, bitten Sie die Betreiber von { $product }, Sie aufzunehmen; oder melden Sie sich mit einem anderen Konto an.
scope-groups = Sehen, in welchen Gruppen Sie sind

## Administration
admin-console = Administration
admin-users = Benutzer
admin-groups = Gruppen
admin-audit = Protokoll
admin-forbidden-title = Administrationszugang nötig
admin-forbidden = Dieses Konto kann die Administration nicht benutzen. Melden Sie sich mit einem Konto an, das die Rolle admin oder auditor hat.
admin-not-found-title = Nicht gefunden
admin-no-user = Es gibt keinen Benutzer { $name }.
admin-no-group = Es gibt keine Gruppe { $name }.
admin-search-users = Nach Benutzername oder E-Mail suchen
admin-search = Suchen
admin-state = Zustand
admin-active = aktiv
admin-disabled = gesperrt
admin-no-users = Keine passenden Benutzer.
admin-next-page = Nächste Seite
admin-new-user = Neuer Benutzer
admin-create-user = Benutzer anlegen
admin-roles = Rollen
admin-created = Angelegt
admin-sessions = Sitzungen
admin-leave-group = Aus { $group } entfernen
admin-add-to-group = Zu einer Gruppe hinzufügen
admin-add = Hinzufügen
admin-account = Konto
admin-enable = Konto freischalten
admin-disable = Konto sperren (beendet seine Sitzungen)
admin-delete-confirm = Diesen Benutzer löschen: seine Sitzungen enden, jede Anwendung wird informiert, seine Tokens funktionieren nicht mehr
admin-delete-user = Benutzer löschen
admin-delete-tick = Setzen Sie das Häkchen, um das Löschen zu bestätigen.
admin-their-audit = Was mit diesem Konto geschah
admin-last-admin = Dies ist der letzte aktive Administrator: geben Sie zuerst einem anderen Konto die Rolle admin.
admin-unknown-action = Das kann diese Seite nicht.
admin-user-deleted = { $name } wurde gelöscht; seine Anwendungen werden informiert.
admin-done-created = Angelegt.
admin-done-disabled = Das Konto ist gesperrt und seine Sitzungen sind beendet.
admin-done-enabled = Das Konto ist freigeschaltet.
admin-done-joined = Zur Gruppe hinzugefügt.
admin-done-left = Aus der Gruppe entfernt.
admin-done-deleted = Gelöscht.
admin-done-restricted = Die Anwendung lässt nun nur Mitglieder ihrer Gruppen zu.
admin-done-unrestricted = Die Anwendung nennt diese Gruppe nicht mehr.
admin-group = Gruppe
admin-members = Mitglieder
admin-no-groups = Noch keine Gruppen.
admin-new-group = Neue Gruppe
admin-group-name = Name
admin-group-name-help = Buchstaben, Ziffern und . _ - : / — Anwendungen sehen ihn im Claim groups.
admin-create-group = Gruppe anlegen
admin-no-members = Niemand ist in dieser Gruppe.
admin-group-apps = Anwendungen für Mitglieder dieser Gruppe
admin-group-apps-help = Eine hier genannte Anwendung lässt nur Menschen aus einer ihrer Gruppen zu; allen anderen wird gesagt, dass sie keinen Zugang haben.
admin-unrestrict = Diese Gruppe nicht mehr nennen
admin-restrict-app = Nur Mitglieder dieser Gruppe zulassen bei
admin-restrict = Beschränken
admin-delete-group = Gruppe löschen
admin-event = Ereignis
admin-filter = Filtern
admin-export = Diese als JSON-Zeilen exportieren
admin-when = Wann
admin-details = Einzelheiten
admin-no-events = Keine passenden Ereignisse.
admin-older = Ältere Ereignisse
admin-edit = Name, Adresse und Rollen
admin-email-verified = Die Adresse ist bestätigt (Sie bürgen dafür)
admin-send-reset = Link zum Setzen eines neuen Passworts senden
admin-reset-factors = Zweite Faktoren entfernen
admin-logout = Überall abmelden
admin-done-saved = Gespeichert.
admin-done-logged-out = Alle Sitzungen des Kontos sind beendet; seine Anwendungen werden informiert.
admin-done-factors-reset = Die zweiten Faktoren sind entfernt und die Sitzungen beendet.
admin-done-reset-sent = Ein Link zum Setzen eines neuen Passworts ist an die Adresse unterwegs (falls es eine gibt).
admin-no-sessions = Nirgends angemeldet.
admin-no-session = Diese Sitzung ist bereits beendet.
admin-done-session-ended = Die Sitzung ist beendet; ihre Anwendungen werden informiert.
admin-keys = Signaturschlüssel
admin-keys-help = Ein neuer Schlüssel wird sofort veröffentlicht und signiert, sobald jede Anwendung ihn im zwischengespeicherten Schlüsselsatz hat; ein widerrufener Schlüssel verifiziert nicht mehr, sobald Anwendungen den Schlüsselsatz neu laden.
admin-key-signs-from = Signiert ab
admin-key-until = Veröffentlicht bis
admin-key-revoke = Widerrufen
admin-key-revoke-named = { $kid } widerrufen
admin-key-rotate = Rotieren
admin-key-alg = Algorithmus des neuen Schlüssels
admin-done-rotated = Ein neuer Schlüssel ist veröffentlicht; er signiert, sobald die Zwischenspeicher der Anwendungen ihn haben.
admin-done-revoked = Der Schlüssel ist widerrufen.
admin-clients = Anwendungen
admin-clients-help = Was nur Betreiber festlegen. Registrierungsdaten (Redirect-URIs, Logos, Secrets) stehen im Entwicklerportal, das Administratoren für jede Anwendung sehen; welche Gruppen eine Anwendung zulässt, wird auf der Seite der jeweiligen Gruppe festgelegt.
admin-first-party = eigene Anwendung (ohne Zustimmungsseite)
admin-resource-server = darf jedes Zugriffstoken prüfen (Introspection)
admin-require-second-factor = wer sich anmeldet, braucht einen zweiten Faktor
admin-require-verified-email = Menschen brauchen eine bestätigte Adresse
admin-admits = Lässt zu
admin-anyone = alle
admin-portal = Registrierung
admin-no-clients = Noch keine Anwendungen.
