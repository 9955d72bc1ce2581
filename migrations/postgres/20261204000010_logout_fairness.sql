-- Fair delivery counts each client's pending and claimed notices.
CREATE INDEX logout_deliveries_client ON logout_deliveries (client_id, status);
