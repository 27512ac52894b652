-- A district officer's day in the admin (issue 16): staff accounts managed
-- in the web admin with a forced password change on first sign-in, the audit
-- log read per district by officers, and a dashboard that counts this week's
-- ideas without scanning every idea.

-- migrate:up

-- Set when an admin creates an account or resets its password in the web
-- admin: the temporary password must be replaced before any other page opens.
ALTER TABLE staff ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- An officer's audit log is their districts' entries, newest first.
CREATE INDEX audit_log_district ON audit_log (district, id DESC);

-- The dashboard's "ideas this week" and ideas per day (all districts, or one).
CREATE INDEX ideas_created ON ideas (created_at);
CREATE INDEX ideas_district_created ON ideas (district, created_at);

-- migrate:down
DROP INDEX ideas_district_created;
DROP INDEX ideas_created;
DROP INDEX audit_log_district;
ALTER TABLE staff DROP COLUMN must_change_password;
