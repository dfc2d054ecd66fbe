-- The publish cycle: a form's one draft, who published, retired and restored each
-- version and why, and short-lived links that open a draft's preview on a phone.

-- The draft is kept as the designer typed it (it may not even be JSON yet: work in
-- progress is saved, never refused); it is checked when previewed and published.
-- A form may have a draft before its first version, so no reference to forms(id).
CREATE TABLE form_drafts (
    form_id     TEXT PRIMARY KEY,
    text        TEXT NOT NULL,
    text_hash   TEXT NOT NULL,
    based_on    INTEGER,          -- the version it was started from, if any
    saved_by    TEXT NOT NULL,
    saved_at    TEXT NOT NULL
);

-- Published versions stay immutable; only their status changes, and the last change
-- says who made it, when and why (the audit log keeps every one).
ALTER TABLE form_versions ADD COLUMN note TEXT;          -- the designer's word on publishing
ALTER TABLE form_versions ADD COLUMN retired_by TEXT;
ALTER TABLE form_versions ADD COLUMN retired_at TEXT;
ALTER TABLE form_versions ADD COLUMN restored_by TEXT;
ALTER TABLE form_versions ADD COLUMN restored_at TEXT;
ALTER TABLE form_versions ADD COLUMN reason TEXT;        -- of the last retire or restore

CREATE TRIGGER form_versions_immutable
BEFORE UPDATE OF form_id, version, schema, schema_hash, published_by, published_at
ON form_versions
BEGIN
    SELECT RAISE(ABORT, 'a published form version never changes');
END;

-- A draft's preview for a real phone: the QR code on the designer's page carries a
-- random token (stored as its SHA-256) that shows that form's draft, nothing else,
-- for a short while, without logging in on the phone.
CREATE TABLE draft_previews (
    token_hash  TEXT PRIMARY KEY,
    form_id     TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX draft_previews_expires ON draft_previews(expires_at);
