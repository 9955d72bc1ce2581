# E-Mails, auf Deutsch. { $service } ist der Name des Dienstes in E-Mails
# (der Host des Issuers).

mail-hello = Hallo { $name },
mail-hello-anyone = Hallo,
mail-reset-subject = Neues Passwort für { $service } setzen
mail-reset-intro = Jemand hat darum gebeten, ein neues Passwort für Ihr Konto bei { $service } zu setzen. Wenn Sie das waren, öffnen Sie diesen Link innerhalb von { $minutes } Minuten:
mail-reset-button = Neues Passwort setzen
mail-reset-outro = Der Link funktioniert einmal. Wenn Sie nicht darum gebeten haben, ignorieren Sie diese Nachricht: Ihr Passwort bleibt, wie es ist, und ohne Ihr Postfach kann niemand den Link verwenden.
mail-password-changed-subject = Ihr Passwort für { $service } wurde geändert
mail-password-changed = Das Passwort Ihres Kontos bei { $service } wurde geändert ({ $how }). Alle, die damit angemeldet waren, wurden abgemeldet.
mail-password-changed-outro = Wenn Sie das nicht waren, setzen Sie Ihr Passwort jetzt auf der Anmeldeseite zurück („Passwort vergessen?“) und informieren Sie die Betreiber von { $service }.
mail-changed-by-link = über einen Link zum Zurücksetzen
mail-changed-on-account-page = auf Ihrer Kontoseite
mail-verify-subject = E-Mail-Adresse für { $service } bestätigen
mail-verify-intro = Um zu bestätigen, dass { $address } Ihre Adresse bei { $service } ist, öffnen Sie diesen Link innerhalb von { $minutes } Minuten:
mail-verify-button = Adresse bestätigen
mail-verify-outro = Wenn Sie nicht darum gebeten haben, ignorieren Sie diese Nachricht: es ändert sich nichts.
mail-email-change-subject = Ihre E-Mail-Adresse bei { $service } wird geändert
mail-email-change = Jemand, der bei Ihrem Konto bei { $service } angemeldet ist, hat darum gebeten, dessen E-Mail-Adresse zu ändern. Die Änderung gilt erst, wenn die neue Adresse über die an sie gesendete Nachricht bestätigt ist; bis dahin bleibt diese Adresse.
mail-email-change-outro = Wenn Sie das nicht waren, ändern Sie jetzt Ihr Passwort und beenden Sie Ihre anderen Sitzungen auf Ihrer Kontoseite.
mail-invitation-subject = Sie sind zu { $service } eingeladen
mail-invitation = Sie sind zu { $service } eingeladen. Um Benutzernamen und Passwort zu wählen, öffnen Sie diesen Link innerhalb von { $days } Tagen:
mail-invitation-button = Einladung annehmen
mail-invitation-outro = Der Link funktioniert einmal. Wenn Sie das nicht erwartet haben, ignorieren Sie diese Nachricht.
mail-account-exists-subject = Sie haben bereits ein Konto bei { $service }
mail-account-exists = Jemand wollte mit dieser Adresse ein Konto bei { $service } erstellen; sie hat bereits eines. Es wurde nichts erstellt.
mail-account-exists-outro = Wenn Sie das waren, melden Sie sich stattdessen an; haben Sie Ihr Passwort vergessen, nutzen Sie „Passwort vergessen?“ auf der Anmeldeseite. Wenn Sie es nicht waren, müssen Sie nichts tun.
mail-account-changed-subject = { $change } bei Ihrem Konto bei { $service }
mail-account-changed = { $change } bei Ihrem Konto bei { $service }: { $detail }.
mail-account-changed-outro = Wenn Sie das waren, müssen Sie nichts tun. Wenn nicht, ändern Sie jetzt Ihr Passwort („Passwort vergessen?“ auf der Anmeldeseite, falls Sie sich nicht anmelden können), beenden Sie Ihre anderen Sitzungen auf Ihrer Kontoseite und informieren Sie die Betreiber von { $service }.
mail-change-factor-added = Ein zweiter Faktor wurde hinzugefügt
mail-change-factor-removed = Ein zweiter Faktor wurde entfernt
mail-change-new-browser = Jemand hat sich in einem bisher nicht benutzten Browser angemeldet
