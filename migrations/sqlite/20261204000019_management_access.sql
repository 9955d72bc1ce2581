-- What a client may do with the management API (set by an operator):
-- NULL (nothing), 'read' (what an auditor sees) or 'change' (what an admin
-- does). Read when a token is used, so taking it away ends access at once.
ALTER TABLE clients ADD COLUMN management_access TEXT;
