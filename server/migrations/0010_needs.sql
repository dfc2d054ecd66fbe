-- Needs as tracked items (双联 台账). Until now a need was an index into one
-- answer, and its follow-ups (need_followups) lived and died with that answer:
-- a household surveyed again saw its solved needs come back as open. Now each
-- need is an item with its own id, about a household, that outlives the answers
-- listing it; the steps taken on it (转办, 办理中, 已解决 ...) are its own.
--
-- needs           one item: what the household needs (category and item name it,
--                 description and urgency as last listed), who raised it in which
--                 answer, its paired cadre, and its current status (kept from its
--                 steps by the code that adds them, for lists and pages; reports
--                 recount it from the steps on any day).
-- need_listings   every answer that listed the item, at which place in it, with the
--                 description and urgency written then: history is never overwritten.
-- need_steps      what was done, by whom, on which day; only ever added. Keyed by the
--                 client's UUID, so a phone may resend a step safely.
CREATE TABLE needs (
    id                INTEGER PRIMARY KEY,
    household_id      TEXT REFERENCES households(id),
    village_code      TEXT,
    form_id           TEXT NOT NULL,
    category          TEXT NOT NULL,
    item              TEXT NOT NULL,
    description       TEXT,
    urgency           TEXT,
    raised_on         TEXT NOT NULL,  -- survey date of the answer that raised it
    raised_by         TEXT,           -- who sent that answer (user:12, link:3, cli:...)
    raised_in         TEXT NOT NULL REFERENCES submissions(id),
    last_listed_in    TEXT NOT NULL REFERENCES submissions(id),
    last_listed_on    TEXT NOT NULL,
    cadre_id          INTEGER REFERENCES users(id),  -- the paired cadre when last listed
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN
                        ('open', 'solved_on_spot', 'referred', 'in_progress', 'solved',
                         'cannot_solve')),
    responsible_unit  TEXT,
    status_on         TEXT,           -- day of the latest step; NULL: no step yet
    closed_on         TEXT,           -- first day a step closed it, while it is closed
    satisfaction      TEXT CHECK (satisfaction IS NULL OR satisfaction IN
                        ('satisfied', 'basically_satisfied', 'dissatisfied')),
    steps             INTEGER NOT NULL DEFAULT 0,
    -- The household's latest answer disagrees with the ledger, and the cadre is asked:
    -- 'not_listed' (still open, not listed since attention_in: closed, or still open?)
    -- or 'listed_again' (closed, listed again in attention_in: still solved?). The next
    -- step clears it.
    attention         TEXT CHECK (attention IS NULL OR attention IN ('not_listed', 'listed_again')),
    attention_in      TEXT REFERENCES submissions(id),
    -- Raised only by an answer since corrected, whose correction no longer lists it, and
    -- never worked on: kept for the history, counted nowhere.
    withdrawn_by      TEXT REFERENCES submissions(id),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    CHECK ((attention IS NULL) = (attention_in IS NULL))
);
CREATE INDEX needs_household ON needs(household_id, category, item);
CREATE INDEX needs_village ON needs(village_code, status);
CREATE INDEX needs_cadre ON needs(cadre_id, status);
CREATE INDEX needs_raised_in ON needs(raised_in);

CREATE TABLE need_listings (
    need_id        INTEGER NOT NULL REFERENCES needs(id),
    submission_id  TEXT NOT NULL REFERENCES submissions(id),
    path           TEXT NOT NULL,  -- JSON pointer of the need in the answer: /needs/2
    listed_on      TEXT NOT NULL,  -- the answer's survey date
    description    TEXT,
    urgency        TEXT,
    PRIMARY KEY (submission_id, path)
);
CREATE INDEX need_listings_need ON need_listings(need_id, listed_on);

