-- A need's follow-up after the visit (双联 办理): each row is one step taken on
-- one need of one stored answer, on the day it happened. Rows are only added,
-- never changed, so a need's status on any day is its latest step up to that
-- day. `client_id` is the UUID the client chose, so a resend is recognised.
CREATE TABLE need_followups (
    id                INTEGER PRIMARY KEY,
    client_id         TEXT NOT NULL UNIQUE,
    body_hash         TEXT NOT NULL,
    submission_id     TEXT NOT NULL REFERENCES submissions(id),
    need_index        INTEGER NOT NULL CHECK (need_index >= 0),
    status            TEXT NOT NULL CHECK (status IN
                        ('open', 'solved_on_spot', 'referred', 'in_progress', 'solved',
                         'cannot_solve')),
    responsible_unit  TEXT,
    result            TEXT,
    satisfaction      TEXT CHECK (satisfaction IS NULL OR satisfaction IN
                        ('satisfied', 'basically_satisfied', 'dissatisfied')),
    happened_on       TEXT NOT NULL
                        CHECK (happened_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    recorded_at       TEXT NOT NULL,
    recorded_by       TEXT NOT NULL
);
CREATE INDEX need_followups_need ON need_followups(submission_id, need_index, happened_on);
