-- Photos taken with an answer (x-widget photo, forms/media.py): uploaded on their own
-- by the phone before the answer that names them, kept beside the answers.

-- A photo, by the id the phone gave it. Its bytes are small (the phone shrinks a
-- photo to ~200 KB; the server takes at most 300 KB), so they live in the database and
-- are backed up with it. Until an answer names it, only its uploader may read it; the
-- first answer that names it decides who may read it from then on (its household or
-- village), and every later answer naming it must be about the same one.
CREATE TABLE media (
    id            TEXT PRIMARY KEY,   -- a client UUID
    media_type    TEXT NOT NULL,      -- image/jpeg, image/png or image/webp, from its bytes
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,      -- of the bytes: the same upload again is no change
    bytes         BLOB NOT NULL,
    uploaded_by   TEXT NOT NULL,      -- the actor's name, as submissions.submitted_by
    uploaded_at   TEXT NOT NULL,
    submission_id TEXT REFERENCES submissions(id),  -- the first answer naming it
    household_id  TEXT,               -- ... and what that answer is about
    village_code  TEXT
);

CREATE INDEX media_by_submission ON media(submission_id);

-- Which answers name which photo, and where in the answers (a JSON pointer).
CREATE TABLE submission_media (
    submission_id TEXT NOT NULL REFERENCES submissions(id),
    path          TEXT NOT NULL,
    media_id      TEXT NOT NULL REFERENCES media(id),
    PRIMARY KEY (submission_id, path)
);

CREATE INDEX submission_media_by_media ON submission_media(media_id);