CREATE TABLE need_steps (
    id                INTEGER PRIMARY KEY,
    client_id         TEXT NOT NULL UNIQUE,
    body_hash         TEXT NOT NULL,
    need_id           INTEGER NOT NULL REFERENCES needs(id),
    status            TEXT NOT NULL CHECK (status IN
                        ('open', 'solved_on_spot', 'referred', 'in_progress', 'solved',
                         'cannot_solve')),
    responsible_unit  TEXT,
    note              TEXT,
    satisfaction      TEXT CHECK (satisfaction IS NULL OR satisfaction IN
                        ('satisfied', 'basically_satisfied', 'dissatisfied')),
    happened_on       TEXT NOT NULL
                        CHECK (happened_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    recorded_at       TEXT NOT NULL,
    recorded_by       TEXT NOT NULL
);
CREATE INDEX need_steps_need ON need_steps(need_id, happened_on, id);

-- Officials' word on an answer: approved, has issues, rejected, with a comment the
-- cadre reads. Every review is kept; an answer's standing is its latest.
CREATE TABLE answer_reviews (
    id             INTEGER PRIMARY KEY,
    client_id      TEXT NOT NULL UNIQUE,
    body_hash      TEXT NOT NULL,
    submission_id  TEXT NOT NULL REFERENCES submissions(id),
    decision       TEXT NOT NULL CHECK (decision IN ('approved', 'has_issues', 'rejected')),
    comment        TEXT,
    reviewed_by    TEXT NOT NULL,
    reviewer_name  TEXT,
    reviewed_at    TEXT NOT NULL
);
CREATE INDEX answer_reviews_submission ON answer_reviews(submission_id, id);

-- The answers whose latest review rejects them: reports leave them out, and the
-- household counts its latest answer that is not rejected.
CREATE VIEW rejected_answers AS
SELECT r.submission_id FROM answer_reviews r
WHERE r.decision = 'rejected'
  AND r.id = (SELECT max(l.id) FROM answer_reviews l WHERE l.submission_id = r.submission_id);

-- ---------------------------------------------------------------- moving the follow-ups
--
-- Every need every stored answer lists (the old code read `$.needs` of any form)
-- becomes a listing of an item. Listings of one household with the same category
-- and item are one item: the first such need of each of its answers is the first
-- item, the second the second, and so on. (An answer that did not list a need
-- already followed up could not close it, so old re-surveys repeated their needs;
-- this joins them, as the issue asks. From now on a re-survey is matched by
-- server/needs_sync.py, which also knows whether the item was closed.) An answer
-- about no roster household yet keeps its needs to itself and its corrections.
-- Each follow-up becomes a step of the item its need became, with its id, client
-- UUID and body hash; a follow-up whose need cannot be found stops the migration
-- (need_id NOT NULL) rather than lose it.

CREATE TEMP TABLE old_listed AS
WITH RECURSIVE chain(id, root) AS (
    SELECT id, id FROM submissions WHERE corrects IS NULL
    UNION ALL
    SELECT s.id, chain.root FROM submissions s JOIN chain ON s.corrects = chain.id
)
SELECT s.id AS submission_id, s.rowid AS srow, s.form_id, s.household_id, s.village_code,
       coalesce(s.survey_date, substr(s.received_at, 1, 10)) AS listed_on, s.received_at,
       s.submitted_by, s.corrected_by, coalesce(chain.root, s.id) AS root,
       CAST(j.key AS INTEGER) AS idx,
       coalesce(j.value ->> '$.category', '') AS category,
       coalesce(j.value ->> '$.item', '') AS item,
       j.value ->> '$.description' AS description, j.value ->> '$.urgency' AS urgency
FROM submissions s LEFT JOIN chain ON chain.id = s.id, json_each(s.answers, '$.needs') j
WHERE json_type(s.answers, '$.needs') = 'array';

CREATE TEMP TABLE old_keyed AS
SELECT *, coalesce('h:' || household_id, 'a:' || root) AS grp,
       row_number() OVER (PARTITION BY submission_id, category, item ORDER BY idx) AS k
FROM old_listed;

CREATE TEMP TABLE old_items AS
SELECT grp, category, item, k,
       row_number() OVER (ORDER BY min(listed_on), min(received_at), min(srow)) AS need_id
FROM old_keyed GROUP BY grp, category, item, k;

CREATE TEMP TABLE old_ranked AS
SELECT o.*, i.need_id,
       row_number() OVER (PARTITION BY i.need_id
                          ORDER BY o.listed_on, o.received_at, o.srow) AS first_rank,
       row_number() OVER (PARTITION BY i.need_id
                          ORDER BY o.corrected_by IS NULL DESC, o.listed_on DESC,
                                   o.received_at DESC, o.srow DESC) AS last_rank
FROM old_keyed o JOIN old_items i
  ON i.grp = o.grp AND i.category = o.category AND i.item = o.item AND i.k = o.k;

-- Each item's cadre: one paired now with the household or its village (when the old
-- answers were stored is not known for pairings): the one who sent its latest answer
-- first, then a household's own pairing before a village's, then the latest paired.
CREATE TEMP TABLE old_cadre AS
WITH latest AS (
    SELECT l.need_id, l.household_id, coalesce(hh.village_code, l.village_code) AS village_code,
           l.submitted_by
    FROM old_ranked l LEFT JOIN households hh ON hh.id = l.household_id
    WHERE l.last_rank = 1),
candidates AS (
    SELECT latest.need_id, latest.submitted_by, p.* FROM latest
    JOIN pairings p ON p.household_id = latest.household_id AND p.until IS NULL
    UNION ALL
    SELECT latest.need_id, latest.submitted_by, p.* FROM latest
    JOIN pairings p ON p.village_code = latest.village_code AND p.until IS NULL)
SELECT need_id, cadre_id FROM (
    SELECT need_id, cadre_id, row_number() OVER (
        PARTITION BY need_id
        ORDER BY 'user:' || cadre_id = submitted_by DESC, household_id IS NULL,
                 since DESC, id DESC) AS n
    FROM candidates)
