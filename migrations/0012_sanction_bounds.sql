-- Sanctions with bounds: a sanction can be lifted or shortened (by an admin, or the moderator who
-- gave it), with a reason in the audit log. Lifting ends it now and says who did; the row stays,
-- so the identity's record still shows it was given.
ALTER TABLE sanctions ADD COLUMN lifted_at timestamptz;
ALTER TABLE sanctions ADD COLUMN lifted_by bigint REFERENCES members;