WHERE n = 1;

INSERT INTO needs (id, household_id, village_code, form_id, category, item, description,
                   urgency, raised_on, raised_by, raised_in, last_listed_in, last_listed_on,
                   cadre_id, created_at, updated_at)
SELECT f.need_id, l.household_id, coalesce(hh.village_code, l.village_code), f.form_id,
       f.category, f.item, l.description, l.urgency, f.listed_on, f.submitted_by,
       f.submission_id, l.submission_id, l.listed_on,
       c.cadre_id,
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM old_ranked f
JOIN old_ranked l ON l.need_id = f.need_id AND l.last_rank = 1
LEFT JOIN households hh ON hh.id = l.household_id
LEFT JOIN old_cadre c ON c.need_id = f.need_id
WHERE f.first_rank = 1
ORDER BY f.need_id;

INSERT INTO need_listings (need_id, submission_id, path, listed_on, description, urgency)
SELECT need_id, submission_id, '/needs/' || idx, listed_on, description, urgency
FROM old_ranked ORDER BY need_id, listed_on, received_at, srow;

INSERT INTO need_steps (id, client_id, body_hash, need_id, status, responsible_unit, note,
                        satisfaction, happened_on, recorded_at, recorded_by)
SELECT f.id, f.client_id, f.body_hash,
       (SELECT l.need_id FROM need_listings l
        WHERE l.submission_id = f.submission_id AND l.path = '/needs/' || f.need_index),
       f.status, f.responsible_unit, f.result, f.satisfaction, f.happened_on, f.recorded_at,
       f.recorded_by
FROM need_followups f ORDER BY f.id;

-- Each item's current status from its steps, as server/needs.py keeps it.
UPDATE needs SET
    status = coalesce((SELECT s.status FROM need_steps s WHERE s.need_id = needs.id
                       ORDER BY s.happened_on DESC, s.id DESC LIMIT 1), 'open'),
    status_on = (SELECT max(s.happened_on) FROM need_steps s WHERE s.need_id = needs.id),
    responsible_unit = (SELECT s.responsible_unit FROM need_steps s
                        WHERE s.need_id = needs.id AND s.responsible_unit IS NOT NULL
                        ORDER BY s.happened_on DESC, s.id DESC LIMIT 1),
    steps = (SELECT count(*) FROM need_steps s WHERE s.need_id = needs.id);
UPDATE needs SET
    closed_on = (SELECT min(s.happened_on) FROM need_steps s WHERE s.need_id = needs.id
                 AND s.status IN ('solved_on_spot', 'solved', 'cannot_solve')),
    satisfaction = (SELECT s.satisfaction FROM need_steps s WHERE s.need_id = needs.id
                    AND s.status IN ('solved_on_spot', 'solved', 'cannot_solve')
                    ORDER BY s.happened_on DESC, s.id DESC LIMIT 1)
WHERE status IN ('solved_on_spot', 'solved', 'cannot_solve');

-- Listed only by answers since corrected, and never worked on: withdrawn by the correction.
UPDATE needs SET withdrawn_by = (SELECT s.corrected_by FROM submissions s
                                 WHERE s.id = needs.last_listed_in)
WHERE steps = 0 AND NOT EXISTS (
    SELECT 1 FROM need_listings l JOIN submissions s ON s.id = l.submission_id
    WHERE l.need_id = needs.id AND s.corrected_by IS NULL);

-- Still open, and the household's latest answer of that form does not list it: ask.
UPDATE needs SET attention = 'not_listed', attention_in = (
    SELECT s.id FROM submissions s
    WHERE s.household_id = needs.household_id AND s.form_id = needs.form_id
      AND s.corrected_by IS NULL
    ORDER BY s.survey_date DESC, s.received_at DESC, s.rowid DESC LIMIT 1)
WHERE household_id IS NOT NULL AND withdrawn_by IS NULL
  AND status NOT IN ('solved_on_spot', 'solved', 'cannot_solve')
  AND NOT EXISTS (
    SELECT 1 FROM need_listings l WHERE l.need_id = needs.id AND l.submission_id = (
        SELECT s.id FROM submissions s
        WHERE s.household_id = needs.household_id AND s.form_id = needs.form_id
          AND s.corrected_by IS NULL
        ORDER BY s.survey_date DESC, s.received_at DESC, s.rowid DESC LIMIT 1));

INSERT INTO audit_log (at, actor, action, target, detail)
SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'system', 'need.migrate', 'needs',
       json_object('followups', (SELECT count(*) FROM need_followups),
                   'steps', (SELECT count(*) FROM need_steps),
                   'listings', (SELECT count(*) FROM need_listings),
                   'items', (SELECT count(*) FROM needs));

DROP TABLE temp.old_cadre;
DROP TABLE temp.old_ranked;
DROP TABLE temp.old_items;
DROP TABLE temp.old_keyed;
DROP TABLE temp.old_listed;
DROP TABLE need_followups;
